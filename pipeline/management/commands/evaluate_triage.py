"""``manage.py evaluate_triage --csv PATH [--model NAME] --json``: the whole triage on a labelled CSV, nothing written.

Each row (``subject, body`` and optionally ``tier, category, priority, escalate, language``)
goes through the function the worker runs (``tickets.triage_service.analyze_facts``:
customer's words, language, category with confidence, signals, priority) and the escalation
engine's assessment of a new ticket with those results. Prints the figures as JSON.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from escalation_engine.models import EscalationSettings
from escalation_engine.sweep import assess
from tickets import triage_service
from tickets.models import AuthorKind, Customer, ModelVersion, Ticket, TriageSettings
from tickets.triage.analysis import Analysis, Facts

ESCALATING = ("priority", "immediate")


def escalation_recommendation(facts: Facts, result: Analysis, config: EscalationSettings) -> str:
    """What the engine recommends for a new ticket with these triage results (an unsaved ticket: no query)."""
    ticket = Ticket(
        subject=facts.subject,
        body=facts.body,
        customer=Customer(email="evaluate@example.invalid", tier=facts.tier, lifetime_value=facts.lifetime_value),
        priority=result.decision.priority,
        frustration_score=result.mood.frustration_score,
        sentiment_score=result.mood.compound,
        urgency_score=result.found.urgency_score,
        legal_score=result.found.legal_score,
        churn_score=result.found.churn_score,
        escalation_lean=result.severity.escalate if result.severity is not None else None,
        repeat_count=facts.repeat_count,
    )
    now = timezone.now()
    return assess(ticket, now=now, config=config, messages=[(AuthorKind.CUSTOMER, result.mood.compound, now)]).recommendation


def _ratio(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def _flag(value: str) -> bool | None:
    value = (value or "").strip().lower()
    if value in ("1", "true", "yes", "y"):
        return True
    if value in ("0", "false", "no", "n"):
        return False
    return None


def _priority(value: str) -> int | None:
    value = (value or "").strip().upper().removeprefix("P")
    return int(value) if value in ("0", "1", "2", "3") else None


def evaluate_rows(rows: list[dict[str, str]], *, classifier: Any, config: TriageSettings, escalation: EscalationSettings) -> dict[str, Any]:
    n = len(rows)
    category_total = category_hits = covered = covered_hits = 0
    priority_total = priority_exact = priority_near = 0
    p0_total = p0_hits = p0p1_total = p0p1_hits = 0
    escalate_tp = escalate_fp = escalate_fn = 0
    language_total = language_hits = 0
    per_language: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    timings: list[float] = []
    for row in rows:
        facts = Facts(subject=row.get("subject", ""), body=row.get("body", ""), tier=(row.get("tier") or "bronze").strip())
        started = time.perf_counter()
        result = triage_service.analyze_facts(facts, config=config, classifier=classifier)
        recommendation = escalation_recommendation(facts, result, escalation)
        timings.append((time.perf_counter() - started) * 1000)
        expected_category = (row.get("category") or "").strip()
        expected_language = (row.get("language") or "").strip()
        if expected_category:
            right = result.label == expected_category
            category_total += 1
            category_hits += right
            if result.confident:
                covered += 1
                covered_hits += right
            if expected_language:
                per_language[expected_language][0] += 1
                per_language[expected_language][1] += right
        expected_priority = _priority(row.get("priority", ""))
        if expected_priority is not None:
            got = result.decision.priority
            priority_total += 1
            priority_exact += got == expected_priority
            priority_near += abs(got - expected_priority) <= 1
            if expected_priority == 0:
                p0_total += 1
                p0_hits += got == 0
            if expected_priority <= 1:
                p0p1_total += 1
                p0p1_hits += got <= 1
        expected_escalate = _flag(row.get("escalate", ""))
        if expected_escalate is not None:
            predicted = recommendation in ESCALATING
            escalate_tp += predicted and expected_escalate
            escalate_fp += predicted and not expected_escalate
            escalate_fn += expected_escalate and not predicted
        if expected_language:
            language_total += 1
            language_hits += result.language.code == expected_language
    ordered = sorted(timings)
    return {
        "n": n,
        "category_accuracy": _ratio(category_hits, category_total),
        "coverage": _ratio(covered, category_total),
        "accuracy_at_threshold": _ratio(covered_hits, covered),
        "confidence_threshold": config.confidence_threshold,
        "priority_exact": _ratio(priority_exact, priority_total),
        "priority_within_one": _ratio(priority_near, priority_total),
        "p0_recall": _ratio(p0_hits, p0_total),
        "p0p1_recall": _ratio(p0p1_hits, p0p1_total),
        "escalate_precision": _ratio(escalate_tp, escalate_tp + escalate_fp),
        "escalate_recall": _ratio(escalate_tp, escalate_tp + escalate_fn),
        "language_accuracy": _ratio(language_hits, language_total),
        "category_accuracy_by_language": {code: _ratio(hits, total) for code, (total, hits) in sorted(per_language.items())},
        "p50_ms": round(statistics.median(ordered), 2) if ordered else None,
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2) if ordered else None,
    }


class Command(BaseCommand):
    help = "Run the whole triage on a labelled CSV (subject, body[, tier, category, priority, escalate, language]); writes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, type=Path)
        parser.add_argument("--model", default="", help="A model version's name (default: the active one).")
        parser.add_argument("--json", action="store_true", help="Print JSON (the only output format).")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        if not rows or not {"subject", "body"} <= set(rows[0]):
            raise CommandError(f"{path} needs a header with at least the columns subject and body.")
        if options["model"]:
            version = ModelVersion.objects.filter(name=options["model"]).first()
            if version is None:
                names = ", ".join(ModelVersion.objects.values_list("name", flat=True)[:20]) or "none"
                raise CommandError(f"No model version {options['model']!r} (known: {names}).")
            classifier = triage_service.load_version(version)
        else:
            active = triage_service.active_version()
            classifier = triage_service.load_version(active) if active else triage_service.seed_classifier()
        # Read, never create: a fresh database evaluates with the defaults a fresh desk has.
        config = TriageSettings.objects.filter(pk=1).first() or TriageSettings()
        escalation = EscalationSettings.objects.filter(pk=1).first() or EscalationSettings()
        report = evaluate_rows(rows, classifier=classifier, config=config, escalation=escalation)
        self.stdout.write(json.dumps(report, indent=2))
