"""Django side of triage: load the active model, run the pure core, store the result.

The core (``tickets/triage/``) knows nothing about Django. This module caches the active
classifier per process, turns a ticket into the core's inputs, and sets category,
confidence, sentiment, signals and priority with its reasons on the locked ticket. Article
suggestions and the auto-reply draft belong to the help centre (``helpcenter/suggestions.py``),
which the pipeline calls with :class:`TriageResult` before the ticket's one save.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from foundation import config_cache
from tickets.models import (
    AuthorKind,
    Category,
    Interaction,
    ModelVersion,
    Ticket,
    TicketEvent,
    TicketStatus,
    TriageSettings,
)
from tickets.triage import analysis, sentiment, signals
from tickets.triage.classifier import TextClassifier, build_classifier
from tickets.triage.evaluate import evaluate, read_labelled_csv

logger = logging.getLogger(__name__)

SEED_CORPUS = Path(__file__).resolve().parent / "triage" / "seed_corpus.csv"
DEFAULT_MODEL_NAME = "seed-default"

_lock = threading.Lock()
_classifier: tuple[int, TextClassifier] | None = None


def model_dir() -> Path:
    path = Path(settings.TRIAGE_MODEL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class TrainingSummary:
    version: ModelVersion
    metrics: dict[str, Any]
    promoted: bool


def train_and_register(
    *,
    texts: list[str],
    labels: list[str],
    name: str,
    activate: bool,
    kind: str = "tfidf",
    holdout_texts: list[str] | None = None,
    holdout_labels: list[str] | None = None,
    only_if_better: bool = False,
    progress: Any = None,
) -> TrainingSummary:
    """Train a classifier, evaluate it on the hold-out split, save it and record a ModelVersion.

    With ``only_if_better`` the new version is activated only when it beats the active one
    on the same hold-out texts.
    """
    if ModelVersion.objects.filter(name=name).exists():
        raise ValueError(f"a model version named {name!r} already exists")
    classifier = build_classifier(kind).fit(texts, labels, progress=progress)
    metrics: dict[str, Any] = {}
    if holdout_texts:
        metrics = evaluate(classifier, holdout_texts, holdout_labels or [], threshold=TriageSettings.current().confidence_threshold)
    path = model_dir() / f"{name}.joblib"
    classifier.save(path)
    promote = activate
    if only_if_better and holdout_texts:
        current = active_version()
        if current is not None:
            try:
                baseline = evaluate(load_version(current), holdout_texts, holdout_labels or [])
            except Exception:  # noqa: BLE001 - an unreadable active model is beaten by any working one
                logger.warning("active model %s could not be evaluated", current.name, exc_info=True)
                baseline = {"accuracy": -1.0}
            promote = metrics["accuracy"] > baseline["accuracy"]
            metrics["baseline_accuracy"] = baseline["accuracy"]
    with transaction.atomic():
        version = ModelVersion.objects.create(
            name=name,
            kind=classifier.metadata.get("kind", kind),
            file_path=str(path),
            training_size=len(texts),
            accuracy=metrics.get("accuracy"),
            macro_f1=metrics.get("macro_f1"),
            metrics=metrics,
            labels=list(classifier.labels),
        )
        if promote:
            activate_version(version)
    return TrainingSummary(version=version, metrics=metrics, promoted=promote)


def activate_version(version: ModelVersion) -> None:
    with transaction.atomic():
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
        version.is_active = True
        config_cache.changed("triage")  # update() sends no signal


def active_version() -> ModelVersion | None:
    """The active model version (cached per process until a version changes)."""
    return config_cache.cached("triage", "active_version", lambda: ModelVersion.objects.filter(is_active=True).first())


def load_version(version: ModelVersion) -> TextClassifier:
    return TextClassifier.load(Path(version.file_path))


def _seed_model_path() -> Path:
    # Named after the corpus content, so a changed corpus never reuses a stale file.
    digest = hashlib.sha256(SEED_CORPUS.read_bytes()).hexdigest()[:12]
    return model_dir() / f"{DEFAULT_MODEL_NAME}-{digest}.joblib"


def ensure_default_model() -> ModelVersion:
    """The active model; on first use, the default trained on the project's seed corpus.

    The trained file is reused when it already exists for this exact corpus (e.g. after the
    database was recreated), so only the first start of a machine pays for training.
    """
    version = active_version()
    if version is not None:
        return version
    path = _seed_model_path()
    with transaction.atomic():
        # One trainer at a time across processes: lock the (single) settings row.
        TriageSettings.current()
        TriageSettings.objects.select_for_update().get(pk=1)
        version = ModelVersion.objects.filter(is_active=True).first()  # another process may have won
        if version is not None:
            return version
        classifier = seed_classifier()
        existing = ModelVersion.objects.filter(name=DEFAULT_MODEL_NAME).first()
        name = (
            DEFAULT_MODEL_NAME if existing is None else f"{DEFAULT_MODEL_NAME}-{path.stem.rsplit('-', 1)[-1]}-{timezone.now():%Y%m%d%H%M%S}"
        )
        version = ModelVersion.objects.create(
            name=name,
            kind=classifier.metadata.get("kind", "tfidf"),
            file_path=str(path),
            training_size=int(classifier.metadata.get("train_size", 0) or 0),
            labels=list(classifier.labels),
        )
        activate_version(version)
    return version


def seed_classifier() -> TextClassifier:
    """The default model a fresh desk installs, without registering it (nothing is written to the database).

    Trained on the seed corpus once per machine: the file is named after the corpus content
    and reused by every later caller.
    """
    path = _seed_model_path()
    if path.exists():
        return TextClassifier.load(path)
    texts, labels = read_labelled_csv(SEED_CORPUS, text_col="text", label_col="label")
    classifier = build_classifier("tfidf").fit(texts, labels)
    classifier.save(path)
    return classifier


def active_classifier() -> tuple[ModelVersion, TextClassifier]:
    """The active classifier, loaded once per process and reloaded when another version is activated."""
    global _classifier
    version = ensure_default_model()
    with _lock:
        if _classifier is None or _classifier[0] != version.pk:
            _classifier = (version.pk, load_version(version))
        return version, _classifier[1]


def _keyword_maps(config: TriageSettings) -> tuple[dict[str, float], dict[str, float]]:
    urgency = {**signals.DEFAULT_URGENCY_KEYWORDS, **(config.urgency_keywords or {})}
    legal = {**signals.DEFAULT_LEGAL_KEYWORDS, **(config.legal_keywords or {})}
    # A weight of 0 in the admin switches a default term off.
    return {k: v for k, v in urgency.items() if v > 0}, {k: v for k, v in legal.items() if v > 0}


def triage_settings(config: TriageSettings) -> analysis.Settings:
    urgency_terms, legal_terms = _keyword_maps(config)
    return analysis.Settings(
        confidence_threshold=config.confidence_threshold,
        urgency_keywords=urgency_terms,
        legal_keywords=legal_terms,
        priority_weights=config.priority_weights or None,
    )


def analyze_facts(facts: analysis.Facts, *, config: TriageSettings | None = None, classifier: Any = None) -> analysis.Analysis:
    """The triage of one message with the active model and settings: what the worker stores and ``evaluate_triage`` scores."""
    config = config or config_cache.cached("triage", "settings", TriageSettings.current)
    if classifier is None:
        _, classifier = active_classifier()
    return analysis.analyze(facts, classifier=classifier, settings=triage_settings(config))


def analyze_interaction(*, interaction_id: int) -> Interaction | None:
    """Sentiment and frustration of one customer message, stored for trend analysis."""
    interaction = Interaction.objects.filter(pk=interaction_id).select_related("ticket").first()
    if interaction is None or interaction.author_kind != AuthorKind.CUSTOMER:
        return interaction
    result = sentiment.analyze(interaction.body)
    urgency_terms, legal_terms = _keyword_maps(config_cache.cached("triage", "settings", TriageSettings.current))
    found = signals.extract(interaction.body, urgency_keywords=urgency_terms, legal_keywords=legal_terms)
    legal, urgency = round(found.legal_score, 4), round(found.urgency_score, 4)
    with transaction.atomic():
        Interaction.objects.filter(pk=interaction.pk).update(
            sentiment_score=result.compound, frustration_score=result.frustration_score, legal_score=legal, urgency_score=urgency
        )
        # The ticket's legal and urgency signals only grow: a later calm message does not take back a threat.
        Ticket.objects.filter(pk=interaction.ticket_id).update(
            sentiment_score=result.compound,
            frustration_score=result.frustration_score,
            legal_score=Greatest(Coalesce("legal_score", Value(0.0)), Value(legal)),
            urgency_score=Greatest(Coalesce("urgency_score", Value(0.0)), Value(urgency)),
        )
    interaction.sentiment_score, interaction.frustration_score = result.compound, result.frustration_score
    interaction.legal_score, interaction.urgency_score = legal, urgency
    return interaction


def _category(slug: str) -> Category:
    """The category the model predicted (created on first sight), from the per-process cache."""
    categories = config_cache.cached("triage", "categories", lambda: {c.slug: c for c in Category.objects.select_related("team", "skill")})
    category = categories.get(slug)
    if category is None:
        category, _ = Category.objects.get_or_create(slug=slug[:64], defaults={"name": slug.replace("_", " ").capitalize()[:120]})
    return category


@dataclass(frozen=True)
class TriageResult:
    """What triage decided about a ticket, for the steps the pipeline runs after it."""

    priority: int  # the priority triage decided (see apply_triage for who applies it)
    label: str  # the predicted category's slug, also when triage was unsure
    confidence: float
    confident: bool  # confidence reached the threshold: routed, and an auto-reply may be drafted
    text: str  # what was classified: the subject and the customer's own words
    settings: TriageSettings  # the settings triage ran with (thresholds, the auto-reply's minimum score)


def apply_triage(locked: Ticket) -> TriageResult:
    """Classify, score and explain a locked ticket; sets the results on it without saving it.

    Writes the customer's messages' sentiment and the ``triaged`` event; the caller (the
    pipeline) adds the help centre's article suggestions and saves the ticket once. A ticket
    without an SLA clock gets the decided priority here; a ticket whose clock already runs
    keeps its priority, and the pipeline moves it and its clocks together.
    """
    config = config_cache.cached("triage", "settings", TriageSettings.current)
    version, classifier = active_classifier()
    result = analyze_facts(
        analysis.Facts(
            subject=locked.subject,
            body=locked.body,
            tier=locked.customer.tier,
            lifetime_value=float(locked.customer.lifetime_value),
            repeat_count=locked.repeat_count,
        ),
        config=config,
        classifier=classifier,
    )
    text, mood, found, confident, decision = result.text, result.mood, result.found, result.confident, result.decision
    category = _category(result.label)
    locked.category = category
    if not locked.language:  # a caller that knows the language (a portal in German) keeps it
        locked.language = result.language.code
    locked.category_confidence = round(result.confidence, 4)
    locked.category_alternatives = [[label, round(p, 4)] for label, p in result.alternatives]
    locked.needs_triage = not confident
    locked.model_version = version
    locked.sentiment_score = round(mood.compound, 4)
    locked.frustration_score = round(mood.frustration_score, 4)
    locked.urgency_score = round(found.urgency_score, 4)
    locked.legal_score = round(found.legal_score, 4)
    locked.churn_score = round(found.churn_score, 4)
    if locked.sla_policy_id is None:
        locked.priority = decision.priority  # the clock starts with the policy for this priority (the pipeline)
    locked.priority_score = round(decision.score, 4)
    locked.priority_reasons = [
        {"signal": r.signal, "label": r.label, "contribution": round(r.contribution, 4)} for r in decision.reasons
    ] or [{"signal": "none", "label": "no urgency, impact, legal or frustration signal", "contribution": 0.0}]
    locked.entities = found.entities
    locked.triaged_at = timezone.now()
    if locked.status == TicketStatus.NEW:
        locked.status = TicketStatus.TRIAGED
    Interaction.objects.filter(ticket=locked, author_kind=AuthorKind.CUSTOMER, sentiment_score__isnull=True).update(
        sentiment_score=locked.sentiment_score, frustration_score=locked.frustration_score
    )
    TicketEvent.objects.create(
        ticket=locked,
        kind="triaged",
        detail={
            "category": category.slug,
            "confidence": locked.category_confidence,
            "needs_triage": locked.needs_triage,
            "priority": f"P{decision.priority}",
            "why": decision.explain(),
            "model": version.name,
            "sentiment": mood.cues,
        },
    )
    return TriageResult(
        priority=decision.priority,
        label=result.label,
        confidence=result.confidence,
        confident=confident,
        text=text,
        settings=config,
    )


def training_rows_from_desk() -> tuple[list[str], list[str]]:
    """Texts and labels from resolved tickets, with agents' corrections taking precedence."""
    from tickets.models import TrainingLabel

    corrected = dict(
        TrainingLabel.objects.filter(field=TrainingLabel.Field.CATEGORY)
        .order_by("ticket_id", "created_at")
        .values_list("ticket_id", "new_value")
    )
    rows = (
        Ticket.objects.filter(category__isnull=False)
        .filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
        .values_list("id", "subject", "body", "category__slug")
    )
    texts, labels = [], []
    for ticket_id, subject, body, slug in rows.iterator():
        texts.append(f"{subject}\n{body}")
        labels.append(corrected.get(ticket_id, slug))
    # Corrections on tickets that are still open are labels too.
    extra = Ticket.objects.filter(pk__in=list(corrected)).exclude(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED])
    for ticket_id, subject, body in extra.values_list("id", "subject", "body"):
        texts.append(f"{subject}\n{body}")
        labels.append(corrected[ticket_id])
    return texts, labels


def retrain_from_desk(*, min_rows: int = 50, seed: int = 13) -> TrainingSummary | None:
    """Retrain on the seed corpus plus the desk's own labelled tickets; promote only if better.

    The hold-out split is drawn from the desk's rows (what the model will actually see);
    both the new and the active model are scored on it.
    """
    from sklearn.model_selection import train_test_split

    desk_texts, desk_labels = training_rows_from_desk()
    if len(desk_texts) < min_rows:
        logger.info("retrain skipped: %s labelled desk tickets (< %s)", len(desk_texts), min_rows)
        return None
    counts: dict[str, int] = {}
    for label in desk_labels:
        counts[label] = counts.get(label, 0) + 1
    stratify = desk_labels if min(counts.values()) >= 2 else None
    train_t, hold_t, train_l, hold_l = train_test_split(desk_texts, desk_labels, test_size=0.2, random_state=seed, stratify=stratify)
    seed_texts, seed_labels = read_labelled_csv(SEED_CORPUS, text_col="text", label_col="label")
    return train_and_register(
        texts=seed_texts + list(train_t),
        labels=seed_labels + list(train_l),
        name=f"desk-{timezone.now():%Y%m%d-%H%M%S}",
        activate=False,
        holdout_texts=list(hold_t),
        holdout_labels=list(hold_l),
        only_if_better=True,
    )
