"""The customer's own words in an e-mail: no quoted thread, no forwarded original, no signature or disclaimer.

Pure Python (no Django). Triage reads this; agents always see the full message. The rules
are line-based and multilingual (English, German, French, Spanish, Portuguese, Italian,
Dutch): the text ends at the first header of a quoted or forwarded message, at a signature
separator or a "sent from my phone" line, or at a confidentiality disclaimer; ``>`` lines
are dropped wherever they are (inline replies). If nothing is left (a customer who wrote
only below the quote), the whole text without ``>`` lines is used.
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
    r"|mensaje reenviado|mensagem encaminhada)\s*-{2,}"
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


def customer_text(body: str) -> str:
    """The part of an e-mail the customer wrote now (see the module docstring)."""
    kept: list[str] = []
    for line in (body or "").splitlines():
        if _QUOTE_HEADER.match(line) or _SIGNATURE.match(line) or _DISCLAIMER.match(line):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line)
    own = "\n".join(kept).strip()
    if sum(ch.isalpha() for ch in own) < 3:
        # Nothing above the quote: the customer answered inline or below it.
        return "\n".join(line for line in (body or "").splitlines() if not line.lstrip().startswith(">")).strip()
    return own
