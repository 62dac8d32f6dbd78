"""Admin-edited configuration, cached per process and invalidated everywhere by a shared generation.

The worker needs the triage settings, the active model, SLA policies, routing and
escalation rules for every ticket; loading them was a third of a ticket's queries. Each
cached value belongs to a *section*. Saving or deleting a model of that section (admin, API,
shell: any ``save()``/``delete()``, and changes to the rules' category lists) replaces the
section's generation token in the shared cache (Redis, or the file cache when embedded) at
once and again after commit, and clears this process's copies; every other process sees the
new token on its next task or request and reloads. The tokens of every section are read
with one shared-cache lookup per task or request (and at least every second), so a
worker pays one Redis round trip per ticket for all of its configuration. Code that
changes these models with ``QuerySet.update()`` calls :func:`changed` itself. When the
shared cache is unreachable nothing is cached: every read goes to the database.

Cached values are shared: callers must not modify them.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Section → the models whose changes invalidate it ("app_label.Model").
SECTIONS: dict[str, tuple[str, ...]] = {
    "triage": ("tickets.TriageSettings", "tickets.ModelVersion", "tickets.Category", "agents.Team", "agents.Skill"),
    "kb": ("helpcenter.KnowledgeArticle",),
    "sla": ("escalation.SlaPolicy",),
    "escalation": ("escalation.EscalationSettings", "escalation.EscalationRule", "escalation.ForecastCalibration", "tickets.Category"),
    "routing": ("agents.RoutingRule", "agents.RoutingRuleSkill", "agents.Team", "agents.Skill", "tickets.Category"),
    "auth": ("auth.Group", "auth.Permission"),
    "calendar": ("foundation.BusinessCalendar", "foundation.BusinessHours", "foundation.Holiday"),
    "webhooks": ("foundation.WebhookSubscription",),
}
# Many-to-many fields whose changes invalidate a section: (app_label.Model, field, section).
M2M_SECTIONS = (
    ("agents.RoutingRule", "categories", "routing"),
    ("escalation.EscalationRule", "categories", "escalation"),
    ("auth.User", "groups", "auth"),
    ("auth.User", "user_permissions", "auth"),
    ("auth.Group", "permissions", "auth"),
)

MAX_TOKEN_AGE_SECONDS = 1.0
# A safety net for changes no signal reports (raw SQL, a bulk update someone forgot to announce):
# a cached value is reloaded at least this often anyway.
MAX_VALUE_AGE_SECONDS = 60.0

_local: dict[tuple[str, str], tuple[str, float, Any]] = {}
_lock = threading.Lock()
_seen = threading.local()  # tokens read in this thread's current task or request: {section: token}, read at


def _key(section: str) -> str:
    return f"config-generation:{section}"


def begin(**_signal: Any) -> None:
    """A task or request starts: read the tokens again on first use (connected to both signals)."""
    _seen.tokens = None


def _generation(section: str) -> str | None:
    """The section's current token (created on first use); None when the shared cache is down."""
    tokens = getattr(_seen, "tokens", None)
    if tokens is None or time.monotonic() - _seen.read_at > MAX_TOKEN_AGE_SECONDS:
        try:
            keys = {name: _key(name) for name in SECTIONS}
            found = cache.get_many(list(keys.values()))
            for key in keys.values():
                if key not in found:
                    cache.add(key, uuid.uuid4().hex, timeout=None)
                    found[key] = cache.get(key)
        except Exception:  # noqa: BLE001 - a cache outage costs queries, never correctness
            logger.warning("configuration cache unavailable; reading from the database", exc_info=True)
            return None
        tokens = {name: found.get(key) for name, key in keys.items()}
        _seen.tokens, _seen.read_at = tokens, time.monotonic()
    token = tokens.get(section)
    return str(token) if token is not None else None


def cached(section: str, name: str, loader: Callable[[], T]) -> T:
    """``loader()``'s value, reused until the section changes (in any process)."""
    generation = _generation(section)
    if generation is None:
        return loader()
    now = time.monotonic()
    with _lock:
        hit = _local.get((section, name))
    if hit is not None and hit[0] == generation and now - hit[1] < MAX_VALUE_AGE_SECONDS:
        return hit[2]
    value = loader()
    with _lock:
        _local[(section, name)] = (generation, now, value)
    return value


def _bump(section: str) -> None:
    try:
        cache.set(_key(section), uuid.uuid4().hex, timeout=None)
    except Exception:  # noqa: BLE001 - nothing is cached while the shared cache is down
        logger.warning("could not publish a configuration change of %s", section, exc_info=True)


def changed(*sections: str) -> None:
    """These sections changed: forget them here, and tell every process (now and after commit).

    Bumping before the commit stops this process from serving stale values at once; bumping
    again after it stops another process from caching the old rows under the new token.
    """
    with _lock:
        for key in [key for key in _local if key[0] in sections]:
            del _local[key]
    _seen.tokens = None
    for section in sections:
        _bump(section)
        transaction.on_commit(functools.partial(_bump, section))


def changed_everything(**_signal: Any) -> None:
    """Every section changed (connected to ``post_migrate``: data migrations send no model signals)."""
    changed(*SECTIONS)


def clear() -> None:
    """Forget every cached value in this process (tests call this between cases)."""
    with _lock:
        _local.clear()
    _seen.tokens = None


def connect_signals() -> None:
    """Invalidate sections when their models are saved or deleted, or their many-to-many lists change."""
    from celery.signals import task_prerun
    from django.apps import apps
    from django.core.signals import request_started
    from django.db.models.signals import m2m_changed, post_delete, post_save

    task_prerun.connect(begin, weak=False, dispatch_uid="config_cache.task")
    request_started.connect(begin, weak=False, dispatch_uid="config_cache.request")

    by_model: dict[str, list[str]] = {}
    for section, labels in SECTIONS.items():
        for label in labels:
            by_model.setdefault(label, []).append(section)
    for label, sections in by_model.items():

        def receiver(*_args: Any, sections: tuple[str, ...] = tuple(sections), **_kwargs: Any) -> None:
            changed(*sections)

        model = apps.get_model(label)
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"config_cache.save.{label}")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"config_cache.delete.{label}")
    for label, field_name, section in M2M_SECTIONS:
        through = getattr(apps.get_model(label), field_name).through

        def on_m2m(*_args: Any, section: str = section, **_kwargs: Any) -> None:
            changed(section)

        m2m_changed.connect(on_m2m, sender=through, weak=False, dispatch_uid=f"config_cache.m2m.{label}.{field_name}")
