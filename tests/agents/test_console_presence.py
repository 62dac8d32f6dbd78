"""Presence (who else is viewing or replying), the soft claim, and the reply collision hold."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from foundation import presence
from tests.factories import AgentFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Interaction

pytestmark = pytest.mark.django_db
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def desk(clock: Any) -> dict[str, Any]:
    clock.set(START)
    cache.clear()
    team, other = TeamFactory.create(name="Billing", slug="billing"), TeamFactory.create(name="Security", slug="security")
    ana = AgentFactory.create(user=UserFactory.create(username="ana", first_name="Ana", last_name="Silva", role="agent"))
    ben = AgentFactory.create(user=UserFactory.create(username="ben", first_name="Ben", last_name="Okafor", role="agent"))
    outsider = AgentFactory.create(user=UserFactory.create(username="olga", role="agent"))
    ana.teams.add(team)
    ben.teams.add(team)
    outsider.teams.add(other)
    ticket = TicketFactory.create(team=team, assignee=ana, status="in_progress", subject="Charged twice for March")
    InteractionFactory.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body="My card was charged twice for the March invoice.")
    clients = {}
    for name, agent in (("ana", ana), ("ben", ben), ("olga", outsider)):
        clients[name] = Client()
        clients[name].force_login(agent.user)
    return {"ticket": ticket, "team": team, "ana": ana, "ben": ben, "clients": clients}


def beat(desk: dict[str, Any], who: str, state: str = "viewing", body: str = "") -> int:
    response = desk["clients"][who].post(f"/console/ticket/{desk['ticket'].pk}/presence", {"state": state, "body": body})
    return response.status_code


def test_a_heartbeat_shows_the_agent_to_colleagues_and_expires_after_30_seconds(desk: dict[str, Any], clock: Any) -> None:
    ticket = desk["ticket"]
    assert beat(desk, "ana") == 204
    page = desk["clients"]["ben"].get(f"/console/ticket/{ticket.pk}/")
    assert "Ana Silva is viewing" in page.text
    assert "Ana Silva is" not in desk["clients"]["ana"].get(f"/console/ticket/{ticket.pk}/").text  # never yourself
    live = desk["clients"]["ben"].get(f"/console/ticket/{ticket.pk}/live", {"m": "0", "e": "0"})
    assert 'id="presence" aria-live="polite" hx-swap-oob="true"' in live.text and "Ana Silva is viewing" in live.text

    clock.set(START + timedelta(seconds=presence.PRESENCE_SECONDS - 1))
    assert [p.name for p in presence.others_on(ticket_id=ticket.pk, user=desk["ben"].user)] == ["Ana Silva"]
    clock.set(START + timedelta(seconds=presence.PRESENCE_SECONDS + 1))  # no beat since: the tab was closed
    assert presence.others_on(ticket_id=ticket.pk, user=desk["ben"].user) == []
    stored = cache.get(presence.presence_key(ticket.pk))
    assert stored[str(desk["ana"].user.pk)]["at"] == START.timestamp()  # expiry is read from the stored beat time
    assert "Ana Silva is" not in desk["clients"]["ben"].get(f"/console/ticket/{ticket.pk}/live", {"m": "0", "e": "0"}).text


def test_replying_carries_a_preview_of_the_draft_and_a_new_beat_keeps_the_agent_present(desk: dict[str, Any], clock: Any) -> None:
    ticket = desk["ticket"]
    assert beat(desk, "ana", "replying", "Hi, I have refunded the second charge of 49.00 EUR.") == 204
    clock.set(START + timedelta(seconds=25))
    beat(desk, "ana", "replying", "Hi, I have refunded the second charge of 49.00 EUR; it shows in 3 days.")
    clock.set(START + timedelta(seconds=50))  # 50 s after the first beat, 25 s after the second
    (ana,) = presence.others_on(ticket_id=ticket.pk, user=desk["ben"].user)
    assert ana.state == "replying" and ana.draft.endswith("it shows in 3 days.")
    assert "Ana Silva is replying" in desk["clients"]["ben"].get(f"/console/ticket/{ticket.pk}/").text
    beat(desk, "ana", "viewing", "a draft is only kept while replying")
    (ana,) = presence.others_on(ticket_id=ticket.pk, user=desk["ben"].user)
    assert ana.state == "viewing" and ana.draft == ""


def test_heartbeat_and_claim_check_the_ticket_permission_and_the_input(desk: dict[str, Any]) -> None:
    ticket, olga = desk["ticket"], desk["clients"]["olga"]
    assert beat(desk, "olga") == 404
    assert olga.post(f"/console/ticket/{ticket.pk}/claim", {"action": "claim"}).status_code == 404
    assert cache.get(presence.presence_key(ticket.pk)) is None and presence.current_claim(ticket_id=ticket.pk) is None
    assert desk["clients"]["ana"].get(f"/console/ticket/{ticket.pk}/presence").status_code == 405
    bad = desk["clients"]["ana"].post(f"/console/ticket/{ticket.pk}/presence", {"state": "sleeping"})
    assert bad.status_code == 400 and bad.text.startswith("state:")
    bad = desk["clients"]["ana"].post(f"/console/ticket/{ticket.pk}/claim", {"action": "steal"})
    assert bad.status_code == 400 and bad.text.startswith("action:")
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(desk["ana"].user)
    assert csrf.post(f"/console/ticket/{ticket.pk}/presence", {"state": "viewing"}).status_code == 403


def test_a_soft_claim_is_seen_by_others_renewed_while_replying_and_expires(desk: dict[str, Any], clock: Any) -> None:
    ticket, ana, ben = desk["ticket"], desk["clients"]["ana"], desk["clients"]["ben"]
    assert ana.post(f"/console/ticket/{ticket.pk}/claim", {"action": "claim"}).status_code == 302
    assert "Ana Silva is on it since 09:00" in ben.get(f"/console/ticket/{ticket.pk}/").text
    assert "You are on it" in ana.get(f"/console/ticket/{ticket.pk}/").text
    clock.set(START + timedelta(minutes=9))
    beat(desk, "ana", "replying", "Refund issued.")  # renews the claim
    clock.set(START + timedelta(minutes=15))
    claim = presence.current_claim(ticket_id=ticket.pk)
    assert claim is not None and claim.name == "Ana Silva" and claim.at == START
    ben.post(f"/console/ticket/{ticket.pk}/claim", {"action": "release"})  # not Ben's to release
    assert presence.current_claim(ticket_id=ticket.pk) is not None
    clock.set(START + timedelta(minutes=19, seconds=1))  # 10 min after the last renewal
    assert presence.current_claim(ticket_id=ticket.pk) is None
    ana.post(f"/console/ticket/{ticket.pk}/claim", {"action": "claim"})
    ana.post(f"/console/ticket/{ticket.pk}/claim", {"action": "release"})
    assert presence.current_claim(ticket_id=ticket.pk) is None


def test_queue_rows_show_viewers_and_claims_with_flat_queries(desk: dict[str, Any]) -> None:
    ticket, ben = desk["ticket"], desk["clients"]["ben"]

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = ben.get("/console/queue/team/")
        assert response.status_code == 200
        return len(queries), response.text

    count()  # loads the permission sets once
    few, text = count()
    assert "viewing: Ana Silva" not in text
    beat(desk, "ana")
    desk["clients"]["ana"].post(f"/console/ticket/{ticket.pk}/claim", {"action": "claim"})
    more = TicketFactory.create_batch(24, team=desk["team"], status="triaged")
    for other in more[:10]:
        presence.beat(ticket_id=other.pk, user=desk["ana"].user, state="viewing")
    queries, text = count()
    assert queries == few
    assert text.count("viewing: Ana Silva") == 11 and "on it: Ana Silva" in text


def reply(desk: dict[str, Any], who: str, body: str, seen: int, **extra: str) -> Any:
    return desk["clients"][who].post(f"/console/ticket/{desk['ticket'].pk}/reply", {"body": body, "seen": str(seen), **extra})


def test_a_reply_sent_since_the_page_opened_holds_the_send_once_with_an_escaped_preview(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    page = desk["clients"]["ben"].get(f"/console/ticket/{ticket.pk}/")
    seen = page.context["since_message"]
    assert f'name="seen" value="{seen}"' in page.text
    assert reply(desk, "ana", "Refunded the <b>second</b> charge; 3 working days.", seen).status_code == 302
    held = reply(desk, "ben", "Hello, I will refund the duplicate charge today.", seen)
    assert held.status_code == 409
    assert "Ana Silva replied to the customer" in held.text
    assert "Refunded the &lt;b&gt;second&lt;/b&gt; charge" in held.text  # escaped
    assert ">Hello, I will refund the duplicate charge today.</textarea>" in held.text  # the draft is kept
    assert Interaction.objects.filter(ticket=ticket, author=desk["ben"].user).count() == 0
    newest = held.context["since_message"]
    assert newest > seen and f'name="seen" value="{newest}"' in held.text

    sent = reply(desk, "ben", "Hello, I will refund the duplicate charge today.", seen, confirm="1")
    assert sent.status_code == 302
    assert Interaction.objects.filter(ticket=ticket, author=desk["ben"].user, is_internal=False).count() == 1


def test_a_colleague_replying_now_holds_the_send_and_notes_and_own_replies_pass(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    seen = ticket.interactions.order_by("-pk").first().pk
    beat(desk, "ana", "replying", "Hi, the second charge is a pre-authorisation & will drop off.")
    held = reply(desk, "ben", "We are looking into it.", seen)
    assert held.status_code == 409 and "Ana Silva is replying to the customer right now" in held.text
    assert "pre-authorisation &amp; will drop off" in held.text
    note = reply(desk, "ben", "Ana is on this one.", seen, internal="1")  # an internal note never collides
    assert note.status_code == 302
    assert reply(desk, "ana", "Hi, the second charge is a pre-authorisation.", seen).status_code == 302  # own presence
    bad = reply(desk, "ben", "x", "abc")  # type: ignore[arg-type]
    assert bad.status_code == 302 and not Interaction.objects.filter(body="x").exists()


def api_reply(desk: dict[str, Any], who: str, **body: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(desk[who].user)
    return client.post(f"/api/v1/tickets/{desk['ticket'].pk}/replies", {"body": "We refunded the second charge.", **body}, format="json")


def test_the_api_reply_is_held_like_the_console_one_until_the_client_overrides(desk: dict[str, Any], clock: Any) -> None:
    ticket = desk["ticket"]
    seen = ticket.interactions.order_by("-pk").first().pk
    # Ana is typing in the console: an integration posting as Ben gets her draft, and nothing is sent.
    assert beat(desk, "ana", "replying", "Hi! I have refunded the duplicate March charge.") == 204
    held = api_reply(desk, "ben", seen_message_id=seen)
    assert held.status_code == 409, held.content
    collision = held.json()["collision"]
    assert {key: collision[key] for key in ("name", "sent", "preview")} == {
        "name": "Ana Silva", "sent": False, "preview": "Hi! I have refunded the duplicate March charge."
    }  # fmt: skip
    assert datetime.fromisoformat(collision["at"].replace("Z", "+00:00")) == START
    assert "override_collision" in held.json()["detail"]
    assert not Interaction.objects.filter(ticket=ticket, author=desk["ben"].user).exists()
    assert api_reply(desk, "ben", internal=True).status_code == 201  # a note never collides

    # Ana's reply goes out; Ben's client last showed the customer's message: held with her sent reply.
    clock.set(START + timedelta(seconds=presence.PRESENCE_SECONDS + 1))
    assert desk["clients"]["ana"].post(f"/console/ticket/{ticket.pk}/reply", {"body": "Refunded, sorry about that!"}).status_code == 302
    again = api_reply(desk, "ben", seen_message_id=seen)
    assert again.status_code == 409 and again.json()["collision"]["sent"] is True
    assert again.json()["collision"]["preview"] == "Refunded, sorry about that!"
    newest = ticket.interactions.order_by("-pk").first().pk
    assert api_reply(desk, "ben", seen_message_id=newest).status_code == 201  # he has seen hers: nothing new, nobody typing
    assert api_reply(desk, "ben").status_code == 201  # without seen_message_id only typing colleagues hold a reply

    assert beat(desk, "ana", "replying", "One more thing…") == 204
    sent = api_reply(desk, "ben", override_collision=True)
    assert sent.status_code == 201 and sent.json()["body"] == "We refunded the second charge."
    assert api_reply(desk, "ana").status_code == 201  # your own presence never holds you


@pytest.mark.parametrize(("field", "value"), [("seen_message_id", "x"), ("seen_message_id", 0), ("override_collision", "maybe")])
def test_bad_collision_fields_are_a_400_naming_them(desk: dict[str, Any], field: str, value: Any) -> None:
    refused = api_reply(desk, "ben", **{field: value})
    assert refused.status_code == 400 and field in refused.json(), refused.content
