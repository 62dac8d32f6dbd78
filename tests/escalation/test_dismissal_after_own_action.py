"""A dismissed escalation stays quiet when the only "worse" is what the escalation itself did (found by bench.sweep)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalation_engine.models import Escalation
from escalation_engine.services import dismiss_escalation
from escalation_engine.sweep import sweep
from tests.factories import CustomerFactory, TicketFactory, UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_priority_raised_by_the_escalation_itself_does_not_reescalate_after_a_dismissal() -> None:
    now = timezone.now()
    old = TicketFactory.create(
        subject="Contract question", body="Our counsel asks about clause 4.", customer=CustomerFactory.create(tier="bronze"),
        status="triaged", priority=2, created_at=now - timedelta(days=3), triaged_at=now - timedelta(days=3),
        legal_score=1.0, frustration_score=0.9, next_check_at=now - timedelta(seconds=1),
    )  # fmt: skip
    assert sweep(now=now).escalated == 1
    first = Escalation.objects.get(ticket=old)
    assert {"action": "raise_priority", "from": 2, "to": 1, "ok": True} in first.actions
    ticket = Ticket.objects.get(pk=old.pk)
    assert ticket.sla_status == "breached"  # three days old on the P1 policy: the raise itself breached it
    assert first.sla_status_at_escalation == "breached" and first.sla_breached_at_escalation is False
    dismiss_escalation(escalation_id=first.pk, by=UserFactory.create(role="supervisor"), reason="the legal words are a quote")
    for minutes in range(1, 11):  # the next ten checks, each made due and run
        at = timezone.now() + timedelta(minutes=minutes)
        Ticket.objects.filter(pk=old.pk).update(next_check_at=at - timedelta(seconds=1))
        assert sweep(now=at).read == 1
    assert list(Escalation.objects.filter(ticket=old).values_list("status", flat=True)) == ["dismissed"]
