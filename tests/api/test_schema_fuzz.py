"""Schemathesis fuzzes every API operation against a live server: no 5xx, responses match the schema."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tests.factories import AgentFactory, TicketFactory, UserFactory

# Every operation × EXAMPLES_PER_OPERATION runs inside one test: 40-odd operations outlast the default 300 s on two busy cores.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(1500)]

EXAMPLES_PER_OPERATION = 80


@schemathesis.serializer("message/rfc822")
def rfc822(ctx: Any, value: Any) -> bytes:
    """Mail relays post raw bytes: fuzz the inbound-mail endpoint with arbitrary bytes and text."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


@pytest.fixture
def token(live_server: Any) -> str:
    # An admin token reaches every operation; role refusals are covered by the permission matrix.
    user = UserFactory.create(role="admin", is_superuser=True)
    agent = AgentFactory.create(user=user)
    TicketFactory.create_batch(3, status="triaged")
    del agent
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(live_server: Any, token: str) -> Any:
    return schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", headers={"Authorization": f"Token {token}"})


schema = schemathesis.pytest.from_fixture("api_schema")
CASES: list[int] = []


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_errors_and_matches_its_schema(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Token {token}"})
    CASES.append(1)
    case.validate_response(response, checks=(not_a_server_error, status_code_conformance, response_schema_conformance))


def test_fuzzing_ran_at_least_a_thousand_cases() -> None:
    # Runs after the parametrized test above (same module, defined later).
    print(f"schemathesis cases: {len(CASES)}")
    assert len(CASES) >= 1000, len(CASES)
