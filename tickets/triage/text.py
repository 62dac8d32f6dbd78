"""The customer's own words in an e-mail: no quoted thread, no forwarded original, no signature or disclaimer.

Pure Python (no Django). Triage reads this; agents always see the full message. The rules
are line-based and multilingual (English, German, French, Spanish, Portuguese, Italian,
Dutch): the text ends at the first header of a quoted or forwarded message, at a signature
separator or a "sent from my phone" line, or at a confidentiality disclaimer; ``>`` lines
are dropped wherever they are (inline replies). If nothing is left (a customer who wrote
only below the quote), the whole text without ``>`` lines is used.

A forward is different from a reply: "see below, please treat as urgent" above a forwarded
colleague's report or an error notice says little, and the forwarded message is what the
ticket is about. When the customer's own words are a cover note (fewer than
``COVER_NOTE_WORDS`` words) and they end at a forward header ("---------- Forwarded message
---------", "Begin forwarded message:", "Weitergeleitete Nachricht", "Message transféré",
"Mensaje reenviado", "Mensagem encaminhada", "Messaggio inoltrato", "Doorgestuurd bericht"),
the forwarded message's own words (its header lines skipped, cut by the same rules) follow
the note, unless its sender reads as the vendor itself ("From: Acme Support", "noreply@"):
a customer forwarding our own earlier reply is telling us about that reply.
"""

from __future__ import annotations

import re

_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote\s*:"
    r"|am\b.{0,200}\bschrieb\b.{0,200}:"
    r"|le\b.{0,200}\ba [ée]crit\s*:"
    r"|el\b.{0,200}\bescribi[óo]\s*:"
    r"|em\b.{0,200}\bescreveu\s*:"
    r"|il giorno\b.{0,200}\bha scritto\s*:"
    r"|op\b.{0,200}\bschreef\b.{0,200}:"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original|mensagem original"
    r"|messaggio originale|oorspronkelijk bericht|forwarded message|weitergeleitete nachricht|message transféré"
    r"|mensaje reenviado|mensagem encaminhada|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}"
    r"|begin forwarded message\s*:"
    r"|(?:from|von|de|da|van|expéditeur)\s*:\s.+"
    r"|_{10,}"
    r")\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(
    r"^\s*(?:--|-- |__+|sent from my \w+.*|get outlook for \w+.*|von meinem \w+ gesendet.*|envoy[ée] de mon \w+.*"
    r"|enviado desde mi \w+.*|enviado do meu \w+.*|inviato da \w+.*|verzonden vanaf mijn \w+.*)\s*$",
    re.IGNORECASE,
)
_DISCLAIMER = re.compile(
    r"^\s*(?:this (?:e-?mail|message)(?: and any attachments?)? (?:is|are|may be) (?:confidential|intended)"
    r"|confidentiality notice|disclaimer\s*:"
    r"|diese (?:e-?mail|nachricht) (?:ist|enthält) vertraulich|ce (?:message|courriel|e-?mail) (?:est|et ses pièces) "
    r"|este (?:correo|mensaje|e-?mail) (?:es|y sus anexos|é|e seus anexos) (?:confidencial|destinado))",
    re.IGNORECASE,
)


_FORWARD_HEADER = re.compile(
    r"^\s*(?:-{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado|mensagem encaminhada"
    r"|messaggio inoltrato|doorgestuurd bericht)\s*-{2,}|begin forwarded message\s*:)\s*$",
    re.IGNORECASE,
)
# The header lines of a forwarded message ("From: …", "Betreff: …"), skipped before its text.
_HEADER_LINE = re.compile(
    r"^\s*(?:from|sent|date|to|cc|subject|von|gesendet|datum|an|betreff|de|envoyé|date|à|objet|enviado|fecha|para|asunto"
    r"|data|assunto|da|inviato|a|oggetto|van|verzonden|aan|onderwerp)\s*:.*$",
    re.IGNORECASE,
)
COVER_NOTE_WORDS = 40
# A forwarded message from the vendor itself (our own reply, a notification) is not the customer's report.
_VENDOR_SENDER = re.compile(
    r"^\s*(?:from|von|de|da|van|expéditeur)\s*:.*\b(?:support|help|helpdesk|service|noreply|no-reply|donotreply|billing"
    r"|notifications?|team|suporte|soporte|kundenservice|servicio|atendimento)\b",
    re.IGNORECASE,
)


def _own_words(lines: list[str], start: int = 0) -> tuple[str, int | None]:
    """The text from ``start`` to the first quote, signature or disclaimer, and the index of the forward header it ended at."""
    kept: list[str] = []
    for number in range(start, len(lines)):
        line = lines[number]
        if _QUOTE_HEADER.match(line) or _SIGNATURE.match(line) or _DISCLAIMER.match(line):
            return "\n".join(kept).strip(), (number if _FORWARD_HEADER.match(line) else None)
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return "\n".join(kept).strip(), None


def customer_text(body: str) -> str:
    """The part of an e-mail the customer wrote now (see the module docstring)."""
    lines = (body or "").splitlines()
    own, forward_at = _own_words(lines)
    if sum(ch.isalpha() for ch in own) < 3:
        # Nothing above the quote: the customer answered inline or below it.
        return "\n".join(line for line in lines if not line.lstrip().startswith(">")).strip()
    parts = [own]
    words = len(own.split())
    # A cover note above a forward: the forwarded message's words follow (down a chain of forwards while short).
    while forward_at is not None and words < COVER_NOTE_WORDS:
        start = forward_at + 1
        vendor = False
        while start < len(lines) and (not lines[start].strip() or _HEADER_LINE.match(lines[start])):
            vendor = vendor or bool(_VENDOR_SENDER.match(lines[start]))
            start += 1
        if vendor:
            break
        forwarded, forward_at = _own_words(lines, start)
        if not forwarded:
            break
        parts.append(forwarded)
        words += len(forwarded.split())
    return "\n\n".join(parts)
