"""The one enqueue helper: by name, after commit, and a broker outage never raises."""

import logging
from typing import Any

import pytest

from foundation.queue import enqueue, enqueue_on_commit
from pipeline.tasks import triage_ticket

pytestmark = pytest.mark.django_db


def test_work_is_sent_only_when_the_transaction_commits(django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> None:
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(triage_ticket, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit("tickets.triage_ticket", 42)
        assert sent == []  # not before the commit
    assert len(callbacks) == 1 and sent == [(42,)]


def test_a_broker_outage_is_logged_not_raised(monkeypatch: Any, caplog: Any) -> None:
    def down(*args: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(triage_ticket, "delay", down)
    with caplog.at_level(logging.WARNING, logger="foundation.queue"):
        assert enqueue("tickets.triage_ticket", 7) is False
    assert "could not enqueue tickets.triage_ticket" in caplog.text


def test_an_unknown_task_name_fails_without_raising() -> None:
    assert enqueue("no.such_task", 1) is False  # after discovering every task module, still unknown
