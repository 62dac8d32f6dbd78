"""Privacy requests: the export holds everything about one customer and nothing of another's; after erasure no
personal string of theirs is left in any text or JSON column of any table, in media or the outbox, and the
dashboards count the same."""

import io
import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.test import Client

from analytics import selectors as dashboards
from analytics.models import SatisfactionSurvey
from analytics.rollup import rebuild_day
from escalation_engine.models import Escalation, Notification
from foundation.audit import log_change
from foundation.models import OutboxMessage, WebhookSubscription
from notifications.models import AgentNotification
from privacy.models import PrivacyRequest
from privacy.services import collect, erase_customer, export_customer
from tests.factories import AgentFactory, TeamFactory
from tickets.followers import add_follower
from tickets.models import Attachment, Customer, Interaction, Ticket, TicketEvent, TicketFollower, TrainingLabel
from tickets.services import IncomingAttachment, add_agent_reply, change_status, receive_contact

pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))]
DAY = date(2026, 12, 1)

NAME, EMAIL = "Jonas Quellenberg", "jonas.quellenberg@example.de"
SUBJECT = "Invoice RE-4471 charged twice on my Visa"
PHRASE = "my card ending 8812 was charged twice for the Zephyr plan"
FOLLOW_UP = "the bank statement from Quellenberg Holzbau shows both charges"
ATTACHMENT_NAME = "kontoauszug-quellenberg.txt"
ATTACHMENT_TEXT = "Kontoauszug Quellenberg IBAN DE44 5001 0517 5407 3249 31"
COMMENT = "Took far too long, Jonas is not amused"
AS_FOLLOWER = "Same blank page here on the Zephyr workstation of our accounting"
PERSONAL = [NAME, EMAIL, "Quellenberg", SUBJECT, PHRASE, FOLLOW_UP, ATTACHMENT_NAME, "IBAN DE44 5001", COMMENT, AS_FOLLOWER]
OTHER = ["Maria Ostrowska", "maria.ostrowska@example.pl", "Dashboard shows a blank page after login"]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    media = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": media}}}
    return media


@pytest.fixture
def stored(django_capture_on_commit_callbacks: Any, make_user: Any, settings: Any) -> dict[str, Any]:
    """One customer's whole story through the real services, and another customer's ticket beside it."""
    settings.OUTBOX_MAX_ATTEMPTS = 1  # the webhook's host does not exist: its delivery fails at once, kept in the outbox
    WebhookSubscription.objects.create(name="crm", url="https://crm.example.com/hook", events=["ticket.created", "customer.replied"])
    team = TeamFactory.create()
    agent_user = make_user(role="agent")
    agent = AgentFactory.create(user=agent_user)
    agent.teams.add(team)
    admin = make_user(role="admin", is_staff=True, is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = receive_contact(
            channel="email", customer_email=EMAIL, customer_name=NAME, subject=SUBJECT,
            body=f"Hello,\n\n{PHRASE}. Please refund one of them.\n\nJonas Quellenberg\nQuellenberg Holzbau GmbH",
            attachments=[IncomingAttachment(ATTACHMENT_NAME, "text/plain", ATTACHMENT_TEXT.encode())],
        ).ticket  # fmt: skip
        other = receive_contact(
            channel="email", customer_email=OTHER[1], customer_name=OTHER[0], subject=OTHER[2], body="Since Monday."
        ).ticket
        Ticket.objects.filter(pk=ticket.pk).update(team=team, assignee=agent, status="assigned")
        # Jonas is also in Cc of Maria's ticket and writes into it as its follower.
        add_follower(ticket=other, email=EMAIL, by=agent_user)
        receive_contact(
            channel="email", customer_email=EMAIL, subject=f"Re: [#{other.pk}] {OTHER[2]}", body=AS_FOLLOWER,
            reply_address_tickets=[other.pk], sender_verified=True,
        )  # fmt: skip
        add_agent_reply(ticket=ticket, body=f"Hello {NAME.split()[0]}, we refunded one charge of {SUBJECT}.", by=agent_user)
        receive_contact(
            channel="email", customer_email=EMAIL, subject=f"Re: [#{ticket.pk}] {SUBJECT}", body=FOLLOW_UP,
            reply_address_tickets=[ticket.pk], sender_verified=True,
        )  # fmt: skip
        change_status(ticket=ticket, status="resolved", by=agent_user)
    SatisfactionSurvey.objects.filter(ticket=ticket).update(rating=2, comment=COMMENT, answered_at=datetime(2026, 12, 1, 11, tzinfo=UTC))
    escalation = Escalation.objects.create(
        ticket=ticket, tier="senior_support", score=0.7, recommendation="priority",
        signals={"keywords": [PHRASE[:30]]}, decision_reason=f"Customer rated 2/5: {COMMENT}",
    )  # fmt: skip
    Notification.objects.create(escalation=escalation, channel="email", target="lead@desk.example")
    AgentNotification.objects.create(
        recipient=agent, kind="customer_replied", ticket=ticket, text=f"{NAME} replied on #{ticket.pk} {SUBJECT}"[:300],
        dedupe_key="x", created_at=datetime(2026, 12, 1, 10, 5, tzinfo=UTC),
    )  # fmt: skip
    TrainingLabel.objects.create(ticket=ticket, field="category", old_value="", new_value="billing")
    log_change(admin, Customer.objects.get(pk=ticket.customer_id), action=CHANGE, message=f"Changed name to {NAME}.")
    rebuild_day(DAY)
    return {"ticket": Ticket.objects.get(pk=ticket.pk), "other": other, "admin": admin}


def text_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb', 'character') ORDER BY 1, 2"
        )
        return cursor.fetchall()


def found_in_database(strings: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, string) where a string occurs, case-insensitively, in any text or JSON column."""
    hits = []
    patterns = [f"%{s.replace('%', '').replace('_', '|_')}%" for s in strings]
    with connection.cursor() as cursor:
        for table, column in text_columns():
            for string, pattern in zip(strings, patterns, strict=True):
                cursor.execute(f'SELECT 1 FROM "{table}" WHERE "{column}"::text ILIKE %s ESCAPE \'|\' LIMIT 1', [pattern])  # noqa: S608
                if cursor.fetchone():
                    hits.append((table, column, string))
    return hits


def found_in_media(media: Path, strings: list[str]) -> list[str]:
    hits = []
    for path in media.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace").lower() + " " + str(path).lower()
            hits += [f"{path}: {s}" for s in strings if s.lower() in text]
    return hits


def numbers(value: Any) -> Any:
    """The figures of a dashboard, without its texts (an erased ticket's subject reads "[erased]")."""
    if isinstance(value, dict):
        return {key: numbers(item) for key, item in value.items() if not isinstance(item, str)}
    if isinstance(value, list):
        return [numbers(item) for item in value if not isinstance(item, str)]
    return value


def figures() -> dict[str, Any]:
    rebuild_day(DAY)
    result = {}
    for name in ("sla", "escalations", "satisfaction", "volume", "selfservice"):
        filters = dashboards.parse_filters({"from": "2026-11-25", "to": "2026-12-01"}, name)
        result[name] = numbers(json.loads(json.dumps(getattr(dashboards, f"{name}_dashboard")(filters), default=str)))
    return result


def test_the_story_left_personal_data_in_every_kind_of_place(stored: dict[str, Any], _media: Path) -> None:
    """The scan finds the customer everywhere before the erasure, so its silence afterwards means something."""
    tables = {table for table, _, _ in found_in_database(PERSONAL)}
    assert {"tickets_customer", "tickets_ticket", "tickets_interaction", "tickets_attachment", "foundation_outboxmessage",
            "analytics_satisfactionsurvey", "escalation_escalation", "notifications_agentnotification",
            "django_admin_log"} <= tables  # fmt: skip
    assert found_in_media(_media, ["IBAN DE44 5001"])
    kinds = set(OutboxMessage.objects.filter(recipient=EMAIL).values_list("kind", flat=True))
    assert {"reply", "survey"} <= kinds and OutboxMessage.objects.filter(kind="webhook").exists()


def test_export_holds_every_stored_item_about_the_customer_and_nothing_of_anothers(stored: dict[str, Any]) -> None:
    ticket = stored["ticket"]
    archive = zipfile.ZipFile(io.BytesIO(export_customer(customer=ticket.customer, by=stored["admin"])))
    assert sorted(archive.namelist()) == sorted(["customer.json", *(f"attachments/{a.pk}-{a.filename}" for a in Attachment.objects.all()
                                                                     if a.interaction.ticket_id == ticket.pk)])  # fmt: skip
    [attachment_name] = [name for name in archive.namelist() if name.startswith("attachments/")]
    assert archive.read(attachment_name).decode() == ATTACHMENT_TEXT
    data = json.loads(archive.read("customer.json"))

    def ids(name: str) -> set[int]:
        return {row["pk"] for row in data[name]}

    # His messages: on his ticket, and the one he wrote into Maria's as a follower (its words are his).
    interactions = Interaction.objects.filter(Q(ticket=ticket) | Q(follower=ticket.customer))
    webhook_rows = OutboxMessage.objects.filter(kind="webhook", payload__data__ticket__id=ticket.pk)
    assert ids("customer") == {ticket.customer_id} and ids("tickets") == {ticket.pk}
    assert ids("messages") == set(interactions.values_list("pk", flat=True)) and len(ids("messages")) == 4
    assert {row["fields"]["ticket"] for row in data["followers"]} == {stored["other"].pk}
    assert ids("attachments") == set(Attachment.objects.filter(interaction__ticket=ticket).values_list("pk", flat=True))
    assert ids("events") == set(TicketEvent.objects.filter(ticket=ticket).values_list("pk", flat=True))
    assert ids("surveys") == set(SatisfactionSurvey.objects.filter(ticket=ticket).values_list("pk", flat=True)) != set()
    assert ids("escalations") == set(Escalation.objects.filter(ticket=ticket).values_list("pk", flat=True)) != set()
    assert ids("agent_notifications") and ids("training_labels") and ids("escalation_notifications") and ids("audit_log")
    outbox = ids("outbox")
    assert set(OutboxMessage.objects.filter(recipient=EMAIL).values_list("pk", flat=True)) <= outbox
    assert set(webhook_rows.values_list("pk", flat=True)) <= outbox and webhook_rows.exists()
    text = archive.read("customer.json").decode()
    assert PHRASE in text and FOLLOW_UP in text and COMMENT in text and AS_FOLLOWER in text
    assert not [s for s in OTHER if s.lower() in text.lower()]  # nothing of the other customer
    assert all(row["fields"].get("ticket") in (None, ticket.pk) for name in ("events", "surveys") for row in data[name])
    assert all(row["fields"]["ticket"] == ticket.pk or row["fields"]["follower"] == ticket.customer_id for row in data["messages"])
    record = PrivacyRequest.objects.get(kind="export")
    assert record.customer_id == ticket.customer_id and record.by == stored["admin"] and record.counts["messages"] == 4


def test_after_erasure_no_personal_string_is_left_anywhere_and_the_figures_are_unchanged(
    stored: dict[str, Any], _media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    before = figures()
    counts_before = {model.__name__: model.objects.count() for model in (Ticket, Interaction, SatisfactionSurvey, Escalation)}
    with django_capture_on_commit_callbacks(execute=True):
        record = erase_customer(customer=stored["ticket"].customer, by=stored["admin"])

    assert found_in_database(PERSONAL) == []
    assert found_in_media(_media, PERSONAL) == []
    assert not OutboxMessage.objects.filter(recipient__iexact=EMAIL).exists()
    assert figures() == before
    assert {model.__name__: model.objects.count() for model in (Ticket, Interaction, SatisfactionSurvey, Escalation)} == counts_before
    ticket = Ticket.objects.get(pk=stored["ticket"].pk)
    assert ticket.status == "resolved" and ticket.subject == "[erased]" and ticket.customer.email.endswith("@erased.invalid")
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == 2  # the figure stays, the words go
    assert not TrainingLabel.objects.filter(ticket=ticket).exists()  # never trained on again
    # The other customer is untouched; the audit entry names no one.
    assert {s for _, _, s in found_in_database(OTHER)} == set(OTHER)
    assert record.kind == "erase" and record.counts["tickets"] == 1 and record.by == stored["admin"]
    assert not [s for s in PERSONAL if s.lower() in json.dumps(record.counts).lower()]
    assert collect(ticket.customer)["messages"]  # the erased customer can still be exported (now anonymous)
    assert not TicketFollower.objects.filter(customer=ticket.customer).exists()  # no longer in Cc of Maria's ticket
    assert Interaction.objects.filter(ticket=stored["other"], follower=ticket.customer).get().body == "[erased]"


def test_commands_export_and_erase_by_email(stored: dict[str, Any], tmp_path: Path, capsys: Any) -> None:
    output = tmp_path / "export.zip"
    call_command("export_customer", EMAIL.upper(), "--output", str(output))
    assert PHRASE in zipfile.ZipFile(output).read("customer.json").decode()
    call_command("erase_customer", EMAIL, "--yes")
    assert "Erased customer" in capsys.readouterr().out
    assert not Customer.objects.filter(email=EMAIL).exists() and PrivacyRequest.objects.filter(kind="erase", by=None).count() == 1
    with pytest.raises(Exception, match="No customer"):
        call_command("erase_customer", EMAIL, "--yes")


def test_admin_actions_download_the_zip_and_erase_after_confirming(stored: dict[str, Any]) -> None:
    client = Client()
    client.force_login(stored["admin"])
    customer_id = stored["ticket"].customer_id
    url = "/admin/tickets/customer/"
    download = client.post(url, {"action": "export_personal_data", "_selected_action": [customer_id]})
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert PHRASE in zipfile.ZipFile(io.BytesIO(download.content)).read("customer.json").decode()
    confirm = client.post(url, {"action": "erase_personal_data", "_selected_action": [customer_id]})
    assert confirm.status_code == 200 and b"cannot be undone" in confirm.content
    assert Customer.objects.filter(email=EMAIL).exists()  # asking changes nothing
    done = client.post(url, {"action": "erase_personal_data", "_selected_action": [customer_id], "confirm": "yes"}, follow=True)
    assert done.status_code == 200 and b"Erased the personal data of 1 customer(s)." in done.content
    assert not Customer.objects.filter(email=EMAIL).exists()
    agent = Client()
    agent.force_login(stored["ticket"].assignee.user)
    refused = agent.post(url, {"action": "export_personal_data", "_selected_action": [stored["other"].customer_id]})
    assert refused.status_code in (302, 403)  # not staff: no admin, no export
