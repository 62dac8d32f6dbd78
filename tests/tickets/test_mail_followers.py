"""People in Cc: kept as followers, copied on the agents' replies through a real SMTP server, their answers thread on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.conftest import send_from_outbox
from tests.factories import AgentFactory, TeamFactory, UserFactory
from tests.mailserver import Inbox, smtp_server
from tests.tickets.mailfactory import make_mail
from tickets import mail, services
from tickets.followers import remove_follower
from tickets.models import Customer, Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

ANN = "Ann Buyer <ann@customer.example>"
BOB = "bob@customer.example"


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        yield inbox


def agent_reply(ticket: Ticket, smtp: Inbox, body: str = "We are on it.") -> Any:
    reply = services.add_agent_reply(ticket=ticket, body=body, by=UserFactory.create(role="agent"))
    assert send_from_outbox(f"reply:{reply.pk}").status == "sent"
    return smtp.messages[-1]


def header(message: Any, name: str) -> str:
    """A header as one line (the SMTP server hands over folded ones)."""
    return " ".join(str(message[name] or "").split())


def followers(ticket: Ticket) -> list[str]:
    return list(ticket.follower_links.order_by("added_at", "id").values_list("customer__email", flat=True))


def test_a_ccd_colleague_is_copied_on_the_answer_and_their_reply_threads_on(smtp: Inbox) -> None:
    opened = mail.receive_email(
        make_mail(
            sender=ANN, message_id="<open@customer.example>", subject="Export fails",
            cc=f"Bob Colleague <{BOB}>, Support <support@escalation.localhost>, {ANN}",
        )
    )  # fmt: skip
    ticket = opened.ticket
    assert followers(ticket) == [BOB]  # not the requester, not the desk itself
    assert Customer.objects.get(email=BOB).name == "bob"  # a customer on first contact

    answer = agent_reply(ticket, smtp)
    assert answer["To"] == "ann@customer.example" and answer["Cc"] == BOB
    assert sorted(smtp.envelope_recipients[-1]) == sorted(["ann@customer.example", BOB])

    # Bob answers the desk's mail from his own client: it threads onto Ann's ticket, authored by him.
    bob_says = make_mail(sender=f"Bob <{BOB}>", message_id="<bob1@customer.example>", subject="Re: Export fails",
                         in_reply_to=header(answer, "Message-ID"), body="Same here, the CSV is empty.")  # fmt: skip
    threaded = mail.receive_email(bob_says)
    assert threaded.threaded and threaded.ticket.pk == ticket.pk and Ticket.objects.count() == 1
    assert Interaction.objects.get(external_message_id="<bob1@customer.example>").follower == Customer.objects.get(email=BOB)
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_replied", detail__follower__isnull=False).count() == 1
    # The same delivery again is a duplicate, not a conflict with Ann's ticket.
    again = mail.receive_email(bob_says)
    assert not again.created and again.interaction is None and Interaction.objects.filter(ticket=ticket).count() == 3

    # The next answer still copies Bob and threads with his message.
    second = agent_reply(ticket, smtp, body="Fixed, please try again.")
    assert second["Cc"] == BOB and "<bob1@customer.example>" in header(second, "References")


def test_a_stranger_cannot_write_into_a_ticket_even_with_its_message_id(smtp: Inbox) -> None:
    ticket = mail.receive_email(make_mail(sender=ANN, message_id="<o@x>", cc=BOB)).ticket
    answer = agent_reply(ticket, smtp)
    stranger = mail.receive_email(
        make_mail(
            sender="mallory@elsewhere.example", message_id="<m@x>", subject="Re: Cannot log in", in_reply_to=header(answer, "Message-ID")
        )
    )
    assert stranger.created and stranger.ticket.pk != ticket.pk
    assert Interaction.objects.filter(ticket=ticket).count() == 2


def test_a_removed_follower_is_no_longer_copied_and_no_longer_threads(smtp: Inbox) -> None:
    ticket = mail.receive_email(make_mail(sender=ANN, message_id="<o2@x>", cc=BOB)).ticket
    answer = agent_reply(ticket, smtp)
    agent = UserFactory.create(role="agent")
    assert remove_follower(ticket=ticket, customer_id=Customer.objects.get(email=BOB).pk, by=agent)
    assert followers(ticket) == []
    late = mail.receive_email(make_mail(sender=BOB, message_id="<late@x>", in_reply_to=header(answer, "Message-ID")))
    assert late.created and late.ticket.pk != ticket.pk
    assert agent_reply(ticket, smtp)["Cc"] is None


def test_agents_add_and_remove_followers_in_the_workspace_and_the_api(smtp: Inbox) -> None:
    team, elsewhere = TeamFactory.create(), TeamFactory.create()
    agent, outsider = AgentFactory.create(), AgentFactory.create()
    agent.teams.add(team)
    outsider.teams.add(elsewhere)
    ticket = mail.receive_email(make_mail(sender=ANN, message_id="<o3@x>")).ticket
    Ticket.objects.filter(pk=ticket.pk).update(team=team)

    console = Client()
    console.force_login(agent.user)
    page = console.post(f"/console/ticket/{ticket.pk}/followers", {"action": "add", "email": "Carol@Customer.example"}, follow=True)
    assert page.status_code == 200 and "carol@customer.example" in page.content.decode()
    assert followers(ticket) == ["carol@customer.example"]
    refused = console.post(f"/console/ticket/{ticket.pk}/followers", {"action": "add", "email": "ann@customer.example"}, follow=True)
    assert "requester" in refused.content.decode() and followers(ticket) == ["carol@customer.example"]

    api = APIClient()
    api.force_authenticate(agent.user)
    url = f"/api/v1/tickets/{ticket.pk}/followers"
    added = api.post(url, {"email": BOB}, format="json")
    assert added.status_code == 201 and [row["email"] for row in added.json()] == ["carol@customer.example", BOB]
    assert api.post(url, {"email": "not an address"}, format="json").json().keys() == {"email"}
    assert [row["email"] for row in api.get(url).json()] == ["carol@customer.example", BOB]
    assert agent_reply(Ticket.objects.get(pk=ticket.pk), smtp)["Cc"] == f"carol@customer.example, {BOB}"

    carol = Customer.objects.get(email="carol@customer.example")
    assert api.delete(f"{url}/{carol.pk}").status_code == 204
    assert api.delete(f"{url}/{carol.pk}").status_code == 404
    removed = console.post(f"/console/ticket/{ticket.pk}/followers", {"action": "remove", "customer": Customer.objects.get(email=BOB).pk})
    assert removed.status_code == 302 and followers(ticket) == []
    assert {"follower_added", "follower_removed"} <= set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))

    stranger = APIClient()
    stranger.force_authenticate(outsider.user)
    assert stranger.get(url).status_code == 404 and stranger.post(url, {"email": BOB}, format="json").status_code == 404
    assert Client().post(f"/console/ticket/{ticket.pk}/followers", {"action": "add", "email": BOB}).status_code == 302  # to sign-in
    assert followers(ticket) == []


def test_the_workspace_shows_followers_and_their_messages_with_flat_queries() -> None:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = mail.receive_email(make_mail(sender=ANN, message_id="<w@x>", cc=BOB)).ticket
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    ours = services.add_agent_reply(ticket=ticket, body="Looking.", by=agent.user)
    ours.refresh_from_db()
    console = Client()
    console.force_login(agent.user)

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = console.get(f"/console/ticket/{ticket.pk}/").content.decode()
        return len(queries), html

    mail.receive_email(make_mail(sender=BOB, message_id="<b0@x>", in_reply_to=ours.external_message_id))
    page()  # warm: the role's permissions are cached after the first request
    few, html = page()
    assert BOB in html and "(in Cc)" in html
    for n in range(6):
        colleague = f"colleague{n}@customer.example"
        services.keep_cc_followers(ticket=ticket, addresses=[colleague])
        threaded = mail.receive_email(make_mail(sender=colleague, message_id=f"<c{n}@x>", in_reply_to=ours.external_message_id))
        assert threaded.threaded
    many, html = page()
    assert "colleague5@customer.example" in html
    assert many == few  # one query for the followers, the messages' authors joined
