"""Urgency and legal/compliance keywords and entities found in a ticket's text.

Keywords match on word boundaries, case-insensitively, with any run of whitespace between
the words of a phrase ("data   loss" matches "data loss"), so "sue" never matches "issue".
Each keyword mapping is compiled once into one alternation regex and cached.

Scores: ``urgency_score`` / ``legal_score`` are the highest weight hit plus 0.1 for every
further distinct term, capped at 1 — one strong term decides, more terms nudge it up.
"""

from __future__ import annotations

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
    "compliance": 0.5,
    "breach of contract": 0.9,
    "liable": 0.7,
    "liability": 0.6,
    "cease and desist": 1.0,
    "report you": 0.6,
    "better business bureau": 0.7,
    "ccpa": 0.7,
    "hipaa": 0.7,
}


@dataclass(frozen=True)
class Signals:
    urgency_hits: list[tuple[str, float]] = field(default_factory=list)
    legal_hits: list[tuple[str, float]] = field(default_factory=list)
    entities: dict[str, list[str]] = field(default_factory=dict)
    urgency_score: float = 0.0
    legal_score: float = 0.0


@lru_cache(maxsize=32)
def _keyword_pattern(items: tuple[tuple[str, float], ...]) -> re.Pattern[str] | None:
    terms = sorted({term.strip().lower() for term, _ in items if term.strip()}, key=len, reverse=True)
    if not terms:
        return None
    alternation = "|".join(r"\s+".join(re.escape(word) for word in term.split()) for term in terms)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def _normalize(term: str) -> str:
    return " ".join(term.lower().split())


def _keyword_hits(text: str, keywords: Mapping[str, float]) -> list[tuple[str, float]]:
    """Distinct terms found, strongest first (ties keep the order they appear in)."""
    items = tuple(sorted((_normalize(term), float(weight)) for term, weight in keywords.items()))
    pattern = _keyword_pattern(items)
    if pattern is None:
        return []
    weights = dict(items)
    found: dict[str, float] = {}
    for match in pattern.finditer(text):
        term = _normalize(match.group(0))
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


def extract(
    text: str,
    *,
    urgency_keywords: Mapping[str, float] | None = None,
    legal_keywords: Mapping[str, float] | None = None,
) -> Signals:
    """Urgency and legal keyword hits with their scores, and the entities in ``text``."""
    urgency_hits = _keyword_hits(text, DEFAULT_URGENCY_KEYWORDS if urgency_keywords is None else urgency_keywords)
    legal_hits = _keyword_hits(text, DEFAULT_LEGAL_KEYWORDS if legal_keywords is None else legal_keywords)
    return Signals(
        urgency_hits=urgency_hits,
        legal_hits=legal_hits,
        entities=extract_entities(text),
        urgency_score=_score(urgency_hits),
        legal_score=_score(legal_hits),
    )
