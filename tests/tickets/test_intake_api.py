"""POST /api/v1/tickets/: token auth, roles, idempotency, and clear 4xx for bad input."""

from pathlib import Path
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
    second = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-991")
    assert first.status_code == 201 and second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["ticket"]["id"] == first.json()["ticket"]["id"]
    assert Ticket.objects.count() == 1
    third = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-992")
    assert third.status_code == 201 and Ticket.objects.count() == 2


def test_an_idempotency_key_reused_for_a_different_request_is_422_and_changes_nothing(api: APIClient) -> None:
    first = api.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="order-991")
    changed = api.post(URL, {**GOOD, "subject": "changed"}, format="json", HTTP_IDEMPOTENCY_KEY="order-991")
    assert changed.status_code == 422, changed.content
    assert "different request" in changed.json()["detail"] and changed.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.count() == 1 and Ticket.objects.get().subject == GOOD["subject"]
    assert first.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**GOOD, "customer_email": "not-an-email"}, "customer_email"),
        ({k: v for k, v in GOOD.items() if k != "subject"}, "subject"),
        ({**GOOD, "body": ""}, "body"),
        ({**GOOD, "subject": "x" * 5001}, "subject"),
        ({**GOOD, "channel": "pigeon"}, "channel"),
        ({**GOOD, "channel": "web_form"}, "channel"),  # the help centre's own channel
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
    def post(subject: str) -> Ticket:
        return Ticket.objects.get(pk=api.post(URL, {**GOOD, "subject": subject}, format="json").json()["ticket"]["id"])

    first = post(GOOD["subject"])
    second, third, other = post("RE: Cannot log in"), post("cannot log in!!"), post("Invoice question")
    assert second.repeat_of_id == first.pk and second.repeat_count == 1
    assert third.repeat_of_id == first.pk and third.repeat_count == 2
    assert other.repeat_of_id is None and other.repeat_count == 0
    assert Ticket.objects.get(pk=first.pk).repeat_count == 2


def test_an_intake_only_caller_gets_a_receipt_not_the_ticket(api: APIClient, make_user: Any) -> None:
    receipt = api.post(URL, GOOD, format="json").json()
    ticket = Ticket.objects.get()
    assert receipt["ticket"] == {"id": ticket.pk, "reference": f"#{ticket.pk}", "status": "new"}
    assert "detail" not in receipt and GOOD["body"] not in str(receipt)
    supervisor = APIClient()
    supervisor.force_authenticate(make_user(role="supervisor"))
    full = supervisor.post(URL, {**GOOD, "subject": "Billing address"}, format="json").json()
    assert full["detail"]["subject"] == "Billing address" and full["detail"]["customer"]["email"] == "jane@example.com"


def test_a_subject_reference_never_threads_an_api_contact_onto_a_ticket(api: APIClient) -> None:
    """Anyone may send any customer's address: a reference in the subject links, but never writes into, the ticket."""
    victim = TicketFactory.create(customer__email="victim@example.com", status="resolved", subject="Refund")
    answer = api.post(URL, {**GOOD, "customer_email": "victim@example.com", "subject": f"Re: #{victim.pk} Refund"}, format="json")
    assert answer.status_code == 201 and answer.json()["ticket"]["id"] != victim.pk and "detail" not in answer.json()
    victim.refresh_from_db()
    assert victim.status == "resolved" and victim.interactions.count() == 0
    assert Ticket.objects.get(pk=answer.json()["ticket"]["id"]).repeat_of_id == victim.pk  # linked as a possible repeat


def test_long_subject_and_body_are_stored_cut_with_the_original_attached(api: APIClient, settings: Any, tmp_path: Path) -> None:
    from tickets.services import MAX_BODY, MAX_SUBJECT

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    subject, body = "Subject " + "s" * 400, "Quoted thread\n> " + "b" * 60_000
    response = api.post(URL, {**GOOD, "subject": subject, "body": body}, format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert len(ticket.subject) == MAX_SUBJECT and ticket.subject.endswith("…")
    assert len(ticket.body) <= MAX_BODY and "original-message.txt" in ticket.body
    original = ticket.interactions.get().attachments.get()
    assert original.filename == "original-message.txt"
    assert original.file.read().decode() == f"Subject: {subject}\n\n{body}"


def test_line_breaks_and_control_characters_never_reach_a_header_field(api: APIClient) -> None:
    api.post(URL, {**GOOD, "subject": "Hello\r\nBcc: all@example.com\x07", "customer_name": "Eve\nX-Evil: 1"}, format="json")
    ticket = Ticket.objects.select_related("customer").get()
    assert ticket.subject == "Hello Bcc: all@example.com" and ticket.customer.name == "Eve X-Evil: 1"


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
