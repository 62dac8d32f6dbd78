"""POST /api/v1/tickets/: token auth, roles, idempotency, and clear 4xx for bad input."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tickets.models import Customer, Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
GOOD = {
    "customer_email": "Jane@Example.com",
    "customer_name": "Jane Roe",
    "subject": "Cannot log in",
    "body": "My password reset never arrives.",
}


@pytest.fixture
def api(make_user: Any) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=make_user(role="integration"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_integration_token_creates_ticket_customer_interaction_and_event(api: APIClient, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(URL, GOOD, format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(pk=response.json()["ticket"]["id"])
    assert ticket.channel == "api" and ticket.status == "new"
    assert ticket.customer.email == "jane@example.com"
    assert Interaction.objects.filter(ticket=ticket, author_kind="customer").count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="created").exists()
    assert len(callbacks) == 1  # triage is enqueued only after commit


def test_same_idempotency_key_returns_the_first_ticket(api: APIClient) -> None:
    first = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-991")
    second = api.post(URL, {**GOOD, "subject": "changed"}, format="json", HTTP_IDEMPOTENCY_KEY="order-991")
    assert first.status_code == 201 and second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert Ticket.objects.count() == 1
    third = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-992")
    assert third.status_code == 201 and Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**GOOD, "customer_email": "not-an-email"}, "customer_email"),
        ({k: v for k, v in GOOD.items() if k != "subject"}, "subject"),
        ({**GOOD, "body": ""}, "body"),
        ({**GOOD, "subject": "x" * 301}, "subject"),
        ({**GOOD, "channel": "pigeon"}, "channel"),
    ],
)
def test_invalid_fields_get_400_naming_the_field(api: APIClient, payload: dict[str, str], field: str) -> None:
    response = api.post(URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not Ticket.objects.exists()


def test_malformed_json_gets_400_with_a_message(api: APIClient) -> None:
    response = api.post(URL, data=b'{"subject": "x",', content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_a_json_list_is_not_a_ticket(api: APIClient) -> None:
    response = api.post(URL, data=b"[1, 2]", content_type="application/json")
    assert response.status_code == 400


def test_oversized_body_gets_413(api: APIClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    response = api.post(URL, {**GOOD, "body": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_anonymous_and_agents_cannot_create(make_user: Any) -> None:
    assert APIClient().post(URL, GOOD, format="json").status_code in (401, 403)
    agent_client = APIClient()
    agent_client.force_authenticate(make_user(role="agent"))
    assert agent_client.post(URL, GOOD, format="json").status_code == 403
    assert not Ticket.objects.exists()


def test_unknown_customer_becomes_a_new_customer(api: APIClient) -> None:
    api.post(URL, GOOD, format="json")
    api.post(URL, {**GOOD, "subject": "Another thing entirely"}, format="json")
    assert Customer.objects.filter(email="jane@example.com").count() == 1


def test_repeat_contact_on_the_same_subject_is_linked_and_counted(api: APIClient) -> None:
    first = api.post(URL, GOOD, format="json").json()["ticket"]["id"]
    second = api.post(URL, {**GOOD, "subject": "RE: Cannot log in"}, format="json").json()["ticket"]
    third = api.post(URL, {**GOOD, "subject": "cannot log in!!"}, format="json").json()["ticket"]
    other = api.post(URL, {**GOOD, "subject": "Invoice question"}, format="json").json()["ticket"]
    assert second["repeat_of"] == first and second["repeat_count"] == 1
    assert third["repeat_of"] == first and third["repeat_count"] == 2
    assert other["repeat_of"] is None and other["repeat_count"] == 0
    assert Ticket.objects.get(pk=first).repeat_count == 2


def test_agents_list_only_their_teams_tickets_supervisors_all(make_user: Any) -> None:
    mine, theirs = TeamFactory.create(), TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(mine)
    visible = TicketFactory.create(team=mine)
    hidden = TicketFactory.create(team=theirs)
    client = APIClient()
    client.force_authenticate(agent.user)
    ids = {t["id"] for t in client.get(URL).json()}
    assert ids == {visible.pk}
    assert client.get(f"{URL}{hidden.pk}/").status_code == 404
    client.force_authenticate(make_user(role="supervisor"))
    assert {t["id"] for t in client.get(URL).json()} == {visible.pk, hidden.pk}


def test_list_query_count_does_not_grow_with_rows(make_user: Any, django_assert_max_num_queries: Any) -> None:
    client = APIClient()
    client.force_authenticate(make_user(role="supervisor"))
    TicketFactory.create_batch(30)
    with django_assert_max_num_queries(6):
        assert len(client.get(URL).json()) == 30


def test_session_clients_need_csrf(make_user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(role="supervisor"))
    response = client.post(URL, GOOD, content_type="application/json")
    assert response.status_code == 403
