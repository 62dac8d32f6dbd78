"""Signed webhooks: HMAC-SHA256 with a timestamp; bad signatures, replays and unknown sources refused."""

import json
import time
from typing import Any

import pytest
from django.test import Client

from tickets.models import Ticket
from tickets.webhooks import sign

pytestmark = pytest.mark.django_db

SECRET = "whsec-test-0123456789"
EVENT = {
    "id": "evt_1",
    "customer": {"email": "shop@example.com", "name": "Shop Owner"},
    "subject": "Checkout broken",
    "body": "Payments fail with error 500.",
}


@pytest.fixture(autouse=True)
def secrets(settings: Any) -> None:
    settings.WEBHOOK_SECRETS = {"shop": SECRET}


def post(
    client: Client, body: bytes, *, ts: int | None = None, secret: str = SECRET, source: str = "shop", signature: str | None = None
) -> Any:
    stamp = str(ts if ts is not None else int(time.time()))
    return client.post(
        f"/api/v1/inbound/webhook/{source}",
        data=body,
        content_type="application/json",
        HTTP_X_ESCALATION_TIMESTAMP=stamp,
        HTTP_X_ESCALATION_SIGNATURE=signature or sign(secret, stamp, body),
    )


def test_valid_signed_event_creates_one_ticket_even_when_delivered_twice(client: Client) -> None:
    body = json.dumps(EVENT).encode()
    first = post(client, body)
    assert first.status_code == 201, first.content
    assert post(client, body).status_code == 200
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().customer.email == "shop@example.com"


def test_bad_signature_is_401_and_stores_nothing(client: Client) -> None:
    response = post(client, json.dumps(EVENT).encode(), secret="wrong-secret")
    assert response.status_code == 401 and "Signature" in response.json()["detail"]
    tampered = post(
        client,
        json.dumps({**EVENT, "subject": "changed"}).encode(),
        signature=sign(SECRET, str(int(time.time())), json.dumps(EVENT).encode()),
    )
    assert tampered.status_code == 401
    assert not Ticket.objects.exists()


def test_replay_older_than_five_minutes_is_refused(client: Client) -> None:
    response = post(client, json.dumps(EVENT).encode(), ts=int(time.time()) - 301)
    assert response.status_code == 401 and "replay" in response.json()["detail"]
    assert post(client, json.dumps(EVENT).encode(), ts=int(time.time()) - 290).status_code == 201


def test_missing_headers_unknown_source_and_bad_json(client: Client) -> None:
    assert client.post("/api/v1/inbound/webhook/shop", data=b"{}", content_type="application/json").status_code == 401
    assert post(client, b"{}", source="crm").status_code == 404
    bad = post(client, b"{not json")
    assert bad.status_code == 400 and "JSON" in bad.json()["detail"]
    missing = post(client, json.dumps({"id": "evt_2", "subject": "x"}).encode())
    assert missing.status_code == 400 and "customer" in missing.json()
    assert not Ticket.objects.exists()


def test_a_signed_event_with_nan_or_a_number_for_the_subject_is_400_and_stores_nothing(client: Client) -> None:
    for subject in ("NaN", "Infinity", "1e400"):
        body = json.dumps(EVENT).replace('"Checkout broken"', subject).encode()  # a valid signature over bad JSON values
        response = post(client, body)
        assert response.status_code == 400, (subject, response.content)
    assert not Ticket.objects.exists()


def test_an_event_id_replayed_with_a_different_body_is_422(client: Client) -> None:
    assert post(client, json.dumps(EVENT).encode()).status_code == 201
    changed = post(client, json.dumps({**EVENT, "body": "Now refund me 5,000 EUR to this IBAN."}).encode())
    assert changed.status_code == 422 and "different request" in changed.json()["detail"]
    assert Ticket.objects.get().body == EVENT["body"]


def test_integrations_may_not_claim_the_web_form_channel(client: Client) -> None:
    response = post(client, json.dumps({**EVENT, "channel": "web_form"}).encode())
    assert response.status_code == 400 and "channel" in response.json()
