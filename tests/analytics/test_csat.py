"""CSAT: survey on resolution, signed single-use expiring link, low ratings followed up."""

import re
import time
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client

from analytics import csat
from analytics.models import SatisfactionSurvey
from escalation_engine.models import Escalation
from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import change_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(django_capture_on_commit_callbacks: Any, settings: Any) -> Ticket:
    settings.PUBLIC_BASE_URL = "https://desk.example.com"
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = TicketFactory.create(status="in_progress", team=team, assignee=agent, subject="Card declined")
    with django_capture_on_commit_callbacks(execute=True):
        change_status(ticket=ticket, status="resolved", by=agent.user)
    return ticket


def links(message: Any) -> dict[int, str]:
    found = re.findall(r"  (\d) [★☆]+  (https://desk\.example\.com(/survey/[^/]+/)\?rating=\d)", message.body)
    return {int(n): path for n, _, path in found}


def test_resolving_sends_one_survey_with_a_link_per_rating(resolved: Ticket, django_capture_on_commit_callbacks: Any) -> None:
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    assert survey.sent_at is not None and survey.team_id == resolved.team_id and survey.agent_id == resolved.assignee_id
    assert "sla" in survey.signals  # features for the prediction model, as they were at resolution
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [resolved.customer.email]
    assert sorted(links(mail.outbox[0])) == [1, 2, 3, 4, 5]
    # Reopened and resolved again: no second survey.
    with django_capture_on_commit_callbacks(execute=True):
        change_status(ticket=resolved, status="in_progress", by=None)
        change_status(ticket=resolved, status="resolved", by=None)
    assert SatisfactionSurvey.objects.count() == 1 and len(mail.outbox) == 1


def test_opening_the_link_records_nothing_and_posting_records_once(resolved: Ticket) -> None:
    path = links(mail.outbox[0])[4]
    client = Client()
    page = client.get(f"{path}?rating=4")
    assert page.status_code == 200 and b'value="4" checked' in page.content
    assert SatisfactionSurvey.objects.get().answered_at is None  # link scanners prefetching change nothing

    done = client.post(path, {"rating": "4", "comment": "Quick & <b>kind</b>"})
    assert done.status_code == 200 and b"Your rating of 4 out of 5 has been recorded." in done.content
    survey = SatisfactionSurvey.objects.get()
    assert (survey.rating, survey.comment) == (4, "Quick & <b>kind</b>")
    assert TicketEvent.objects.filter(ticket=resolved, kind="csat_answered", detail__rating=4).exists()

    again = client.post(path, {"rating": "1"})
    assert again.status_code == 409 and b"already been answered" in again.content
    assert client.get(path).status_code == 409
    assert SatisfactionSurvey.objects.get().rating == 4
    assert Ticket.objects.get(pk=resolved.pk).status == "resolved"


@pytest.mark.parametrize("mangle", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t, lambda t: "nonsense"])
def test_tampered_links_get_a_clear_page(resolved: Ticket, mangle: Any) -> None:
    token = links(mail.outbox[0])[5].split("/")[2]
    response = Client().get(f"/survey/{mangle(token)}/")
    assert response.status_code == 400 and b"This survey link is not valid" in response.content
    assert Client().post(f"/survey/{mangle(token)}/", {"rating": "5"}).status_code == 400
    assert SatisfactionSurvey.objects.get().answered_at is None


def test_a_link_for_a_replaced_survey_or_signed_elsewhere_is_refused(resolved: Ticket) -> None:
    survey = SatisfactionSurvey.objects.get()
    forged = signing.dumps({"s": survey.pk, "n": "guessed"}, salt=csat.SALT, compress=True)
    other_salt = signing.dumps({"s": survey.pk, "n": survey.nonce}, salt="tickets.support-thanks", compress=True)
    for token in (forged, other_salt):
        assert Client().get(f"/survey/{token}/").status_code == 400


def test_expired_links_get_a_clear_page(resolved: Ticket, settings: Any, monkeypatch: Any) -> None:
    settings.CSAT_LINK_MAX_AGE_DAYS = 1
    survey = SatisfactionSurvey.objects.get()
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 2 * 86400)
    old = csat.token_for(survey)
    monkeypatch.setattr(time, "time", real)
    response = Client().post(f"/survey/{old}/", {"rating": "5"})
    assert response.status_code == 410 and b"expired" in response.content
    assert SatisfactionSurvey.objects.get().answered_at is None


def test_bad_ratings_are_refused_with_a_message(resolved: Ticket) -> None:
    path = links(mail.outbox[0])[3]
    for bad in ("0", "6", "three", ""):
        response = Client().post(path, {"rating": bad, "comment": "kept"})
        assert response.status_code == 400 and b"Choose a rating from 1 to 5." in response.content and b"kept" in response.content
    assert SatisfactionSurvey.objects.get().answered_at is None


def test_a_low_rating_reopens_the_ticket_for_a_supervisor(resolved: Ticket) -> None:
    path = links(mail.outbox[0])[2]
    response = Client().post(path, {"rating": "2", "comment": "Nobody read my message"})
    assert b"a team lead will look at your request" in response.content
    ticket = Ticket.objects.get(pk=resolved.pk)
    assert ticket.status == "in_progress" and ticket.reopen_count == 1 and ticket.escalation_requested
    escalation = Escalation.objects.get(ticket=ticket, status="open")
    assert escalation.tier in ("senior_support", "on_call", "senior_engineer", "executive")
    requested = TicketEvent.objects.get(ticket=ticket, kind="escalation_requested")
    assert requested.detail["reason"] == "Customer rated 2/5: Nobody read my message"


def test_a_good_rating_leaves_the_ticket_resolved(resolved: Ticket) -> None:
    Client().post(links(mail.outbox[0])[3], {"rating": "3"})
    assert Ticket.objects.get(pk=resolved.pk).status == "resolved"
    assert not Escalation.objects.exists()
