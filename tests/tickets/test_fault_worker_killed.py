"""Kill -9 the worker in the middle of triage: after a restart every ticket is triaged exactly once."""

import signal
from typing import Any

import pytest

from tests.conftest import stop_process, wait_for
from tickets.models import Ticket, TicketEvent
from tickets.services import receive_contact
from tickets.tasks import triage_untriaged

pytestmark = pytest.mark.integration


def test_worker_killed_mid_triage_loses_nothing_and_triages_once(celery_worker_process: Any) -> None:
    for index in range(40):
        receive_contact(
            channel="api", customer_email=f"c{index}@example.com", subject=f"Cannot log in ({index})", body="Locked out of my account."
        )
    assert Ticket.objects.count() == 40  # stored before any worker runs
    worker = celery_worker_process()
    wait_for(lambda: Ticket.objects.filter(triaged_at__isnull=False).exists(), timeout=90, interval=0.05, what="first triage")
    stop_process(worker, sig=signal.SIGKILL)  # no warm shutdown, no acks for what it held
    done_before = Ticket.objects.filter(triaged_at__isnull=False).count()
    assert done_before < 40, "the worker finished everything before it was killed; the test proves nothing"

    celery_worker_process()
    # The recovery sweep (every minute in production) re-enqueues what was never triaged.
    triage_untriaged(older_than_seconds=0)
    wait_for(
        lambda: not Ticket.objects.filter(triaged_at__isnull=True, is_incident=False).exists(),
        timeout=120,
        interval=0.5,
        what="all tickets triaged",
    )
    triage_untriaged(older_than_seconds=0)  # a second sweep finds nothing
    # 40 customers locked out at once is also a burst: exactly one incident, however often checked.
    assert Ticket.objects.filter(is_incident=True).count() <= 1
    for ticket in Ticket.objects.filter(is_incident=False):
        assert TicketEvent.objects.filter(ticket=ticket, kind="triaged").count() == 1, ticket.pk
