"""Django side of triage: load the active model, run the pure core, store the result.

The core (``tickets/triage/``) knows nothing about Django. This module caches the active
classifier per process, turns a ticket into the core's inputs, and sets category,
confidence, sentiment, signals and priority with its reasons on the locked ticket. Article
suggestions and the auto-reply draft belong to the help centre (``helpcenter/suggestions.py``),
which the pipeline calls with :class:`TriageResult` before the ticket's one save.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from collections.abc import Callable
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
from tickets.triage import analysis, default_model, sentiment, signals
from tickets.triage.classifier import TextClassifier, build_classifier
from tickets.triage.evaluate import evaluate
from tickets.triage.severity import SeverityModel

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "seed-default"
SEVERITY_MODEL_NAME = "severity-default"

_lock = threading.Lock()
_classifier: tuple[int, TextClassifier] | None = None
_severity: tuple[Path, SeverityModel] | None = None


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
    progress: Any = None,
) -> TrainingSummary:
    """Train a classifier from given texts (``train_classifier --csv``), evaluate it on the hold-out split,
    save it and record a ModelVersion; activated when asked. The desk's own retraining, which
    promotes only a better version, is :func:`retrain_from_desk`."""
    if ModelVersion.objects.filter(name=name).exists():
        raise ValueError(f"a model version named {name!r} already exists")
    classifier = build_classifier(kind).fit(texts, labels, progress=progress)
    metrics: dict[str, Any] = {}
    if holdout_texts:
        metrics = evaluate(classifier, holdout_texts, holdout_labels or [], threshold=TriageSettings.current().confidence_threshold)
    path = model_dir() / f"{name}.joblib"
    classifier.save(path)
    promote = activate
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
    # Named after the training data and recipe, so a changed corpus never reuses a stale file.
    return model_dir() / f"{DEFAULT_MODEL_NAME}-{default_model.recipe_digest()}.joblib"


def _severity_model_path() -> Path:
    return model_dir() / f"{SEVERITY_MODEL_NAME}-{default_model.recipe_digest()}.joblib"


def _train_atomically(path: Path, train: Callable[[Path], Any]) -> None:
    """Train into a temporary file beside ``path`` and move it into place, so no reader sees half a file."""
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=".joblib", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        train(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
    if not path.exists():
        _train_atomically(path, default_model.train_default)
    return TextClassifier.load(path)


def seed_severity() -> SeverityModel:
    """The default severity model (``tickets.triage.severity``), trained on the seed mail once per machine."""
    path = _severity_model_path()
    if not path.exists():
        _train_atomically(path, default_model.train_default_severity)
    return SeverityModel.load(path)


def active_severity() -> SeverityModel:
    """The severity model triage uses, loaded once per process."""
    global _severity
    path = _severity_model_path()
    with _lock:
        if _severity is None or _severity[0] != path:
            _severity = (path, seed_severity())
        return _severity[1]


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


def learned_priority_weights(classifier: Any) -> dict[str, float]:
    """The priority weights a model version learned from people's corrections (none for the seed default)."""
    metadata = getattr(classifier, "metadata", None)
    weights = metadata.get("priority_weights") if isinstance(metadata, dict) else None
    return dict(weights) if isinstance(weights, dict) else {}


def triage_settings(config: TriageSettings, *, learned_weights: dict[str, float] | None = None) -> analysis.Settings:
    urgency_terms, legal_terms = _keyword_maps(config)
    # An admin's explicit weight wins over what a version learned.
    weights = {**(learned_weights or {}), **(config.priority_weights or {})}
    return analysis.Settings(
        confidence_threshold=config.confidence_threshold,
        urgency_keywords=urgency_terms,
        legal_keywords=legal_terms,
        priority_weights=weights or None,
    )


def analyze_facts(
    facts: analysis.Facts, *, config: TriageSettings | None = None, classifier: Any = None, severity_model: Any = None
) -> analysis.Analysis:
    """The triage of one message with the active model and settings: what the worker stores and ``evaluate_triage`` scores.

    The model version's learned priority weights (if any) apply under the admin's own; the
    severity model is the default one unless one is given.
    """
    config = config or config_cache.cached("triage", "settings", TriageSettings.current)
    if classifier is None:
        _, classifier = active_classifier()
    settings_ = triage_settings(config, learned_weights=learned_priority_weights(classifier))
    return analysis.analyze(facts, classifier=classifier, settings=settings_, severity_model=severity_model or active_severity())


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
    lean = result.severity.escalate if result.severity is not None else None
    locked.escalation_lean = round(lean, 4) if lean is not None else None
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
