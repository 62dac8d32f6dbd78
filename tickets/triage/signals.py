"""Urgency and legal/compliance keywords and entities found in a ticket's text.

Keywords match whole words, case-insensitively, whatever the whitespace between the words
of a phrase ("data   loss" matches "data loss"), so "sue" never matches "issue". The last
word of a term of five letters or more also matches its inflections (up to three more
letters: "lawyer" finds "lawyers", "crash" finds "crashed"). Matching looks up the text's
words in an index of the terms (built once per keyword list and cached), so it is linear
in the length of the text however many terms an admin adds. The default lists cover English,
German, Spanish, French and Portuguese.

**Impact** is read separately: a *severe* event (outage, data loss, breach) and a *scope*
("all our users", "production", "nobody", "400 users"), so priority can put an outage or
data loss at P1 or above, and a wide one at P0, whatever the customer's tier.

Scores: ``urgency_score`` / ``legal_score`` are the highest weight hit plus 0.1 for every
further distinct term, capped at 1 — one strong term decides, more terms nudge it up.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_URGENCY_KEYWORDS: dict[str, float] = {
    "outage": 0.9,
    "data loss": 0.9,
    "security breach": 0.9,
    "all users": 0.8,
    "everyone": 0.5,
    "entire team": 0.7,
    "whole team": 0.7,
    "production": 0.6,
    "down": 0.6,
    "is down": 0.8,
    "not loading": 0.5,
    "service unavailable": 0.8,
    "critical": 0.7,
    "emergency": 0.8,
    "urgent": 0.6,
    "urgently": 0.6,
    "asap": 0.5,
    "immediately": 0.5,
    "right now": 0.4,
    "blocking": 0.6,
    "blocked": 0.5,
    "cannot work": 0.6,
    "deadline": 0.4,
    "hacked": 0.8,
    "unauthorized": 0.7,
    "fraud": 0.8,
    "lost data": 0.9,
    "crash": 0.4,
    "crashes": 0.4,
    "data is gone": 0.9,
    "data are gone": 0.9,
    "all our data": 0.8,
    "wiped": 0.8,
    "deleted everything": 0.9,
    "everything is gone": 0.9,
    "disappeared": 0.6,
    "nobody can": 0.8,
    "no one can": 0.8,
    "none of our": 0.7,
    "all our users": 0.8,
    "all of our users": 0.8,
    "whole company": 0.8,
    "entire company": 0.8,
    "losing money": 0.7,
    "stopped working": 0.5,
    "time-sensitive": 0.5,
    # German
    "ausfall": 0.9,
    "störung": 0.7,
    "dringend": 0.6,
    "sofort": 0.5,
    "niemand kann": 0.8,
    "alle nutzer": 0.8,
    "alle benutzer": 0.8,
    "datenverlust": 0.9,
    "daten sind weg": 0.9,
    "produktion": 0.6,
    "kritisch": 0.7,
    "notfall": 0.8,
    "gehackt": 0.8,
    # Spanish
    "caída": 0.8,
    "caído": 0.8,
    "urgente": 0.6,
    "urgencia": 0.6,
    "nadie puede": 0.8,
    "todos los usuarios": 0.8,
    "pérdida de datos": 0.9,
    "producción": 0.6,
    "crítico": 0.7,
    "inmediatamente": 0.5,
    "hackeado": 0.8,
    # French
    "panne": 0.8,
    "en panne": 0.9,
    "urgence": 0.7,
    "personne ne peut": 0.8,
    "tous les utilisateurs": 0.8,
    "perte de données": 0.9,
    "critique": 0.6,
    "immédiatement": 0.5,
    "piraté": 0.8,
    # Portuguese
    "fora do ar": 0.9,
    "ninguém consegue": 0.8,
    "todos os usuários": 0.8,
    "perda de dados": 0.9,
    "produção": 0.6,
    "imediatamente": 0.5,
    "hackeada": 0.8,
    "invadida": 0.7,
}

DEFAULT_LEGAL_KEYWORDS: dict[str, float] = {
    "lawyer": 0.9,
    "lawyers": 0.9,
    "attorney": 0.9,
    "solicitor": 0.9,
    "lawsuit": 1.0,
    "legal action": 1.0,
    "legal team": 0.6,
    "sue": 0.9,
    "suing": 0.9,
    "court": 0.8,
    "small claims": 0.9,
    "gdpr": 0.7,
    "data protection": 0.7,
    "regulator": 0.8,
    "ombudsman": 0.8,
    "consumer protection": 0.8,
    "trading standards": 0.8,
    "chargeback": 0.7,
    "dispute the charge": 0.6,
    "compliance": 0.3,
    "breach of contract": 0.9,
    "liable": 0.7,
    "liability": 0.4,
    "cease and desist": 1.0,
    "report you": 0.6,
    "better business bureau": 0.7,
    "ccpa": 0.7,
    "hipaa": 0.7,
    "counsel": 0.8,
    "our counsel": 0.9,
    "legal counsel": 0.9,
    "legal department": 0.8,
    "class action": 1.0,
    "attorney general": 0.9,
    "consumer authority": 0.8,
    "consumer rights": 0.6,
    "disputing the charge": 0.7,
    "dispute the payment": 0.7,
    "dispute with my bank": 0.7,
    "dispute with the bank": 0.7,
    "statutory": 0.6,
    "right to erasure": 0.6,
    "subject access request": 0.7,
    "data subject": 0.6,
    "formal complaint": 0.6,
    "information commissioner": 0.8,
    # German
    "anwalt": 0.9,
    "anwälte": 0.9,
    "rechtsanwalt": 0.9,
    "klage": 0.9,
    "verklagen": 0.9,
    "gericht": 0.8,
    "rechtliche schritte": 1.0,
    "abmahnung": 0.9,
    "verbraucherzentrale": 0.8,
    "datenschutz": 0.6,
    "dsgvo": 0.7,
    "rückbuchung": 0.7,
    # Spanish
    "abogado": 0.9,
    "abogados": 0.9,
    "demanda": 0.8,
    "demandar": 0.9,
    "acciones legales": 1.0,
    "acción legal": 1.0,
    "medidas legales": 1.0,
    "protección de datos": 0.7,
    "rgpd": 0.7,
    "oficina del consumidor": 0.8,
    "consumo": 0.5,
    "contracargo": 0.7,
    "denuncia": 0.8,
    # French
    "avocat": 0.9,
    "avocats": 0.9,
    "poursuites": 0.9,
    "action en justice": 1.0,
    "tribunal": 0.8,
    "mise en demeure": 1.0,
    "protection des données": 0.7,
    "dgccrf": 0.8,
    "litige": 0.6,
    # Portuguese
    "advogado": 0.9,
    "advogados": 0.9,
    "ação judicial": 1.0,
    "processar": 0.8,
    "procon": 0.8,
    "lgpd": 0.7,
    "proteção de dados": 0.7,
    "estorno": 0.6,
}

# The customer may leave: threats not to renew or to switch, and a complaint repeated ("third time").
DEFAULT_CHURN_KEYWORDS: dict[str, float] = {
    "not renew": 0.8, "won't renew": 0.8, "will not renew": 0.8, "renewal": 0.4, "cancel our contract": 0.8,
    "cancel our subscription": 0.6, "switch to": 0.5, "switching to": 0.6, "competitor": 0.6, "competitors": 0.6,
    "alternatives": 0.6, "looking elsewhere": 0.8, "other providers": 0.6, "take our business elsewhere": 0.9,
    "reconsider": 0.5, "our patience": 0.7, "last chance": 0.7, "third time": 0.7, "fourth time": 0.8, "second time": 0.4,
    "once again": 0.3, "still not fixed": 0.6, "still not resolved": 0.6, "no response": 0.5, "nobody replies": 0.6,
    "unacceptable": 0.5, "we pay": 0.3, "paying you": 0.4,
    "kündigen": 0.7, "kündigung": 0.6, "wechseln": 0.5, "alternativen": 0.6, "konkurrenz": 0.6, "dritte mal": 0.7,
    "inakzeptabel": 0.5, "nicht verlängern": 0.8,
    "cambiar de proveedor": 0.8, "competencia": 0.5, "tercera vez": 0.7, "inaceptable": 0.5, "no renovaremos": 0.8,
    "résilier": 0.7, "concurrent": 0.6, "troisième fois": 0.7, "inacceptable": 0.5, "ne renouvellerons pas": 0.8,
    "concorrente": 0.6, "terceira vez": 0.7, "inaceitável": 0.5, "não vamos renovar": 0.8,
    "keine antwort": 0.5, "keine rückmeldung": 0.5, "schon wieder": 0.4, "anbieter wechseln": 0.8, "vorgesetzten": 0.6,
    "sin respuesta": 0.5, "ninguna respuesta": 0.5, "otra vez": 0.3, "otro proveedor": 0.8, "responsable": 0.3,
    "sans réponse": 0.5, "aucune réponse": 0.5, "encore une fois": 0.3, "autre prestataire": 0.8, "autre fournisseur": 0.8,
    "sem resposta": 0.5, "nenhuma resposta": 0.5, "outra vez": 0.3, "outro fornecedor": 0.8,
}  # fmt: skip

# Churn said in a sentence rather than a phrase: an ultimatum, a threat to move to another vendor, a complaint
# repeated or ignored ("my fourth email", "nobody has answered", "only automated replies", "chased twice",
# "ten days without a response"), a customer asking for a manager. Fixed patterns with bounded gaps (linear).
_GAP = r"[^.!?\n]{0,40}?"
CHURN_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), weight)
    for pattern, weight in (
        # "move to another vendor", "take our business elsewhere", "switch to a different tool"
        (r"\b(?:move|moving|switch|switching|go|going|migrate|migrating|take|taking|look|looking)\b" + _GAP
         + r"\b(?:elsewhere|(?:another|a different|the other|other) (?:vendor|provider|supplier|tool|platform|solution|"
         r"service|product|bidder)s?|(?:a |the )?competitors?)\b", 0.8),
        # "I'll have to recommend the other vendor"
        (r"\brecommend(?:ing|ed)?\b" + _GAP + r"\b(?:the other|another|a different|a competing) (?:vendor|provider|supplier|"
         r"tool|platform|solution|option|bidder|offer)\b", 0.8),
        # "If this isn't resolved this week, we'll cancel all 40 seats"
        (r"\b(?:if|unless|otherwise|or else)\b[^.!?\n]{0,120}?\b(?:we|i)(?:'ll| will| are going to|'re going to|'m going to"
         r"| am going to| shall|'d have to| would have to| have to|'ll have to| will have to)\b" + _GAP
         + r"\b(?:cancel|leave|terminate|end|stop (?:using|paying)|move|switch|recommend|escalate|dispute|charge ?back"
         r"|file a complaint|take (?:this|it) further)", 0.8),
        # "my fourth email", "the third ticket I've opened"
        (r"\b(?:my|our|the|this is (?:the|my|our)|it's (?:the|my|our))\s+(?:third|fourth|fifth|sixth|seventh|eighth|ninth"
         r"|tenth|3rd|[4-9]th|\d{2}th)\s+(?:e-?mails?|mails?|messages?"
         r"|tickets?|requests?|attempts?|calls?|follow[- ]?ups?|chasers?|reminders?|contacts?)\b", 0.7),
        (r"\b(?:my|our|this is (?:the|my|our)|it's (?:the|my|our))\s+second\s+(?:e-?mail|mail|message|ticket|request|attempt"
         r"|call|follow[- ]?up|chaser|reminder)\b", 0.4),
        # "Nobody has answered", "no one got back to us"
        (r"\b(?:nobody|no one|noone|no-one)\b[^.!?\n]{0,30}?\b(?:answered|answers|replied|replies|responded|responds"
         r"|got back|gets back|gotten back|called back|calls back|read|reads|helped|helps|bothered)\b", 0.6),
        (r"\b(?:nadie|niemand|personne|ningu[ée]m)\b[^.!?\n]{0,30}?\b(?:contesta|contestó|responde|respondió|antwortet"
         r"|meldet sich|hat geantwortet|répond|a répondu|respondeu)", 0.6),
        # "The only replies have been automated", "nothing except the automatic message"
        (r"\b(?:only|except|nothing but|just|apart from|all (?:we|i) (?:got|get|received|have had|had))\b[^.!?\n]{0,40}?"
         r"\b(?:automated|automatic|auto-?reply|auto-?response|canned|bot)\b", 0.6),
        # "I've chased twice", "chased again"
        (r"\bchas(?:ed|ing)\b" + _GAP + r"\b(?:twice|again|repeatedly|\w+ times)\b", 0.6),
        # "ten days without a response", "two weeks with no answer", "waiting for three weeks"
        (r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)\s+(?:days|weeks|months)\b[^.!?\n]{0,30}?"
         r"\b(?:without|with no|no|still|unanswered|waiting)\b", 0.6),
        (r"\bwaiting\b[^.!?\n]{0,30}?\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|many)\s+(?:days|weeks"
         r"|months)\b", 0.5),
        # the customer asks for it to go up: "I'd like a team lead to look at this", "let me speak to a manager"
        (r"\b(?:speak|talk|escalate)\b[^.!?\n]{0,20}?\b(?:manager|supervisor|team lead|team leader|someone senior"
         r"|your superior|head of support)\b", 0.6),
        (r"\b(?:a|your|the)\s+(?:manager|supervisor|team lead|team leader|head of support)\b" + _GAP
         + r"\b(?:look|review|call|contact|take|own)\b", 0.6),
        (r"\b(?:named person|someone|somebody)\b[^.!?\n]{0,20}?\btake ownership\b", 0.6),
        # "I have written four times", "we've asked three different people", "j'ai relancé trois fois"
        (r"\b(?:written|wrote|emailed|e-mailed|asked|called|phoned|contacted|reached out|chased|raised (?:this|it)|reported"
         r" (?:this|it)|followed up)\b" + _GAP + r"\b(?:twice|(?:three|four|five|six|several|multiple|many|\d+)\s+(?:different"
         r"\s+)?(?:times|people|agents|emails|e-mails))\b", 0.6),
        (r"\b(?:he escrito|hemos escrito|he llamado|he reclamado|os he escrito)\b" + _GAP + r"\b(?:dos|tres|cuatro|cinco"
         r"|varias|muchas|\d+)\s+veces\b", 0.6),
        (r"\b(?:(?:dreimal|viermal|fünfmal|mehrfach|mehrmals|wiederholt|zum (?:dritten|vierten|fünften) mal)\b" + _GAP
         + r"\b(?:geschrieben|gemeldet|angerufen|nachgefragt|reklamiert)|in (?:drei|vier|fünf|\d+) tickets gemeldet)", 0.6),
        (r"\b(?:écrit|relancé|appelé|signalé|contacté)\b" + _GAP + r"\b(?:deux|trois|quatre|cinq|plusieurs|\d+)\s+fois\b", 0.6),
        (r"\b(?:escrevi|escrevemos|liguei|ligamos|reclamei|entrei em contato)\b" + _GAP + r"\b(?:duas|três|quatro|cinco"
         r"|várias|\d+)\s+vezes\b", 0.6),
        # "I have been trying to reach our account manager for three weeks"
        (r"\b(?:trying|tried|try)\s+to\s+(?:reach|contact|get hold of|get through to|get an answer from|get a reply from)\b", 0.5),
        # "I've started conversations with <another vendor>", "we are evaluating other options"
        (r"\b(?:started|starting|begun|began|having|opened|in)\s+(?:conversations|talks|discussions)\s+with\b", 0.6),
        (r"\b(?:evaluating|trialling|trialing|testing|looking at|reviewing|considering)\s+(?:other|alternative|competing)"
         r"\s+(?:options|vendors|providers|tools|solutions|platforms|products|suppliers)\b", 0.7),
    )
)  # fmt: skip

# Legal steps said in a sentence: "I'm disputing it with my bank", "reporting you to the consumer office".
LEGAL_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), weight)
    for pattern, weight in (
        (r"\bdisput(?:e|ing|ed)\b[^.!?\n]{0,30}?\b(?:with (?:my|our|the) (?:bank|card issuer|credit card company)|bank|"
         r"card issuer|paypal|amex)\b", 0.7),
        (r"\breport(?:ing)?\s+(?:you|your company|this|it)\b[^.!?\n]{0,40}?\b(?:to|with)\b[^.!?\n]{0,30}?\b(?:authorit"
         r"|regulator|ombudsman|consumer|trading standards|ftc|bbb|police|data protection|watchdog)", 0.8),
        (r"\b(?:reporting|report) you\b", 0.5),
        (r"\b(?:pondr[ée]|presentar[ée]|pondremos|presentaremos|voy a poner|vamos a poner)\s+(?:una\s+)?(?:reclamaci[óo]n"
         r"|denuncia|queja formal)", 0.8),
        (r"\b(?:hoja de reclamaciones|ocu|facua|omic|verbraucherzentrale|schlichtungsstelle|que choisir|reclame aqui)\b", 0.7),
        # a chargeback said in a sentence: "I've asked my bank to reverse the payment", "we'll take this up with our bank"
        (r"\b(?:asked|asking|told|contacted|called|instructed|ask|tell|contact|call|instruct)\s+(?:my|our|the)\s+(?:bank|card"
         r" issuer|credit card company|card company)\b" + _GAP + r"\b(?:reverse|reversal|refund|dispute|block|stop|cancel"
         r"|claw|recall|return)", 0.7),
        (r"\b(?:take|taking|raise|raising)\s+(?:this|it|the matter)\s+up\s+with\s+(?:my|our|the)\s+(?:bank|card issuer"
         r"|credit card company)\b", 0.7),
        (r"\b(?:reverse|reversing|reversed|block|blocking|recall)\s+(?:the|this|that|your)\s+(?:payment|charge|transaction"
         r"|debit|direct debit)\b" + _GAP + r"\b(?:bank|card)\b", 0.6),
        (r"\b(?:lastschrift|abbuchung|zahlung)\b" + _GAP + r"\b(?:zurückbuchen|zurückgeben|zurückrufen|widersprechen"
         r"|widerrufen|stornieren lassen)\b", 0.7),
        (r"\b(?:al|a mi|a nuestro|con el|con mi|con nuestro)\s+banco\b" + _GAP + r"\b(?:devolu|devuelva|anul|retroce|reclam)", 0.7),
        (r"\b(?:faire|fait|ferons|ferai)\s+(?:une\s+)?opposition\b|\b(?:ma|notre)\s+banque\b" + _GAP
         + r"\b(?:rembours|annul|contest|opposition)", 0.7),
        (r"\b(?:contestar|contestei|contestamos)\b" + _GAP + r"\b(?:cartão|banco|cobrança)\b|\b(?:meu|nosso)\s+banco\b"
         + _GAP + r"\b(?:estorn|cancel|contest)", 0.7),
        # a right with a clock: "under GDPR you have one month", "within 30 days as required by law"
        (r"\b(?:under|as required by|according to|pursuant to)\s+(?:the\s+)?(?:gdpr|law|article \d+|data protection law"
         r"|consumer law)\b", 0.6),
        (r"\b(?:we|i)\s+reserve\s+(?:all\s+|our\s+|my\s+)?(?:rights|the right)\b", 0.7),
    )
)  # fmt: skip

# Urgency said in a sentence: service about to be lost ("the account will be suspended on Friday") and a deadline
# measured in hours or days ("in the next hour", "within 2 days", "by tonight").
URGENCY_PATTERNS: tuple[tuple[re.Pattern[str], float], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), weight)
    for pattern, weight in (
        (r"\b(?:will|would|is going to|are going to|gets|get|to)\s+be\s+(?:suspended|downgraded|deactivated|disabled|closed"
         r"|deleted|terminated|cut off|locked|shut down|switched off|blocked)\b", 0.5),
        (r"\bwird\b" + _GAP + r"\b(?:gesperrt|deaktiviert|abgeschaltet|gelöscht|herabgestuft)\b|\b(?:será|serán|se)\s+"
         r"(?:suspendid[ao]s?|cancelad[ao]s?|bloquead[ao]s?|suspenderá|cancelará|bloqueará|eliminad[ao]s?)\b|\bsera(?:it)?\s+"
         r"(?:suspendue?|désactivée?|fermée?|supprimée?|bloquée?|résiliée?)\b|\bserá\s+(?:suspens[ao]|cancelad[ao]|bloquead[ao]"
         r"|desativad[ao])\b", 0.5),
        (r"\b(?:in|within)\s+(?:the\s+)?(?:next\s+)?(?:(?:\d{1,2}|one|two|three|a few|an?)\s+)?(?:hours?|business days?|working"
         r" days?|days?)\b", 0.4),
        (r"\b(?:tonight|this evening|by (?:tomorrow|end of (?:the )?day|eod|close of business|cob|noon|midday)|before"
         r" (?:tomorrow|tonight)|heute abend|bis morgen|esta noche|antes de mañana|ce soir|avant demain|hoje à noite|até amanhã)\b",
         0.4),
        (r"\b(?:month|quarter|year)[- ](?:end|close)\b|\b(?:finance|payroll|board)\b" + _GAP + r"\b(?:closes?|deadline|run"
         r"|meets?|meeting)\b", 0.3),
    )
)  # fmt: skip


def _pattern_hits(text: str, patterns: tuple[tuple[re.Pattern[str], float], ...]) -> list[tuple[str, float]]:
    """The first match of each pattern, as (the words matched, weight)."""
    found: list[tuple[str, float]] = []
    for pattern, weight in patterns:
        match = pattern.search(text)
        if match:
            found.append((" ".join(match.group(0).lower().split())[:60], weight))
    return found


# Impact: what happened (severe) and to whom (scope), read apart so priority can combine them.
IMPACT_SEVERE: tuple[str, ...] = (
    "outage", "is down", "are down", "went down", "service unavailable", "data loss", "lost data", "lost all",
    "data is gone", "data are gone", "everything is gone", "wiped", "deleted everything", "deleted all", "security breach",
    "stolen",
    "ausfall", "datenverlust", "daten sind weg", "gehackt", "nicht erreichbar",
    "caída", "caído", "pérdida de datos", "hackeado",
    "en panne", "perte de données", "piraté",
    "fora do ar", "perda de dados", "hackeada", "invadida",
)  # fmt: skip
# A security incident (someone else is in, or sees what they should not): wide by itself.
IMPACT_SECURITY: tuple[str, ...] = (
    "hacked", "compromised", "ransomware", "leaked", "exposed", "taken over", "account takeover", "unauthorized access",
    "unauthorised access", "fraudulent", "forged", "extortion", "ransom", "data leak", "someone else can see",
    "another company's", "other customers' data", "vulnerability", "idor", "sql injection", "we didn't place",
    "we did not place", "nobody here placed", "wasn't us", "was not us", "none of us did", "nobody here did",
    "no one here did", "none of us made", "didn't authorise", "didn't authorize", "did not authorise", "did not authorize",
    "nicht von uns", "no fuimos nosotros", "ce n'était pas nous", "não fomos nós", "none of us created", "nobody here requested",
    "none of us requested", "we never set that up", "we never set this up", "we didn't set that up", "none of us set",
    "nobody here created", "we did not request", "we didn't request", "i didn't request", "i did not request", "non demandée",
    "non demandé", "non sollicitée", "no solicitado", "no solicitada", "nicht angefordert", "nicht beantragt",
    "não solicitado", "não solicitada", "non richiesto", "non richiesta", "niet aangevraagd",
    "gehackt", "unbefugt", "fremder zugriff", "datenleck", "datenpanne", "hackeado", "acceso no autorizado", "filtración",
    "han entrado en nuestra cuenta", "piraté", "accès non autorisé", "fuite de données", "accède encore", "invadida",
    "hackeada", "acesso não autorizado", "vazamento", "accesso non autorizzato", "non autorizzato", "non autorizzata",
    "che non ha richiesto", "che non abbiamo richiesto", "violazione dei dati", "onbevoegde toegang", "gehackt", "datalek",
    "niet door ons", "nicht autorisiert",
    "sending spam", "sending phishing", "sent phishing", "phishing from our", "spam from our", "enviando spam",
    "enviando phishing", "enviando correos", "envoie du spam", "envoie des e-mails", "verschickt spam", "enviando e-mails",
)  # fmt: skip
# Broken for someone: severe only when it hits a scope ("not loading for anyone", "all our users are locked out").
IMPACT_BLOCKED: tuple[str, ...] = (
    "not loading", "stopped working", "not working", "cannot access", "can't access", "cannot log in", "can't log in",
    "can not log in", "unable to log in", "cannot login", "can't login", "locked out", "crashes", "crashing",
    "funktioniert nicht", "geht nicht", "no funciona", "no podemos", "ne fonctionne", "ne marche", "não funciona",
    "não conseguimos", "panne", "missing", "gone", "disappeared", "vanished", "deleted", "erased", "overwritten",
    "blank", "stopped", "not arriving", "can't work", "cannot work", "isn't loading", "isnt loading", "won't load",
    "doesn't load", "nothing works", "nothing is working", "nothing has arrived", "nothing arrives", "nothing is arriving",
    "nothing comes through", "nothing gets through", "can't ship", "cannot ship", "can't send", "cannot send",
    "can't process", "cannot process", "können keine", "können nicht", "nichts geht", "no podemos enviar",
    "ne pouvons pas", "ne peut plus", "não podemos",
    "503", "502", "500", "timeout", "timed out", "suspended", "disabled", "hängen", "fehlen", "gelöscht", "gesperrt",
    "desaparecido", "borrado", "bloqueado", "disparu", "supprimé", "bloqué", "sumiram", "apagado", "bloqueado",
    "on hold", "standstill", "halted", "to a halt", "paralysed", "paralyzed", "merged", "corrupted", "corrupt",
    "wrong people", "wrong customers", "wrong person", "lahmgelegt", "stillstand", "paralizado", "paralizada", "paralysé",
    "paralysée", "parado", "parada", "paralisado", "paralisada",
    "was set to", "were set to", "were marked", "were closed", "were reset", "were reassigned", "were sent", "was sent to",
    "were changed", "were moved", "were overwritten",
)  # fmt: skip
# An attack or an outage happening now, and a deadline measured in hours, make a severe event wide.
IMPACT_NOW: tuple[str, ...] = (
    "as we speak", "right now", "at the moment", "ongoing", "still happening", "in real time", "every minute",
    "within 48 hours", "within 24 hours", "within 72 hours", "by tomorrow", "gerade", "in diesem moment", "ahora mismo",
    "en este momento", "en ce moment", "en ce moment même", "agora mesmo", "neste momento",
)  # fmt: skip
IMPACT_SCOPE: tuple[str, ...] = (
    "all users", "all our users", "all of our users", "all customers", "all our customers", "our customers", "every user",
    "everyone", "everybody", "nobody", "no one", "none of our", "none of us", "entire team", "whole team", "entire company",
    "whole company", "company-wide", "production", "prod", "all our data", "all of our data", "every account", "all accounts",
    "anyone", "all records", "every record", "every project", "all projects", "all orders", "every order", "our whole",
    "the entire", "all of us", "whole office", "entire office", "our shop", "our store", "our website", "our site",
    "a todos", "todos", "tout le monde", "toute l'agence", "l'agence entière", "alle", "todo el mundo", "todo mundo",
    "alle nutzer", "alle benutzer", "alle kunden", "niemand", "ganze firma", "ganzes team", "produktion",
    "todos los usuarios", "todos nuestros", "nadie", "toda la empresa", "producción",
    "tous les utilisateurs", "tous nos", "personne ne", "toute l'entreprise", "toute l'équipe",
    "todos os usuários", "todos os nossos", "ninguém", "toda a empresa", "produção",
    "not a single", "komplette unternehmen", "gesamte unternehmen", "ganze unternehmen", "komplette firma",
    "gesamte firma", "keine einzige", "keinen einzigen", "kein einziger", "ni un solo", "ni una sola", "pas un seul",
    "pas une seule", "nem um único", "nem uma única", "toda la tienda", "all our stores", "all stores",
    "any of our", "our entire", "our clients", "all our clients", "every one of", "all of them", "each of our",
    "nos clients", "tous nos clients", "unsere kunden", "nuestros clientes", "nossos clientes", "i nostri clienti",
    "onze klanten", "in keiner", "en ninguna", "dans aucune", "em nenhuma",
    "nessuno", "nessuno dei nostri", "tutti i nostri", "tutti gli utenti", "tutta l'azienda", "produzione",
    "geen enkele", "al onze", "alle gebruikers", "het hele bedrijf", "productie",
)  # fmt: skip
# Who is hit, by name: "400 users", "12,000 different contacts", "nos 200 conseillers", "3 000 messages".
_SCOPE_NOUNS = (
    r"(?:users?|people|employees|staff|agents?|customers?|clients?|seats|stores|shops|records?|contacts?|orders?|projects?"
    r"|files|documents|invoices|accounts?|transactions|payments|charges|bookings|reservations|entries|rows|items|products"
    r"|messages|e-?mails|tickets?|calls|chats|conversations|members|students|drivers|guests|subscribers|locations|branches"
    r"|sites|devices|operators|employees|nutzer|benutzer|mitarbeiter(?:innen)?|mitarbeitende[n]?|kunden|bestellungen|aufträge"
    r"|buchungen|abbuchungen|tickets|nachrichten|usuarios|empleados|clientes|pedidos|agentes|operadores|mensajes|correos"
    r"|reservas|cargos|utilisateurs|employés|commandes|conseillers|conseillères|agents|opérateurs|réservations|prélèvements"
    r"|usuários|funcionários|atendentes|pedidos|mensagens|cobranças|utenti|clienti|operatori|gebruikers|klanten|medewerkers)"
)
_SCOPE_COUNT = re.compile(
    r"\b(\d{2,}|\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+)\s+(?:(?:of\s+)?(?:our|the|unsere[rn]?|nuestros|nos|nossos)\s+)?"
    r"(?:fewer\s+|more\s+)?(?:[^\W\d_][\w'-]*\s+){0,2}?" + _SCOPE_NOUNS + r"\b",
    re.IGNORECASE,
)
# "every open ticket", "all of our customers", "each of our 12 stores"
_SCOPE_ALL = re.compile(
    r"\b(?:all|every|each)\s+(?:one\s+)?(?:of\s+)?(?:(?:our|the|my|those|these|their)\s+)?(?:[^\W\d_][\w'-]*\s+)?" + _SCOPE_NOUNS + r"\b",
    re.IGNORECASE,
)
# Unable to work, in a sentence that names who: "our 140 agents can't send a reply", "nos 200 conseillers ne
# retrouvent plus leurs files" — with a scope in the same sentence it is a wide event.
_CANNOT = re.compile(
    r"\b(?:can't|cannot|can not|couldn't|could not|unable to|not able to|no longer|are locked out|is locked out|nicht mehr"
    r"|k[öo]nnen (?:\w+ )?nicht|kann (?:\w+ )?nicht|ya no|no (?:pueden|podemos|puede)|ne \w+ plus|n'\w+ plus|ne (?:peuvent|pouvons"
    r"|peut) (?:\w+ )?pas|não (?:conseguem|conseguimos|consegue|podem|podemos)|non (?:riescono|possono|riusciamo|possiamo)"
    r"|niet meer|kunnen (?:\w+ )?niet)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Signals:
    urgency_hits: list[tuple[str, float]] = field(default_factory=list)
    legal_hits: list[tuple[str, float]] = field(default_factory=list)
    entities: dict[str, list[str]] = field(default_factory=dict)
    urgency_score: float = 0.0
    legal_score: float = 0.0
    severe_hits: list[str] = field(default_factory=list)
    scope_hits: list[str] = field(default_factory=list)
    churn_hits: list[tuple[str, float]] = field(default_factory=list)
    churn_score: float = 0.0

    @property
    def impact(self) -> str:
        """ "wide" (a severe event with a scope), "severe", or ""."""
        if self.severe_hits:
            return "wide" if self.scope_hits else "severe"
        return ""


# "None of our users can log in", "niemand kann", "nadie puede": a scope that cannot work is a severe event.
_NOBODY_CAN = re.compile(
    r"\b(?:none of (?:our|the|us|my)|nobody|no one|noone|niemand|keiner|nadie|ninguno|personne|aucune?|ningu[ée]m"
    r"|nessuno|nessuna|geen enkele)\b"
    r"[^.!?\n]{0,40}?\b(?:can|could|is able|are able|kann|k[öo]nnen|puede|pueden|podemos|peut|peuvent|pouvons|consegue"
    r"|conseguem|conseguimos|riesce|riescono|può|possono|kan|kunnen)\b"
    # the verb first, as German and Dutch put it after a time: "seit dem Update kann niemand …", "sinds gisteren kan niemand …"
    r"|\b(?:kann|k[öo]nnen|kan|kunnen)\s+(?:(?:sich|mehr|meer|nog|hier|bei uns)\s+)?(?:niemand|geen enkele)\b",
    re.IGNORECASE,
)


# An ongoing stoppage, said calmly: "Since roughly 09:15 no new tickets are being created", "seit dem Update
# kommen keine Aufträge mehr an". A point in time it started and a negation in one sentence is a severe event;
# a scope in that sentence or the next or previous one makes it wide.
_SINCE = re.compile(
    r"\b(?:since|seit|desde|depuis|dalle|dall'|sinds|ever since)\s+(?:about |roughly |around |approximately |approx\. |ca\. "
    r"|circa |etwa |cerca de |vers |environ |las |les |the |)(?:\d{1,2}(?:[:.h]\d{2})?(?:\s*(?:am|pm|uhr|h|utc|cet|cest|est"
    r"|edt|pst|pdt|gmt|bst))?\b|this morning|last night|yesterday|this afternoon|midnight|today|overnight|(?:the|your|last"
    r" night's|yesterday's|this morning's) (?:\w+ )?(?:update|release|upgrade|deploy|deployment|maintenance|migration|change"
    r"|outage)|heute|gestern|dem (?:\w+ )?(?:update|release|wartung)|der (?:\w+ )?(?:umstellung|wartung|aktualisierung)|hoy"
    r"|ayer|esta mañana|anoche|la (?:\w+ )?(?:actualización|migración)|el (?:\w+ )?(?:cambio|despliegue)|ce matin|hier"
    r"|cette nuit|la (?:\w+ )?(?:mise à jour|migration)|hoje|ontem|esta manhã|a (?:\w+ )?(?:atualização|migração)"
    r"|stamattina|ieri|l'aggiornamento|vanochtend|gisteren|de update)"
    r"|\b(?:after|following) (?:the|your|last night's|yesterday's|this morning's|whatever you) (?:\w+ )?(?:update|release"
    r"|released|upgrade|deploy|deployed|deployment|maintenance|migration)",
    re.IGNORECASE,
)
_STOPPED = re.compile(
    r"\b(?:no (?:new |more |longer |further )?\w+ (?:is|are|has|have|were|was|can|could|get|gets|go|goes|come|comes)\b"
    r"|nothing\b|none of\b|not a single\b|not one\b|no longer\b|stopped\b|stop(?:s)? working\b|fail(?:s|ing|ed)?\b"
    r"|isn't\b|aren't\b|hasn't\b|haven't\b|won't\b|doesn't\b|don't\b|can't\b|cannot\b|unable\b|keine[rn]?\b|kein\b"
    r"|nichts\b|nicht mehr\b|ningún\b|ninguna\b|ya no\b|nada\b|no se\b|no (?:llega|llegan|funciona|funcionan|entra|entran)\b"
    r"|aucune?\b|plus (?:aucun|rien|personne)\b|rien\b|ne \w+ plus\b|n'\w+ plus\b|nenhuma?\b|não\b|nessun[oa]?\b|non \w+ più\b"
    r"|geen\b|niet meer\b)",
    re.IGNORECASE,
)


# Another customer's data in front of this one (a cross-customer exposure, a P0 whoever reports it, however calmly):
# "I landed on a dashboard that wasn't mine", "I can see payslips from other companies", "it had someone else's
# name and address", "the confirmations carry the data of other customers", "traía los datos de otra persona".
_PRIVATE_NOUNS = (
    r"data|details|information|info|name|names|address|addresses|orders?|invoices?|payslips?|records?|files?"
    r"|documents?|bookings?|transactions|balances?|contacts?|emails?|messages|phone numbers?|salar(?:y|ies)|medical\s+\w+"
)
_PRIVATE = "(?:" + _PRIVATE_NOUNS + ")"
_ANOTHER = (
    r"(?:another (?:customer|client|company|business|tenant|organi[sz]ation|merchant|shop)'?s?"
    r"|other (?:customers|clients|companies|businesses|tenants|organi[sz]ations|merchants|shops)'?)"
)
_EXPOSED = re.compile(
    # someone else's / another customer's … in front of them
    r"\b(?:(?:someone|somebody) else'?s|" + _ANOTHER + r")\s+(?:\w+\s+){0,2}?" + _PRIVATE + r"\b"
    r"|\b" + _PRIVATE + r"\s+(?:of|from|for|belonging to)\s+(?:(?:someone|somebody) else|" + _ANOTHER + r")"
    r"|\b(?:see|saw|seeing|can see|shows?|showed|showing|received?|receiving|getting|displays?|displayed|landed on|access to)"
    r"\b" + _GAP + r"\bfrom " + _ANOTHER + r"(?!\w)"
    r"|\b(?:" + _PRIVATE_NOUNS + r"|account|dashboard|page|profile)\s+(?:that|which)\s+"
    r"(?:wasn't|was not|isn't|is not|weren't|were not|aren't|are not)\s+(?:mine|ours)\b"
    # the same in the other languages: "datos de otra persona", "Daten anderer Kunden", "données d'un autre client"
    r"|\b(?:datos|dados|données|informations|daten|dati|gegevens|nombre|nome|nom|name|adresse|dirección|endereço|indirizzo"
    r"|adres|teléfono|telefone|téléphone|telefonnummer|telefono|telefoonnummer)"
    r"\b" + _GAP + r"\b(?:de otr[ao]s? (?:persona|personas|clientes?|empresas?|usuarios)|de outr[ao]s? (?:pessoas?|clientes?"
    r"|empresas?|usuários)|d'(?:un autre client|autres clients|une autre personne|autres entreprises|autres sociétés)"
    r"|(?:eines anderen|anderer|von anderen|fremder) (?:kunden|firmen|unternehmen|person|personen)|di (?:un altro cliente"
    r"|altri clienti|un'altra persona|altre aziende)|van (?:een andere klant|andere klanten|iemand anders|andere bedrijven))",
    re.IGNORECASE,
)

_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
MAX_INFLECTION = 3  # letters a term's last word (of five letters or more) may gain: "lawyer" → "lawyers"


class _TermIndex:
    """Terms as tuples of lowercase words, looked up by the words of the text (linear in its length)."""

    def __init__(self, terms: tuple[str, ...]) -> None:
        # first word (and, for a one-word term of five letters or more, its stem) -> [(words, term)], longest first
        self.by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for term in terms:
            words = tuple(_TOKEN.findall(term.lower().replace("’", "'")))
            if words:
                self.by_first.setdefault(words[0], []).append((words, _normalize(term)))
        for candidates in self.by_first.values():
            candidates.sort(key=lambda item: -len(item[0]))

    @staticmethod
    def _same(word: str, token: str) -> bool:
        extra = len(token) - len(word)
        return token == word or (len(word) >= 5 and 0 < extra <= MAX_INFLECTION and token.startswith(word) and token[-extra:].isalpha())

    def find(self, text: str) -> list[tuple[str, int, str]]:
        """(term, offset, matched text) for each occurrence, in order."""
        tokens = _tokens(text)
        found = []
        for i, (token, start, _) in enumerate(tokens):
            candidates = self.by_first.get(token, [])
            for cut in range(1, MAX_INFLECTION + 1):
                if len(token) - cut < 5:
                    break
                candidates = candidates + self.by_first.get(token[:-cut], [])
            for words, term in candidates:
                n = len(words)
                if i + n > len(tokens):
                    continue
                if all(tokens[i + k][0] == words[k] for k in range(n - 1)) and self._same(words[-1], tokens[i + n - 1][0]):
                    found.append((term, start, text[start : tokens[i + n - 1][2]]))
                    break
        return found


@lru_cache(maxsize=8)
def _tokens(text: str) -> tuple[tuple[str, int, int], ...]:
    return tuple((m.group(0).lower().replace("’", "'"), m.start(), m.end()) for m in _TOKEN.finditer(text))


@lru_cache(maxsize=64)
def _index(terms: tuple[str, ...]) -> _TermIndex:
    return _TermIndex(terms)


def _normalize(term: str) -> str:
    return " ".join(term.lower().split())


def _is_a_name(text: str, term: str, offset: int, matched: str) -> bool:
    """ "Sue from your sales team": capitalized mid-sentence, it is a name, not a threat."""
    return term == "sue" and matched[:1].isupper() and not re.search(r"(?:^|[.!?]\s*)$", text[:offset])


def _keyword_hits(text: str, keywords: Mapping[str, float]) -> list[tuple[str, float]]:
    """Distinct terms found, strongest first (ties keep the order they appear in)."""
    weights = {_normalize(term): float(weight) for term, weight in keywords.items() if term.strip()}
    found: dict[str, float] = {}
    for term, offset, matched in _index(tuple(sorted(weights))).find(text):
        if term in weights and not _is_a_name(text, term, offset, matched):
            found.setdefault(term, weights[term])
    return sorted(found.items(), key=lambda hit: -hit[1])


def _score(hits: list[tuple[str, float]]) -> float:
    if not hits:
        return 0.0
    strongest = max(weight for _, weight in hits)
    return round(min(1.0, max(0.0, strongest + 0.1 * (len(hits) - 1))), 4)


_LABELLED_NUMBER = r"(?:\s+(?:number|no\.?|num|id|ref))?(?:\s+is)?\s*[:#]?\s*#?\s*"
_ENTITY_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "order_numbers": (
        re.compile(r"\b(?:order|purchase)s?" + _LABELLED_NUMBER + r"([A-Z]{0,4}-?\d{4,}[A-Z0-9-]*)", re.I),
        re.compile(r"\b(ORD-?\d{3,}[A-Z0-9-]*)\b", re.I),
    ),
    "invoice_numbers": (
        re.compile(r"\b(INV-?[A-Z0-9]*\d[A-Z0-9]*(?:-[A-Z0-9]+)*)\b", re.I),
        re.compile(r"\binvoice" + _LABELLED_NUMBER + r"(\d{3,}[A-Z0-9-]*)", re.I),
    ),
    "account_numbers": (
        re.compile(r"\b(?:account|acct|customer)" + _LABELLED_NUMBER + r"([A-Z]{0,4}-?\d{4,}[A-Z0-9-]*)", re.I),
        re.compile(r"\b(ACC?T?-\d{3,}[A-Z0-9-]*)\b", re.I),
    ),
    "amounts": (
        re.compile(r"(?<![\w.])([$€£¥]\s?\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|[$€£¥]\s?\d+(?:\.\d{1,2})?)(?![\d,])"),
        re.compile(r"\b(\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)\s?(USD|EUR|GBP|dollars|euros|pounds)\b", re.I),
    ),
    "emails": (re.compile(r"\b([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})\b"),),
    "error_codes": (
        re.compile(r"\b((?:E|ERR|ERROR)[-_]?\d{2,5})\b"),
        re.compile(r"\b(HTTP)(?:\s+(?:error|status))?\s*([1-5]\d{2})\b", re.I),
        re.compile(r"\b(?:error|status)(?:\s+code)?\s*:?\s*([45]\d{2})\b", re.I),
        re.compile(r"\b([45]\d{2})\s+(?:error|internal server error|bad gateway|service unavailable)\b", re.I),
        re.compile(r"\b(0x[0-9A-F]{8})\b", re.I),
    ),
    "urls": (re.compile(r"\b((?:https?://|www\.)[^\s<>\"']+)", re.I),),
}


def _entity_value(kind: str, match: re.Match[str]) -> str:
    if kind == "amounts" and match.lastindex == 2:
        return f"{match.group(1)} {match.group(2).upper()}"
    if kind == "error_codes":
        groups = [g for g in match.groups() if g]
        if len(groups) == 2:  # HTTP + status
            return f"HTTP {groups[1]}"
        value = groups[0]
        return f"HTTP {value}" if value.isdigit() else value.upper()
    if kind == "urls":
        return match.group(1).rstrip(".,;:!?)]")
    value = match.group(1)
    return value.upper() if kind in {"invoice_numbers"} else value


def extract_entities(text: str) -> dict[str, list[str]]:
    """Identifiers a support agent looks for, in order of appearance, without duplicates."""
    entities: dict[str, list[str]] = {}
    for kind, patterns in _ENTITY_PATTERNS.items():
        values: list[str] = []
        for pattern in patterns:
            for match in pattern.finditer(text):
                value = _entity_value(kind, match)
                if value and value not in values:
                    values.append(value)
        if values:
            entities[kind] = values
    return entities


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NOT_URGENT = re.compile(
    r"\b(?:not|nothing|no|nicht|kein|no es|pas|rien|não é|nada)\s+(?:\w+\s+)?(?:urgent|urgently|rush|dringend|eilig|urgente|pressé)",
    re.IGNORECASE,
)


def _without_negated(text: str, hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """ "Not urgent", "no rush", "nicht dringend": the customer says it can wait."""
    if not _NOT_URGENT.search(text):
        return hits
    return [hit for hit in hits if hit[0] not in {"urgent", "urgently", "dringend", "urgente", "asap"}]


def _hits_by_sentence(text: str, terms: tuple[str, ...], starts: list[int]) -> dict[int, list[str]]:
    """Distinct terms found per sentence (one scan of the whole text)."""
    found: dict[int, list[str]] = {}
    for term, offset, _ in _index(terms).find(text):
        bucket = found.setdefault(bisect.bisect_right(starts, offset) - 1, [])
        if term not in bucket:
            bucket.append(term)
    return found


def _sentences(text: str, starts: list[int]) -> list[str]:
    return [text[start:end] for start, end in zip(starts, [*starts[1:], len(text)], strict=True)]


def _impact(text: str) -> tuple[list[str], list[str]]:
    """Severe terms, and the scope that makes them wide: a scope counts in the same sentence as the event
    ("none of our 400 users can log in"), or anywhere when the event is a security incident, is happening
    now or has hours left."""
    starts = [0] + [match.end() for match in _SENTENCE.finditer(text)]
    events = _hits_by_sentence(text, IMPACT_SEVERE, starts)
    reach = _hits_by_sentence(text, IMPACT_SCOPE, starts)
    for pattern, into in ((_NOBODY_CAN, events), (_SCOPE_COUNT, reach), (_SCOPE_ALL, reach)):
        for match in pattern.finditer(text):
            bucket = into.setdefault(bisect.bisect_right(starts, match.start()) - 1, [])
            bucket.append(" ".join(match.group(0).lower().split()))
    blocked = _hits_by_sentence(text, IMPACT_BLOCKED, starts) if reach else {}
    for index, sentence in enumerate(_sentences(text, starts)):
        if reach.get(index):
            unable = _CANNOT.search(sentence)
            if unable:
                events.setdefault(index, []).append(" ".join(unable.group(0).lower().split()))
        since = _SINCE.search(sentence)
        if since and _STOPPED.search(sentence):
            events.setdefault(index, []).append("ongoing " + " ".join(since.group(0).lower().split()))
            # "The mails are arriving. Our 140 agents are sitting in front of empty queues."
            for near in (index - 2, index - 1, index + 1, index + 2):
                if reach.get(near):
                    reach.setdefault(index, []).extend(term for term in reach[near] if term not in reach.get(index, []))
    severe: list[str] = []
    scope: list[str] = []
    for index in sorted(set(events) | set(reach)):
        happened = events.get(index) or (blocked.get(index, []) if reach.get(index) else [])
        severe += [term for term in happened if term not in severe]
        if happened:
            scope += [term for term in reach.get(index, []) if term not in scope]
    security = [term for term, _ in _keyword_hits(text, dict.fromkeys(IMPACT_SECURITY, 1.0))]
    exposed = _EXPOSED.search(text)
    if exposed:
        security.append("another customer's data shown")
    if security:
        severe += [term for term in security if term not in severe]
        scope = scope or ["security incident"]
    if severe and not scope:
        scope = [term for term, _ in _keyword_hits(text, dict.fromkeys(IMPACT_NOW, 1.0))]
    return severe, scope


def extract(
    text: str,
    *,
    urgency_keywords: Mapping[str, float] | None = None,
    legal_keywords: Mapping[str, float] | None = None,
) -> Signals:
    """Urgency and legal keyword hits with their scores, and the entities in ``text``."""
    urgency_hits = _keyword_hits(text, DEFAULT_URGENCY_KEYWORDS if urgency_keywords is None else urgency_keywords)
    legal_hits = _keyword_hits(text, DEFAULT_LEGAL_KEYWORDS if legal_keywords is None else legal_keywords)
    urgency_hits += [
        hit for hit in _pattern_hits(text, URGENCY_PATTERNS) if all(hit[0] not in t and t not in hit[0] for t, _ in urgency_hits)
    ]
    urgency_hits.sort(key=lambda hit: -hit[1])
    urgency_hits = _without_negated(text, urgency_hits)
    legal_hits += [hit for hit in _pattern_hits(text, LEGAL_PATTERNS) if all(hit[0] not in t and t not in hit[0] for t, _ in legal_hits)]
    legal_hits.sort(key=lambda hit: -hit[1])
    severe, scope = _impact(text)
    churn_hits = _keyword_hits(text, DEFAULT_CHURN_KEYWORDS)
    churn_hits += [
        hit for hit in _pattern_hits(text, CHURN_PATTERNS) if all(hit[0] not in term and term not in hit[0] for term, _ in churn_hits)
    ]
    churn_hits.sort(key=lambda hit: -hit[1])
    return Signals(
        urgency_hits=urgency_hits,
        legal_hits=legal_hits,
        entities=extract_entities(text),
        urgency_score=_score(urgency_hits),
        legal_score=_score(legal_hits),
        severe_hits=severe,
        scope_hits=scope,
        churn_hits=churn_hits,
        churn_score=_score(churn_hits),
    )
