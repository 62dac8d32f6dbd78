"""The CSAT flow through the real parts: worker → SMTP server → customer's link on a live server → rollup task."""

import re
from typing import Any

import pytest
import requests
from django.db import transaction
from django.utils import timezone

from analytics.models import DailyStat, SatisfactionSurvey
from analytics.tasks import refresh_rollups
from escalation_engine.models import Escalation
from tests.conftest import wait_for
from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tests.mailserver import smtp_server
from tickets.models import Ticket
from tickets.services import change_status

pytestmark = pytest.mark.integration


def test_survey_mail_link_answer_follow_up_and_rollup(celery_worker_process: Any, live_server: Any, settings: Any) -> None:
    settings.PUBLIC_BASE_URL = live_server.url  # the message is written by the resolving process (the outbox renders nothing)
    with smtp_server() as inbox:
        celery_worker_process(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port), PUBLIC_BASE_URL=live_server.url)
        team = TeamFactory.create()
        agent = AgentFactory.create()
        agent.teams.add(team)
        ticket = TicketFactory.create(status="in_progress", team=team, assignee=agent, subject="Refund still missing")
        with transaction.atomic():
            change_status(ticket=ticket, status="resolved", by=agent.user)
        wait_for(lambda: inbox.messages, timeout=60, what="survey e-mail through the SMTP server")

    message = inbox.messages[0]
    assert message["To"] == ticket.customer.email and f"[#{ticket.pk}] How did we do?" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    link = re.search(rf"({re.escape(live_server.url)}/survey/[^/\s]+/)\?rating=1", body)
    assert link, body
    session = requests.Session()
    form = session.get(f"{link.group(1)}?rating=1", timeout=10)
    assert form.status_code == 200 and 'value="1" checked' in form.text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    done = session.post(link.group(1), data={"csrfmiddlewaretoken": csrf, "rating": "1", "comment": "Took a week."}, timeout=10)
    assert done.status_code == 200 and "a team lead will look at your request" in done.text
    assert session.post(link.group(1), data={"csrfmiddlewaretoken": csrf, "rating": "5"}, timeout=10).status_code == 409

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "in_progress" and Escalation.objects.filter(ticket=ticket, status="open").exists()
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == 1

    refresh_rollups.delay()  # beat's job, run by the real worker
    today = timezone.localdate()
    row = wait_for(
        lambda: DailyStat.objects.filter(day=today, period="day", team=0, dim="all", csat_responses=1).first(),
        timeout=60,
        what="rollup with the answer",
    )
    # The low rating reopened the ticket: its resolution counts again only when it is resolved again.
    assert row.csat_sum == 1 and row.surveys_sent == 1 and row.resolved == 0
