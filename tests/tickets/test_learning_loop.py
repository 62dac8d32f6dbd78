"""The learning loop end to end: people label tickets in the console → the nightly beat task → promote only a better model.

The story: a new desk's supervisor looks at every ticket for its first weeks. Its inbox is
realistic mail in four kinds, one of which — ``delivery`` — the desk created itself and the
seed corpus has never seen. In the console (Needs triage or the ticket's workspace) the
supervisor confirms or corrects each category and, because this desk treats a customer
waiting for goods as P2, raises delivery tickets that triage left at P3. Then beat runs
``retrain_classifier``.

- With honest labels the candidate learns ``delivery`` and its priority and beats the seed
  model on the held-out tickets (``sha256(id) % 5 == 0``), so it is promoted and the next
  delivery mail is routed as ``delivery`` at P2.
- With deliberately wrong labels on the training tickets (categories rotated, everything P0),
  the candidate is worse on the held-out tickets, which people labelled correctly, so it is
  recorded but not promoted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.factories import CategoryFactory, UserFactory
from tests.tickets.desk_mail import inbox
from tickets import tasks, triage_service
from tickets.models import ModelVersion, Ticket, TrainingLabel
from tickets.services import receive_contact
from tickets.triage import default_model, learning

pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))]

COUNTS = {"delivery": 60, "billing": 35, "account_access": 35, "technical_support": 30}
ROTATED = {"delivery": "billing", "billing": "account_access", "account_access": "technical_support", "technical_support": "delivery"}


@dataclass
class Desk:
    client: Client
    seed: ModelVersion
    tickets: list[tuple[Ticket, str]]  # each ticket with the kind of mail it really is


@pytest.fixture
def desk(settings: Any, django_capture_on_commit_callbacks: Any) -> Desk:
    settings.TRIAGE_RETRAIN_MIN_LABELS = 50
    settings.TRIAGE_RETRAIN_MIN_HOLDOUT = 15  # ≈ 32 of the 160 tickets are held out
    settings.TRIAGE_RETRAIN_MIN_PRIORITY_HOLDOUT = 5
    seed = triage_service.ensure_default_model()
    for slug, name in (
        ("delivery", "Delivery"),
        ("billing", "Billing"),
        ("account_access", "Account access"),
        ("technical_support", "Technical support"),
    ):
        CategoryFactory.create(slug=slug, name=name)
    tickets = []
    for number, mail in enumerate(inbox(COUNTS, seed=20)):
        with django_capture_on_commit_callbacks(execute=True):
            result = receive_contact(channel="api", customer_email=f"buyer{number}@shop.example", subject=mail.subject, body=mail.body)
        tickets.append((Ticket.objects.get(pk=result.ticket.pk), mail.kind))
    client = Client()
    client.force_login(UserFactory.create(role="supervisor"))
    return Desk(client=client, seed=seed, tickets=tickets)


def work_the_queue(desk: Desk, *, category: Callable[[Ticket, str], str], priority: Callable[[Ticket, str], int | None]) -> None:
    """The supervisor goes through every ticket in the console: a category for each, a priority where it is wrong."""
    for ticket, kind in desk.tickets:
        ticket.refresh_from_db()
        response = desk.client.post(f"/console/ticket/{ticket.pk}/category", {"category": category(ticket, kind)})
        assert response.status_code == 302
        wanted = priority(ticket, kind)
        if wanted is not None and wanted != ticket.priority:
            assert desk.client.post(f"/console/ticket/{ticket.pk}/priority", {"priority": str(wanted)}).status_code == 302


def honest_priority(ticket: Ticket, kind: str) -> int | None:
    # This shop's rule: a delivery question is normal priority (triage, which does not know delivery, ranks them P1-P3).
    return 2 if kind == "delivery" and ticket.priority != 2 else None


def test_beat_promotes_a_version_that_learned_from_people_and_triage_uses_it(desk: Desk, django_capture_on_commit_callbacks: Any) -> None:
    work_the_queue(desk, category=lambda ticket, kind: kind, priority=honest_priority)
    assert TrainingLabel.objects.filter(field="category", source="confirmed").exists()  # the seed model got some right
    assert TrainingLabel.objects.filter(field="category", source="corrected", new_value="delivery").count() == COUNTS["delivery"]
    assert django_settings.CELERY_BEAT_SCHEDULE["triage-retrain"]["task"] == tasks.retrain_classifier.name

    outcome = tasks.retrain_classifier()

    version = ModelVersion.objects.get(is_active=True)
    assert version != desk.seed and "promoted=True" in outcome
    metrics = version.metrics
    held_out = sum(learning.is_held_out(ticket.pk) for ticket, _ in desk.tickets)
    assert metrics["labels"]["category_holdout"] == held_out and metrics["labels"]["category_train"] == len(desk.tickets) - held_out
    seed_size = len(default_model.training_data()[0])
    assert version.training_size == seed_size + len(desk.tickets) - held_out  # the default training data and the training split only
    candidate, active = metrics["holdout"]["candidate"], metrics["holdout"]["active"]
    assert active["name"] == desk.seed.name
    assert candidate["category"]["accuracy"] >= active["category"]["accuracy"] + 0.2, (candidate["category"], active["category"])
    assert active["category"]["per_class"]["delivery"]["recall"] == 0.0  # the seed model cannot know the desk's own category
    assert candidate["category"]["per_class"]["delivery"]["recall"] >= 0.8
    assert metrics["priority_weights"]["category_delivery"] > 0
    assert candidate["priority"]["n"] >= 1  # about one in five of the corrected delivery tickets is held out
    assert candidate["priority"]["mean_band_error"] < active["priority"]["mean_band_error"]
    assert metrics["promotion"] == {"promoted": True, "reason": metrics["promotion"]["reason"]}
    assert metrics["promotion"]["reason"].startswith("better")

    # Admin shows both versions' per-class report side by side.
    admin = Client()
    admin.force_login(UserFactory.create(role="admin"))
    page = admin.get(f"/admin/tickets/modelversion/{version.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{version.name} (candidate)" in html and f"{desk.seed.name} (active then)" in html
    mine, theirs = candidate["category"]["per_class"]["delivery"], active["category"]["per_class"]["delivery"]
    row = "".join(
        f"<td>{value}</td>"
        for value in (
            *(f"{mine[key]:.2f}" for key in ("precision", "recall", "f1")),
            mine["support"],
            *(f"{theirs[key]:.2f}" for key in ("precision", "recall", "f1")),
            theirs["support"],
        )
    )
    assert f"<tr><th>delivery</th>{row}</tr>" in html

    with django_capture_on_commit_callbacks(execute=True):
        result = receive_contact(
            channel="api",
            customer_email="new.buyer@shop.example",
            subject="Order 58120 not delivered yet",
            body=(
                "Hello,\n\nwe ordered two office chairs last Monday (order 58120). The tracking page of DPD has shown "
                "'in transit' since Wednesday and the last scan is from the depot in Graz. Could you check with the "
                "carrier where the parcel is?\n\nKind regards,\n--\nKatrin Hofer\nOffice Manager | Hofer Architekten"
            ),
        )
    fresh = Ticket.objects.select_related("category").get(pk=result.ticket.pk)
    assert fresh.model_version == version
    assert fresh.category is not None and fresh.category.slug == "delivery" and not fresh.needs_triage
    assert fresh.priority == 2
    assert "category" in {reason["signal"] for reason in fresh.priority_reasons}


def test_beat_does_not_promote_a_version_trained_on_wrong_labels(desk: Desk) -> None:
    def careless(ticket: Ticket, kind: str) -> str:
        return kind if learning.is_held_out(ticket.pk) else ROTATED[kind]

    def careless_priority(ticket: Ticket, kind: str) -> int | None:
        return honest_priority(ticket, kind) if learning.is_held_out(ticket.pk) else 0

    work_the_queue(desk, category=careless, priority=careless_priority)

    outcome = tasks.retrain_classifier()

    assert "promoted=False" in outcome
    assert ModelVersion.objects.get(is_active=True) == desk.seed
    candidate = ModelVersion.objects.exclude(pk=desk.seed.pk).get()
    report = candidate.metrics["holdout"]
    assert report["candidate"]["category"]["accuracy"] < report["active"]["category"]["accuracy"], report
    assert candidate.metrics["promotion"]["promoted"] is False
    assert candidate.metrics["promotion"]["reason"].startswith("worse")
