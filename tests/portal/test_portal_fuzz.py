"""The input fuzz's hostile values, sent to every portal page by a signed-in customer: never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from analytics.models import SatisfactionSurvey
from tests.factories import TicketFactory
from tests.portal.conftest import portal_client
from tests.test_input_fuzz import ROUTES, body_for, fill, quiet_request_log, requests_for, url_patterns, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_hostile_input_to_the_portal_as_a_customer_never_causes_a_server_error(
    world: dict[str, Any],  # noqa: F811
    settings: Any,
    quiet_request_log: None,  # noqa: F811
) -> None:
    settings.PORTAL_LINK_RATE_PER_ADDRESS = settings.PORTAL_LINK_RATE_PER_CLIENT = settings.PORTAL_REPLIES_PER_HOUR = 10**6
    customer = world["ticket"].customer
    resolved = TicketFactory.create(customer=customer, status="resolved")
    SatisfactionSurvey.objects.create(ticket=resolved, customer=customer)  # so a rating reaches the CSAT flow's parsing
    client = portal_client(customer)
    client.raise_request_exception = False
    failures, sent = [], 0
    for route, name in url_patterns():
        if not name.startswith("portal-") or name == "portal-sign-out":  # signing out would end the session mid-run
            continue
        spec = ROUTES[name]
        ticket = resolved if name == "portal-rate" else world["ticket"]
        target = {**world, "ticket": ticket}
        url = fill(route, {param: str(make(target)) for param, make in spec.path.items()})
        valid = [("valid query", "get", url, {"data": {p: m(target) for p, m in spec.query.items()}}),
                 ("valid body", "post", url, body_for(spec, {f: m(target) for f, m in spec.form.items()}))]  # fmt: skip
        for label, method, request_url, kwargs in [*valid, *requests_for(route, spec, target)]:
            with transaction.atomic():
                response = getattr(client, method)(request_url, **kwargs)
                transaction.set_rollback(True)
            sent += 1
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {name} {label} → {response.status_code}")
    assert sent > 200
    assert failures == [], "\n".join(failures)
