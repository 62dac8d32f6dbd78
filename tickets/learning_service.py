"""The learning loop: people's labels → a candidate version → promoted only if it is better on held-out labels.

What counts as a label, the split and the promotion rule are in the README ("Learning from
people"); the pure parts are ``tickets/triage/learning.py``. Steps of :func:`retrain_from_desk`:

1. Read each ticket's latest human label (``TrainingLabel``: an agent confirmed the model's
   category in Needs triage, or set or changed a category or a priority). Tickets resolved
   with the model's category untouched are weak labels: counted, never trained or judged on.
2. Split by ticket id, permanently: ``sha256(id) % 5 == 0`` is held out.
3. Nothing happens with too few training labels, or too few held-out category labels to
   judge a candidate on (a version that cannot be judged is never promoted).
4. Train the category model on the seed corpus plus the training split's category labels,
   then fit per-category priority weights on the training split's priority labels; the
   weights are saved inside the model file, so every process that loads the version (the
   worker, ``evaluate_triage --model``) triages with them.
5. Score the candidate and the active version on the same held-out labels through the same
   function the worker runs (category report per class, priority band error), record both
   reports on the new ``ModelVersion`` (admin shows them side by side) and activate it only
   if :func:`tickets.triage.learning.decide_promotion` says it is better.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tickets.models import ModelVersion, Ticket, TicketStatus, TrainingLabel, TriageSettings
from tickets.triage import analysis, default_model, learning
from tickets.triage.classifier import TextClassifier, build_classifier
from tickets.triage.evaluate import evaluate
from tickets.triage_service import (
    TrainingSummary,
    activate_version,
    active_version,
    analyze_facts,
    load_version,
    model_dir,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PriorityLabel:
    ticket_id: int
    facts: analysis.Facts
    category: str | None  # the human category label when the ticket has one
    priority: int


@dataclass
class DeskLabels:
    """The desk's human labels, split by ticket id (``learning.is_held_out``)."""

    category_train: list[tuple[int, str, str]] = field(default_factory=list)  # (ticket id, text, category)
    category_holdout: list[tuple[int, str, str]] = field(default_factory=list)
    priority_train: list[PriorityLabel] = field(default_factory=list)
    priority_holdout: list[PriorityLabel] = field(default_factory=list)
    weak_excluded: int = 0  # resolved tickets whose category nobody confirmed or changed

    def counts(self) -> dict[str, int]:
        return {
            "category_train": len(self.category_train),
            "category_holdout": len(self.category_holdout),
            "priority_train": len(self.priority_train),
            "priority_holdout": len(self.priority_holdout),
            "weak_excluded": self.weak_excluded,
        }


def _latest_labels(field_name: str) -> dict[int, str]:
    rows = TrainingLabel.objects.filter(field=field_name).order_by("ticket_id", "created_at", "pk").values_list("ticket_id", "new_value")
    return dict(rows.iterator())  # a later label of the same ticket overwrites an earlier one


def _priority_value(value: str) -> int | None:
    digits = value.strip().upper().removeprefix("P")
    return int(digits) if digits in {"0", "1", "2", "3"} else None


def desk_labels() -> DeskLabels:
    """Every ticket's latest human category and priority label, split into training and held-out."""
    categories = _latest_labels(TrainingLabel.Field.CATEGORY)
    priorities = {pk: p for pk, value in _latest_labels(TrainingLabel.Field.PRIORITY).items() if (p := _priority_value(value)) is not None}
    labels = DeskLabels()
    tickets = (
        # A subquery, not a list of ids: a desk with many labels stays under SQLite's parameter limit.
        Ticket.objects.filter(pk__in=TrainingLabel.objects.values("ticket_id"))
        .order_by("pk")
        .values_list("pk", "subject", "body", "customer__tier", "customer__lifetime_value", "repeat_count")
    )
    for pk, subject, body, tier, lifetime_value, repeat_count in tickets.iterator():
        if pk not in categories and pk not in priorities:
            continue  # only a label with an unreadable priority
        held_out = learning.is_held_out(pk)
        category = categories.get(pk)
        if category:
            (labels.category_holdout if held_out else labels.category_train).append((pk, analysis.triage_text(subject, body), category))
        if pk in priorities:
            facts = analysis.Facts(
                subject=subject, body=body, tier=tier, lifetime_value=float(lifetime_value or 0), repeat_count=repeat_count
            )
            row = PriorityLabel(ticket_id=pk, facts=facts, category=category, priority=priorities[pk])
            (labels.priority_holdout if held_out else labels.priority_train).append(row)
    labels.weak_excluded = (
        Ticket.objects.filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED], category__isnull=False)
        .exclude(pk__in=TrainingLabel.objects.filter(field=TrainingLabel.Field.CATEGORY).values("ticket_id"))
        .count()
    )
    return labels


def judge(classifier: Any, labels: DeskLabels, *, config: TriageSettings) -> dict[str, Any]:
    """One version's report on the held-out labels: category per class, priority band error.

    Priority is scored on the whole triage the worker runs (the version's predicted category,
    its learned weights, the confidence threshold), against what people set.
    """
    report: dict[str, Any] = {}
    if labels.category_holdout:
        texts = [text for _, text, _ in labels.category_holdout]
        truth = [category for _, _, category in labels.category_holdout]
        category = evaluate(classifier, texts, truth, threshold=config.confidence_threshold)
        report["category"] = {key: category[key] for key in ("n", "accuracy", "macro_f1", "per_class", "coverage", "accuracy_at_threshold")}
    predicted = [analyze_facts(row.facts, config=config, classifier=classifier).decision.priority for row in labels.priority_holdout]
    report["priority"] = learning.priority_report(predicted, [row.priority for row in labels.priority_holdout])
    return report


def fit_priority_weights(classifier: Any, labels: DeskLabels, *, config: TriageSettings) -> dict[str, float]:
    """Per-category priority weights learned from the training split's priority labels (admin's own weights stay)."""
    examples = []
    for row in labels.priority_train:
        result = analyze_facts(row.facts, config=config, classifier=classifier)
        # The category as people know it; without a human label, what triage itself would use.
        examples.append(
            learning.PriorityExample(
                signals=result.priority_input, category=row.category or result.priority_input.category, priority=row.priority
            )
        )
    admin_weights = dict(config.priority_weights or {})
    return learning.fit_priority_adjustments(examples, base_weights=admin_weights, fixed=admin_weights)


def _version_name() -> str:
    base = f"desk-{timezone.now():%Y%m%d-%H%M%S}"
    name, n = base, 1
    while ModelVersion.objects.filter(name=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def retrain_from_desk(
    *,
    min_labels: int | None = None,
    min_holdout: int | None = None,
    min_priority_holdout: int | None = None,
    kind: str | None = None,
) -> TrainingSummary | None:
    """Train a candidate on the seed corpus plus people's labels; promote it only if it beats the active one.

    Returns None (and records nothing) when there are fewer than ``min_labels`` training
    category labels or fewer than ``min_holdout`` held-out ones. Defaults come from the
    ``TRIAGE_RETRAIN_*`` settings. See the module docstring for the steps.
    """
    min_labels = settings.TRIAGE_RETRAIN_MIN_LABELS if min_labels is None else min_labels
    min_holdout = settings.TRIAGE_RETRAIN_MIN_HOLDOUT if min_holdout is None else min_holdout
    min_priority_holdout = settings.TRIAGE_RETRAIN_MIN_PRIORITY_HOLDOUT if min_priority_holdout is None else min_priority_holdout
    labels = desk_labels()
    counts = labels.counts()
    if counts["category_train"] < min_labels:
        logger.info("retrain skipped: %s human category labels to train on (< %s)", counts["category_train"], min_labels)
        return None
    if counts["category_holdout"] < min_holdout:
        # A candidate that cannot be judged is never promoted; do not even train one.
        logger.info("retrain skipped: %s held-out human category labels (< %s)", counts["category_holdout"], min_holdout)
        return None
    config = TriageSettings.current()
    seed_texts, seed_labels = default_model.training_data()
    texts = seed_texts + [text for _, text, _ in labels.category_train]
    targets = seed_labels + [category for _, _, category in labels.category_train]
    classifier = build_classifier(kind or settings.TRIAGE_RETRAIN_KIND).fit(texts, targets)
    weights = fit_priority_weights(classifier, labels, config=config)
    classifier.metadata["priority_weights"] = weights

    candidate_report = judge(classifier, labels, config=config)
    active = active_version()
    active_report: dict[str, Any] | None = None
    if active is not None:
        try:
            active_report = {"name": active.name, **judge(load_version(active), labels, config=config)}
        except Exception:  # noqa: BLE001 - an unreadable active model is beaten by any working one
            logger.warning("active model %s could not be scored", active.name, exc_info=True)
    decision = learning.decide_promotion(
        candidate_accuracy=candidate_report["category"]["accuracy"],
        active_accuracy=active_report["category"]["accuracy"] if active_report else None,
        category_labels=counts["category_holdout"],
        candidate_priority_error=candidate_report["priority"].get("mean_band_error"),
        active_priority_error=active_report["priority"].get("mean_band_error") if active_report else None,
        priority_labels=counts["priority_holdout"],
        min_category_labels=min_holdout,
        min_priority_labels=min_priority_holdout,
    )
    metrics: dict[str, Any] = {
        "accuracy": candidate_report["category"]["accuracy"],
        "macro_f1": candidate_report["category"]["macro_f1"],
        "per_class": candidate_report["category"]["per_class"],
        "holdout": {"rule": "sha256(ticket id) % 5 == 0", "candidate": candidate_report, "active": active_report},
        "promotion": {"promoted": decision.promote, "reason": decision.reason},
        "labels": counts,
        "priority_weights": weights,
    }
    return _register(classifier, name=_version_name(), metrics=metrics, training_size=len(texts), promote=decision.promote)


def _register(classifier: TextClassifier, *, name: str, metrics: dict[str, Any], training_size: int, promote: bool) -> TrainingSummary:
    path = model_dir() / f"{name}.joblib"
    classifier.save(path)
    with transaction.atomic():
        version = ModelVersion.objects.create(
            name=name,
            kind=classifier.metadata.get("kind", "tfidf"),
            file_path=str(path),
            training_size=training_size,
            accuracy=metrics.get("accuracy"),
            macro_f1=metrics.get("macro_f1"),
            metrics=metrics,
            labels=list(classifier.labels),
        )
        if promote:
            activate_version(version)
    logger.info("retrained %s: %s", name, metrics["promotion"]["reason"])
    return TrainingSummary(version=version, metrics=metrics, promoted=promote)
