"""The bell, the notification list, e-mail preferences (through the outbox and a real SMTP server) and @-suggestions."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agents.services import assign_ticket
from foundation.models import OutboxMessage
from notifications.models import AgentNotification, EmailPreference
from notifications.services import OUTBOX_REF
from tests.conftest import send_from_outbox
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tests.mailserver import Inbox, smtp_server
from tickets import services as ticket_services

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(NOW)]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        yield inbox


@pytest.fixture
def desk() -> dict[str, Any]:
    team = TeamFactory.create()
    ana = AgentFactory.create(
        user=UserFactory.create(username="ana", first_name="Ana", last_name="Lopez", email="ana@desk.example", role="agent"), capacity=50
    )
    ana.teams.add(team)
    boss = UserFactory.create(role="supervisor", username="sam")
    return {"team": team, "ana": ana, "boss": boss}


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assign_new(desk: dict[str, Any], subject: str = "Refund not received") -> Any:
    ticket = TicketFactory.create(team=desk["team"], status="triaged", subject=subject)
    assign_ticket(ticket=ticket, agent=desk["ana"], by=desk["boss"])
    return ticket


def test_the_bell_counts_unread_and_its_queries_stay_flat(desk: dict[str, Any]) -> None:
    client = signed_in(desk["ana"].user)
    assert 'data-unread="0"' in client.get("/console/notifications/bell").text
    counts = []
    for n in (1, 10):
        while AgentNotification.objects.filter(recipient=desk["ana"]).count() < n:
            assign_new(desk, subject=f"Order {n} missing")
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/console/notifications/bell", HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and f'data-unread="{n}"' in response.text
        counts.append(len(queries))
    with CaptureQueriesContext(connection) as queries:
        dropdown = client.get("/console/notifications/bell?part=list", HTTP_HX_REQUEST="true")
    assert dropdown.text.count("Order 10 missing") >= 1 and dropdown.text.count("<form") == 8  # the newest eight
    assert counts[0] == counts[1] and len(queries) == counts[0], (counts, len(queries))


def test_the_list_page_queries_stay_flat(desk: dict[str, Any]) -> None:
    client = signed_in(desk["ana"].user)
    client.get("/console/notifications/")  # the first page of a session loads the user's permission set once
    counts = []
    for n in (1, 12):
        while AgentNotification.objects.count() < n:
            assign_new(desk)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/console/notifications/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_opening_a_notification_marks_it_read_and_opens_the_ticket(desk: dict[str, Any]) -> None:
    ticket = assign_new(desk)
    row = AgentNotification.objects.get()
    response = signed_in(desk["ana"].user).post(f"/console/notifications/{row.pk}/open")
    assert response.status_code == 302 and response["Location"] == f"/console/ticket/{ticket.pk}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_another_agent_cannot_read_or_open_my_notification(desk: dict[str, Any]) -> None:
    assign_new(desk)
    row = AgentNotification.objects.get()
    ben = AgentFactory.create()
    ben.teams.add(desk["team"])
    client = signed_in(ben.user)
    assert client.post(f"/console/notifications/{row.pk}/open")["Location"] == "/console/notifications/"
    client.post(f"/console/notifications/{row.pk}/read")
    client.post("/console/notifications/read-all")
    row.refresh_from_db()
    assert row.read_at is None


def test_mark_all_read_empties_the_bell(desk: dict[str, Any]) -> None:
    assign_new(desk)
    assign_new(desk)
    client = signed_in(desk["ana"].user)
    client.post("/console/notifications/read-all")
    assert not AgentNotification.objects.filter(read_at__isnull=True).exists()
    assert 'data-unread="0"' in client.get("/console/notifications/bell").text


def test_notification_text_is_escaped_on_the_list(desk: dict[str, Any]) -> None:
    assign_new(desk, subject="<script>alert(1)</script> broken")
    page = signed_in(desk["ana"].user).get("/console/notifications/").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; broken" in page


def test_email_preferences_are_respected_through_the_outbox_and_smtp(desk: dict[str, Any], smtp: Inbox) -> None:
    client = signed_in(desk["ana"].user)
    assert client.post("/console/notifications/preferences", {"email": ["mentioned"]}).status_code == 302
    assert set(EmailPreference.objects.values_list("kind", flat=True)) == {"mentioned"}
    ticket = assign_new(desk, subject="Charged twice for March")  # assigned: not wanted by e-mail
    assert not OutboxMessage.objects.filter(ref_kind=OUTBOX_REF).exists()
    carla = AgentFactory.create(user=UserFactory.create(username="carla", role="agent"))
    carla.teams.add(desk["team"])
    ticket_services.add_agent_reply(ticket=ticket, body="@ana the bank confirmed the double charge", by=carla.user, internal=True)
    mention = AgentNotification.objects.get(kind="mentioned")
    message = OutboxMessage.objects.get(ref_kind=OUTBOX_REF)
    assert message.dedupe_key == f"agent_notification:{mention.pk}" and message.recipient == "ana@desk.example"
    assert send_from_outbox(message.dedupe_key).status == "sent"
    send_from_outbox(message.dedupe_key)  # a second delivery attempt sends nothing more
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail["To"] == "ana@desk.example" and f"[{ticket.reference}]" in mail["Subject"]
    assert f"/console/ticket/{ticket.pk}/" in mail.get_payload(decode=True).decode()
    # Switched off again: the next mention stays in the bell only.
    client.post("/console/notifications/preferences", {})
    ticket_services.add_agent_reply(ticket=ticket, body="@ana also the April invoice", by=carla.user, internal=True)
    assert (
        AgentNotification.objects.filter(kind="mentioned").count() == 2 and OutboxMessage.objects.filter(ref_kind=OUTBOX_REF).count() == 1
    )


def test_an_unknown_preference_kind_is_a_400_naming_the_field(desk: dict[str, Any]) -> None:
    response = signed_in(desk["ana"].user).post("/console/notifications/preferences", {"email": ["assigned", "pager"]})
    assert response.status_code == 400 and "kind" in response.text and "pager" in response.text
    assert not EmailPreference.objects.exists()


def test_mention_suggestions_match_username_and_name_and_escape_them(desk: dict[str, Any]) -> None:
    AgentFactory.create(user=UserFactory.create(username="lopez.b", first_name="<b>Bea</b>", last_name="Marsh", role="agent")).teams.add(
        desk["team"]
    )
    UserFactory.create(username="lola", role="agent")  # not an agent profile: never suggested
    client = signed_in(desk["ana"].user)
    text = client.get("/console/mentions", {"q": "lo"}).text
    assert 'data-mention="@lopez.b"' in text and 'data-mention="@ana"' in text  # "Lopez" is ana's last name
    assert "lola" not in text and "<b>Bea</b>" not in text and "&lt;b&gt;Bea&lt;/b&gt;" in text
    assert client.get("/console/mentions", {"q": "x\x00"}).status_code == 400
    assert client.get("/console/mentions", {"q": "y" * 51}).status_code == 400


def test_the_workspace_has_the_bell_and_the_mention_box(desk: dict[str, Any]) -> None:
    ticket = assign_new(desk)
    page = signed_in(desk["ana"].user).get(f"/console/ticket/{ticket.pk}/").text
    assert 'id="bell-count"' in page and 'hx-get="/console/notifications/bell"' in page and 'id="mention-q"' in page


def test_an_agent_is_offered_only_colleagues_of_their_teams_and_a_supervisor_everyone(desk: dict[str, Any]) -> None:
    elsewhere = AgentFactory.create(user=UserFactory.create(username="lorenzo", role="agent"))
    elsewhere.teams.add(TeamFactory.create())
    AgentFactory.create(user=UserFactory.create(username="lotte", role="agent")).teams.add(desk["team"])
    mine = signed_in(desk["ana"].user).get("/console/mentions", {"q": "lo"}).text
    assert 'data-mention="@lotte"' in mine and "lorenzo" not in mine
    everyone = signed_in(desk["boss"]).get("/console/mentions", {"q": "lo"}).text
    assert 'data-mention="@lotte"' in everyone and 'data-mention="@lorenzo"' in everyone
