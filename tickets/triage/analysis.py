"""The whole triage of one message, as one pure function: the worker and ``evaluate_triage`` both call it.

Pure Python (no Django). The caller passes the active classifier and the settings; the
result carries everything triage stores: the customer's own words (quoted threads and
signatures removed), language, category with confidence, sentiment and frustration, the
urgency and legal signals, and the priority with its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tickets.triage import language, priority, sentiment, signals
from tickets.triage.text import customer_text


@dataclass(frozen=True)
class Facts:
    """What triage knows about a message and its sender."""

    subject: str
    body: str
    tier: str = "bronze"
    lifetime_value: float = 0.0
    repeat_count: int = 0


@dataclass(frozen=True)
class Settings:
    confidence_threshold: float
    urgency_keywords: Mapping[str, float]
    legal_keywords: Mapping[str, float]
    priority_weights: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Analysis:
    text: str  # subject and the customer's own words: what the classifier and the signals read
    language: language.Language
    label: str
    confidence: float
    alternatives: list[tuple[str, float]]
    confident: bool
    mood: sentiment.Sentiment
    found: signals.Signals
    decision: priority.PriorityDecision
    priority_input: priority.PriorityInput  # the signals the priority was scored from (the learning loop refits on them)
    severity: Any = None  # severity.Severity: how serious the words read, and whether a supervisor should see it


# What triage reads of one message: the customer's own words up to here (about 800 words; a
# longer message is a log or a paste, and its start says what it is about). Agents see all of it.
MAX_TRIAGE_CHARS = 5_000


def customer_words(body: str) -> str:
    """The part of a message triage reads: the customer's own words, at most ``MAX_TRIAGE_CHARS``."""
    return customer_text(body)[:MAX_TRIAGE_CHARS]


def triage_text(subject: str, body: str) -> str:
    """What the classifier reads of a ticket (and what the learning loop trains and judges on)."""
    return f"{subject}\n{customer_words(body)}".strip()


def analyze(facts: Facts, *, classifier: Any, settings: Settings, severity_model: Any = None) -> Analysis:
    own = customer_words(facts.body)
    text = f"{facts.subject}\n{own}".strip()
    prediction = classifier.predict(text)
    read = severity_model.predict(text) if severity_model is not None else None
    mood = sentiment.analyze(own)
    found = signals.extract(text, urgency_keywords=settings.urgency_keywords, legal_keywords=settings.legal_keywords)
    confident = prediction.confidence >= settings.confidence_threshold
    priority_input = priority.PriorityInput(
        frustration_score=mood.frustration_score,
        compound=mood.compound,
        urgency_score=found.urgency_score,
        urgency_terms=[term for term, _ in found.urgency_hits],
        legal_score=found.legal_score,
        legal_terms=[term for term, _ in found.legal_hits],
        tier=facts.tier,
        lifetime_value=facts.lifetime_value,
        repeat_count=facts.repeat_count,
        category=prediction.label if confident else None,
        impact=found.impact,
        impact_terms=[*found.severe_hits, *found.scope_hits],
        churn_score=found.churn_score,
        churn_terms=[term for term, _ in found.churn_hits],
        severity_urgent=read.urgent if read else None,
        severity_critical=read.critical if read else None,
        severity_cues=list(read.cues) if read else [],
    )
    decision = priority.score_priority(priority_input, weights=settings.priority_weights or None)
    return Analysis(
        text=text,
        language=language.detect(facts.subject, own),
        label=prediction.label,
        confidence=prediction.confidence,
        alternatives=list(prediction.alternatives),
        confident=confident,
        mood=mood,
        found=found,
        decision=decision,
        priority_input=priority_input,
        severity=read,
    )
