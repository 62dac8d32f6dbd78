"""Auto-responder loops: a robot's mail is stored but never answered automatically; ours says it is automatic.

Through a real SMTP server: the auto-reply and the survey a person's ticket gets (each with
``Auto-Submitted: auto-replied``), and nothing at all for an out-of-office, a bounce or a
list, nor for a sender past the per-minute limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from analytics.models import SatisfactionSurvey
from foundation.models import OutboxMessage
from helpcenter import services as helpcenter
from helpcenter.models import KnowledgeArticle
from tests.conftest import send_from_outbox
from tests.factories import UserFactory
from tests.mailserver import Inbox, smtp_server
from tests.tickets.mailfactory import make_mail
from tickets import mail, services
from tickets.models import Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

OUT_OF_OFFICE = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
ROBOTS = [
    ("Ann <ann@customer.example>", {"Auto-Submitted": "auto-generated"}, "auto-submitted"),
    ("Ann <ann@customer.example>", {"Auto-Submitted": 'auto-replied; owner-email="ann@customer.example"'}, "auto-submitted"),
    ("News <news@lists.example>", {"Precedence": "bulk"}, "precedence"),
    ("List <l@lists.example>", {"Precedence": "list"}, "precedence"),
    ("Bot <bot@shop.example>", {"X-Autorespond": "vacation"}, "x-autoreply"),
    ("Bot <bot@shop.example>", {"X-Autoreply": "yes"}, "x-autoreply"),
    ("Mail Delivery System <MAILER-DAEMON@mx.example>", {}, "mailer-daemon"),
    ("postmaster@mx.example", {}, "mailer-daemon"),
    ("bounce@mx.example", {"Return-Path": "<>"}, "bounce"),
]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        yield inbox


@pytest.fixture
def article() -> KnowledgeArticle:
    return KnowledgeArticle.objects.create(title="Reset your password", slug="reset", body="Choose Forgot password.")


def as_triage_drafted(ticket: Ticket, article: KnowledgeArticle) -> Ticket:
    """What triage stores when an article answers the ticket (tests/helpcenter covers triage itself)."""
    Ticket.objects.filter(pk=ticket.pk).update(status="triaged", auto_reply_draft="Try this article.", auto_reply_article=article)
    return Ticket.objects.select_related("customer").get(pk=ticket.pk)


def mail_back(ticket: Ticket, article: KnowledgeArticle, smtp: Inbox) -> list[Any]:
    """Everything automatic the desk would send for this ticket: its auto-reply, and its survey once resolved."""
    before = len(smtp.messages)
    ticket = as_triage_drafted(ticket, article)
    helpcenter.send_auto_reply(ticket_id=ticket.pk)  # queue + send (eager)
    services.change_status(ticket=Ticket.objects.get(pk=ticket.pk), status="resolved", by=UserFactory.create(role="agent"))
    survey = SatisfactionSurvey.objects.filter(ticket=ticket).first()
    if survey is not None:
        send_from_outbox(f"survey:{survey.pk}")
    return smtp.messages[before:]


def test_a_persons_ticket_gets_its_automatic_mail_and_each_says_it_is_automatic(smtp: Inbox, article: KnowledgeArticle) -> None:
    ticket = mail.receive_email(make_mail(sender="Ann <ann@customer.example>", message_id="<human@x>")).ticket
    assert ticket.automatic_mail_blocked == ""
    sent = mail_back(ticket, article, smtp)
    assert [message["Subject"].startswith("Re:") for message in sent] == [True, False]  # the auto-reply, then the survey
    assert {message["Auto-Submitted"] for message in sent} == {"auto-replied"}
    assert {message["X-Auto-Response-Suppress"] for message in sent} == {"All"}


@pytest.mark.parametrize(("sender", "headers", "reason"), ROBOTS)
def test_a_robots_mail_is_stored_but_gets_no_automatic_mail(
    smtp: Inbox, article: KnowledgeArticle, sender: str, headers: dict[str, str], reason: str
) -> None:
    result = mail.receive_email(make_mail(sender=sender, headers=headers, message_id="<robot@x>", cc="someone@customer.example"))
    assert result.created and result.ticket.automatic_mail_blocked == reason
    assert Interaction.objects.get(ticket=result.ticket).automatic_reason == reason
    assert not result.ticket.follower_links.exists()  # a robot's Cc list makes nobody a follower
    assert mail_back(result.ticket, article, smtp) == []
    assert not OutboxMessage.objects.exists() and not SatisfactionSurvey.objects.exists()


def test_auto_submitted_no_is_a_person(smtp: Inbox, article: KnowledgeArticle) -> None:
    ticket = mail.receive_email(make_mail(headers={"Auto-Submitted": "no", "Precedence": "first-class"}, message_id="<p@x>")).ticket
    assert ticket.automatic_mail_blocked == "" and len(mail_back(ticket, article, smtp)) == 2


def test_an_out_of_office_reply_causes_no_mail_back_and_reopens_nothing(smtp: Inbox) -> None:
    ticket = mail.receive_email(make_mail(sender="Ann <ann@customer.example>", message_id="<q@x>")).ticket
    reply = services.add_agent_reply(ticket=ticket, body="Fixed it, closing.", by=UserFactory.create(role="agent"))
    send_from_outbox(f"reply:{reply.pk}")
    Ticket.objects.filter(pk=ticket.pk).update(status="resolved")
    sent = len(smtp.messages)
    our_reply = " ".join(str(smtp.messages[-1]["Message-ID"]).split())
    ooo = mail.receive_email(
        make_mail(sender="Ann <ann@customer.example>", message_id="<ooo@x>", subject="Out of office: Re: Cannot log in",
                  in_reply_to=our_reply, headers=OUT_OF_OFFICE, body="I am away until Monday.")
    )  # fmt: skip
    assert ooo.threaded and ooo.ticket.pk == ticket.pk
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"  # stored in the conversation, nothing reopened
    assert TicketEvent.objects.filter(ticket=ticket, kind="automatic_mail_stored").count() == 1
    assert not TicketEvent.objects.filter(ticket=ticket, kind="customer_replied").exists()
    assert len(smtp.messages) == sent and OutboxMessage.objects.count() == 1  # only the agent's reply, ever


def test_ten_mails_in_a_minute_from_one_sender_are_rate_limited_but_all_stored(
    smtp: Inbox, article: KnowledgeArticle, settings: Any, clock: Any
) -> None:
    settings.MAIL_SENDER_RATE_PER_MINUTE = 5
    clock.set(MONDAY)
    robot = "Shop Bot <orders@shop.example>"  # a misconfigured robot: no header says it is one
    tickets = []
    for n in range(10):
        clock.set(MONDAY + timedelta(seconds=5 * n))
        tickets.append(mail.receive_email(make_mail(sender=robot, subject=f"Order {n} confirmation", message_id=f"<o{n}@shop>")).ticket)
    assert len({t.pk for t in tickets}) == 10  # every one stored: a person's mail is never dropped
    assert [t.automatic_mail_blocked for t in tickets] == [""] * 5 + ["rate-limited"] * 5
    assert all(mail_back(t, article, smtp) == [] for t in tickets[5:])  # no mail back to the flood

    # Another sender is not affected, and a minute later the robot counts from zero again.
    assert mail.receive_email(make_mail(sender="ann@customer.example", message_id="<ann@x>")).ticket.automatic_mail_blocked == ""
    clock.set(MONDAY + timedelta(seconds=45 + 61))
    later = mail.receive_email(make_mail(sender=robot, subject="Order 11", message_id="<o11@shop>")).ticket
    assert later.automatic_mail_blocked == ""


@pytest.mark.parametrize(("sender", "headers", "reason"), ROBOTS[:3])
def test_a_robots_ticket_gets_no_acknowledgement_and_a_persons_does(sender: str, headers: dict[str, str], reason: str) -> None:
    robot = mail.receive_email(make_mail(sender=sender, headers=headers, message_id="<robot-ack@x>")).ticket
    person = mail.receive_email(make_mail(sender="Ann <ann@customer.example>", message_id="<person-ack@x>")).ticket
    Ticket.objects.filter(pk__in=[robot.pk, person.pk]).update(status="triaged")
    assert helpcenter.queue_acknowledgement(Ticket.objects.select_related("customer").get(pk=robot.pk)) is None
    acknowledgement = helpcenter.queue_acknowledgement(Ticket.objects.select_related("customer").get(pk=person.pk))
    assert acknowledgement is not None and acknowledgement.recipient == "ann@customer.example"
    assert acknowledgement.headers["Auto-Submitted"] == "auto-replied"
