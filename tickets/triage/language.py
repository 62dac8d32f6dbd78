"""The language a customer wrote in, from the text they wrote (not the thread they quoted).

Pure Python (no Django). ``py3langid`` ships its model; it is loaded once per process and
restricted to the languages a help desk plausibly receives (``SUPPORTED``), which makes short
messages far more reliable than choosing among all 97. Below ``MIN_CONFIDENCE`` the answer
is "" (unknown): a routing rule on language then simply does not match, rather than
sending a one-word "Danke!" to the Danish team.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

SUPPORTED = (
    "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "no", "fi", "cs", "tr", "ru", "uk", "ja", "zh", "ko", "ar",
)  # fmt: skip
MIN_CONFIDENCE = 0.5
MIN_LETTERS = 12

_lock = threading.Lock()
_identifier: Any = None


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, or "" when unsure
    confidence: float


def _model() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(SUPPORTED))
                _identifier = identifier
    return _identifier


def detect(subject: str, own: str) -> Language:
    """The customer's language from their own words (the subject helps when the body is short).

    ``own`` is the body already reduced to the customer's words (``text.customer_text``), as
    ``analysis.analyze`` has it; quoted threads would otherwise vote for the agent's language.
    """
    text = own
    if sum(ch.isalpha() for ch in text) < 40:
        text = f"{subject}\n{text}"
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return Language("", 0.0)
    code, confidence = _model().classify(text)
    confidence = float(confidence)
    return Language(code if confidence >= MIN_CONFIDENCE else "", round(confidence, 4))
