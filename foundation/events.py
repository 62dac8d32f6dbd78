"""Events: a lower layer says what happened, the layers above listen, and nothing calls upward.

A layer declares its events in its own ``events.py`` (``tickets.events.ticket_resolved``) and
announces them where the change happens. Listeners are connected in one place,
``pipeline/listeners.py``, so a reader finds every listener of every event there (and
``manage.py events`` prints them).

Two kinds of listener:

- ``inside``: runs at once, in the announcing transaction. For state that must stay
  consistent with the change (the SLA clock follows a priority change; the survey row exists
  exactly when the resolution committed). An exception rolls the whole change back.
- ``after_commit``: runs once the transaction commits (at once outside one), for effects
  outside the database (mail, tasks). A failing listener is logged and the others still run;
  each such effect has a sweep that catches what a crash between commit and listener lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Listener = Callable[..., Any]

INSIDE = "inside"
AFTER_COMMIT = "after_commit"


@dataclass(eq=False)
class Event:
    """One kind of thing that happened. ``args`` names the keyword arguments every announcement carries."""

    name: str
    doc: str
    args: tuple[str, ...]
    listeners: list[tuple[str, Listener]] = field(default_factory=list)

    def listen(self, listener: Listener, *, when: str) -> None:
        """Connect ``listener`` (idempotent: connecting the same function twice keeps one)."""
        if when not in (INSIDE, AFTER_COMMIT):
            raise ValueError(f"when must be {INSIDE!r} or {AFTER_COMMIT!r}")
        if (when, listener) not in self.listeners:
            self.listeners.append((when, listener))

    def announce(self, **payload: Any) -> None:
        missing = set(self.args) - set(payload)
        unknown = set(payload) - set(self.args)
        if missing or unknown:
            raise TypeError(f"{self.name}: missing {sorted(missing)}, unknown {sorted(unknown)}")
        for when, listener in list(self.listeners):
            if when == INSIDE:
                listener(**payload)
            else:
                transaction.on_commit(partial(_run_after_commit, self.name, listener, payload))


def _run_after_commit(name: str, listener: Listener, payload: dict[str, Any]) -> None:
    try:
        listener(**payload)
    except Exception:
        logger.exception("listener %s of %s failed", getattr(listener, "__qualname__", listener), name)


REGISTRY: dict[str, Event] = {}


def declare(name: str, doc: str, *, args: tuple[str, ...]) -> Event:
    """Declare an event once, in the layer that announces it."""
    if name in REGISTRY:
        raise ValueError(f"event {name!r} is declared twice")
    event = Event(name=name, doc=doc, args=args)
    REGISTRY[name] = event
    return event


def describe() -> list[dict[str, Any]]:
    """Every declared event with its listeners (``manage.py events``, the architecture test)."""
    return [
        {
            "event": event.name,
            "doc": event.doc,
            "args": list(event.args),
            "listeners": [{"when": when, "listener": f"{fn.__module__}.{fn.__qualname__}"} for when, fn in event.listeners],
        }
        for event in sorted(REGISTRY.values(), key=lambda e: e.name)
    ]
