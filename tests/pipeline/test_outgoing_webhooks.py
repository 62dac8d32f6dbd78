"""Outgoing webhooks: a real HTTP receiver on loopback gets every event once, signed like inbound webhooks,
and the retry after a failure; the SSRF guard refuses private targets at save and at delivery."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from agents.services import assign_ticket
from escalation_engine import sla
from escalation_engine.models import Escalation
from escalation_engine.services import accept_escalation, request_escalation
from foundation import outbox
from foundation.models import WEBHOOK_EVENTS, OutboxMessage, WebhookSubscription
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, UserFactory
from tickets import webhooks
from tickets.models import Ticket
from tickets.services import change_status, recategorize_ticket, receive_contact, reprioritize_ticket, set_tags

FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(FRIDAY_4PM)]
ALL_EVENTS = [name for name, _ in WEBHOOK_EVENTS]


class Receiver:
    """A threaded http.server on 127.0.0.1 that records every POST and answers the queued status codes (then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                code = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/desk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def events(self) -> list[str]:
        return [json.loads(r["body"])["event"] for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


@pytest.fixture
def loopback_allowed(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver is on 127.0.0.1


def subscribe(url: str, events: list[str] = ALL_EVENTS) -> WebhookSubscription:
    subscription = WebhookSubscription(name="crm", url=url, events=events)
    subscription.full_clean()
    subscription.save()
    return subscription


def deliver_all() -> list[OutboxMessage]:
    """Send every queued webhook delivery as the worker would, oldest first."""
    messages = list(OutboxMessage.objects.filter(kind="webhook", status="queued").order_by("id"))
    for message in messages:
        outbox.deliver(message.pk)
    return messages


def verify(secret: str, request: dict[str, Any]) -> None:
    """The receiver's side: the same check the desk applies to inbound webhooks."""
    headers = request["headers"]
    webhooks.verify(
        secret=secret,
        timestamp=headers[webhooks.TIMESTAMP_HEADER],
        signature=headers[webhooks.SIGNATURE_HEADER],
        body=request["body"],
        now=FRIDAY_4PM.timestamp(),
        max_age_seconds=300,
    )


def test_every_event_reaches_the_receiver_once_signed_and_verifiable(receiver: Receiver, loopback_allowed: None) -> None:
    subscription = subscribe(receiver.url)
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    supervisor = UserFactory.create(role="supervisor")

    created = receive_contact(
        channel="api", customer_email="ana@shop.example", subject="Checkout fails with a card error", body="Card declined twice."
    )
    ticket = Ticket.objects.get(pk=created.ticket.pk)
    ticket.team = team
    sla.apply_start(ticket, now=FRIDAY_4PM)
    ticket.save()
    assign_ticket(ticket=ticket, agent=agent, by=supervisor)
    reprioritize_ticket(ticket=Ticket.objects.get(pk=ticket.pk), priority=1, by=supervisor)
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.next_check_at is not None and ticket.sla_first_response_due_at is not None
    sla.refresh_status(ticket, now=ticket.next_check_at)  # 75% of the first-response target
    assert ticket.sla_status == "at_risk"
    sla.refresh_status(ticket, now=ticket.sla_first_response_due_at)
    assert ticket.sla_status == "breached"
    ticket.save()
    escalation = request_escalation(ticket=ticket, by=agent.user, reason="Customer is losing sales")
    assert escalation is not None
    accept_escalation(escalation_id=escalation.pk, by=supervisor)
    change_status(ticket=Ticket.objects.get(pk=ticket.pk), status="resolved", by=agent.user)
    receive_contact(
        channel="email",
        customer_email="ana@shop.example",
        subject="Re: Checkout fails",
        body="It is failing again.",
        thread_onto=Ticket.objects.get(pk=ticket.pk),
    )
    # Announcing the same occurrence again queues nothing new (dedupe key webhook:<subscription>:<event id>).
    queued = OutboxMessage.objects.filter(kind="webhook").count()
    outbox.publish(event="ticket.created", event_id=f"ticket.created:{ticket.pk}", data={})
    assert OutboxMessage.objects.filter(kind="webhook").count() == queued

    sent = deliver_all()

    assert all(message.status == "sent" for message in OutboxMessage.objects.filter(pk__in=[m.pk for m in sent]))
    assert Counter(receiver.events()) == Counter(ALL_EVENTS), receiver.events()
    payloads = [json.loads(r["body"]) for r in receiver.requests]
    assert len({p["id"] for p in payloads}) == len(payloads)  # a delivery id each
    for request, payload in zip(receiver.requests, payloads, strict=True):
        verify(subscription.secret, request)
        assert request["path"] == "/hooks/desk"
        assert request["headers"]["X-Escalation-Delivery"] == payload["id"]
        assert request["headers"]["X-Escalation-Event"] == payload["event"]
    by_event = {p["event"]: p["data"] for p in payloads}
    assert by_event["ticket.created"]["ticket"]["reference"] == ticket.reference
    assert by_event["ticket.assigned"]["agent_id"] == agent.pk
    assert by_event["ticket.updated"]["changes"]["priority"] == ["P2", "P1"]
    assert by_event["escalation.decided"]["escalation"]["status"] == Escalation.Status.ACCEPTED
    assert by_event["ticket.reopened"]["changes"]["status"][0] == "resolved"
    # A tampered body fails the receiver's check.
    with pytest.raises(webhooks.WebhookRejected):
        verify(subscription.secret, {**receiver.requests[0], "body": receiver.requests[0]["body"] + b" "})


def test_only_subscribed_events_are_sent_and_a_switched_off_subscription_fails_at_once(receiver: Receiver, loopback_allowed: None) -> None:
    subscription = subscribe(receiver.url, events=["ticket.resolved"])
    created = receive_contact(channel="api", customer_email="bo@shop.example", subject="Invoice copy", body="Please resend it.")
    assert not OutboxMessage.objects.filter(kind="webhook").exists()  # ticket.created is not subscribed
    change_status(ticket=Ticket.objects.get(pk=created.ticket.pk), status="resolved", by=UserFactory.create(role="agent"))
    message = OutboxMessage.objects.get(kind="webhook")
    subscription.is_active = False
    subscription.save()
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1) and "switched off" in message.last_error
    assert receiver.requests == []


def test_category_and_tag_changes_are_ticket_updates_with_their_changes(receiver: Receiver, loopback_allowed: None) -> None:
    subscribe(receiver.url, events=["ticket.updated"])
    agent = UserFactory.create(role="agent")
    created = receive_contact(channel="api", customer_email="fi@shop.example", subject="Wrong invoice", body="Billed twice.")
    billing = CategoryFactory.create(slug="billing")
    recategorize_ticket(ticket=Ticket.objects.get(pk=created.ticket.pk), category=billing, by=agent)
    set_tags(ticket=Ticket.objects.get(pk=created.ticket.pk), tags=["VIP", "refund"], by=agent)
    set_tags(ticket=Ticket.objects.get(pk=created.ticket.pk), tags=["refund", "vip"], by=agent)  # unchanged: no delivery
    deliver_all()
    changes = [json.loads(r["body"])["data"]["changes"] for r in receiver.requests]
    assert changes == [{"category": ["", "billing"]}, {"tags": [[], ["refund", "vip"]]}]


def test_a_failed_delivery_is_retried_with_the_same_delivery_id_and_sent(receiver: Receiver, loopback_allowed: None, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    subscription = subscribe(receiver.url, events=["ticket.created"])
    receiver.answers = [500]
    receive_contact(channel="api", customer_email="cy@shop.example", subject="Login loop", body="The login page reloads forever.")
    message = OutboxMessage.objects.get(kind="webhook")
    with pytest.raises(outbox.DeliveryError, match="answered 500"):
        outbox.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1) and message.next_attempt_at > FRIDAY_4PM  # backing off
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    first, retry = (json.loads(r["body"]) for r in receiver.requests)
    assert first["id"] == retry["id"] and first["event"] == "ticket.created"  # the receiver can de-duplicate
    for request in receiver.requests:
        verify(subscription.secret, request)


def test_failed_after_the_last_try_then_sent_again_from_admin(receiver: Receiver, loopback_allowed: None, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 1
    subscription = subscribe(receiver.url, events=["ticket.created"])
    receiver.answers = [503]
    receive_contact(channel="api", customer_email="di@shop.example", subject="Refund", body="Where is my refund?")
    message = OutboxMessage.objects.get(kind="webhook")
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "503" in message.last_error
    admin = Client()
    admin.force_login(UserFactory.create(role="admin", is_superuser=True, is_staff=True))
    log = admin.get(f"/admin/foundation/outboxmessage/?kind=webhook&ref_id={subscription.pk}")
    assert log.status_code == 200 and "ticket.created" in log.text
    answer = admin.post("/admin/foundation/outboxmessage/", {"action": "send_again", "_selected_action": [message.pk]})
    assert answer.status_code == 302
    message.refresh_from_db()
    assert message.status in ("queued", "sent")
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "sent" and len(receiver.requests) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "ftp://hooks.example/x",
    ],
)
def test_the_guard_refuses_private_loopback_metadata_and_odd_targets_at_save(url: str, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError) as refused:
        subscribe(url)
    assert "url" in refused.value.message_dict


def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_resolving_to_a_private_address_is_refused_at_save(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    fake_dns(monkeypatch, {"hooks.crm.example": "10.20.30.40"})
    with pytest.raises(ValidationError, match="private"):
        subscribe("https://hooks.crm.example/desk")
    admin = Client()
    admin.force_login(UserFactory.create(role="admin", is_superuser=True, is_staff=True))
    page = admin.post(
        "/admin/foundation/webhooksubscription/add/",
        {"name": "crm", "url": "https://hooks.crm.example/desk", "events": ["ticket.created"], "is_active": "on"},
    )
    assert page.status_code == 200 and "private address" in page.text and not WebhookSubscription.objects.exists()


def test_a_dns_change_after_save_is_refused_at_delivery(receiver: Receiver, monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    port = receiver.server.server_address[1]
    fake_dns(monkeypatch, {"hooks.crm.example": "93.184.215.14"})  # public when the admin saves it
    subscribe(f"http://hooks.crm.example:{port}/desk", events=["ticket.created"])
    receive_contact(channel="api", customer_email="ed@shop.example", subject="Broken link", body="The link in the mail is broken.")
    fake_dns(monkeypatch, {"hooks.crm.example": "127.0.0.1"})  # rebinding: now it points at the desk's own host
    message = OutboxMessage.objects.get(kind="webhook")
    outbox.deliver(message.pk)
    message.refresh_from_db()
    assert message.status == "failed" and "loopback" in message.last_error
    assert receiver.requests == []  # nothing reached the loopback receiver
