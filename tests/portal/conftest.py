"""Portal fixtures: a fresh rate-limit cache, and a client signed in as a customer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from portal import services
from portal.models import SignInLink
from portal.views import COOKIE


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def portal_client(customer: Any, client: Client | None = None) -> Client:
    """A client holding a customer session, opened the way a link opens it (a used ``SignInLink``)."""
    client = client or Client()
    link = SignInLink.objects.create(customer=customer, nonce=f"test-{customer.pk}-{SignInLink.objects.count()}")
    _, key = services.sign_in(token=services.token_for(link))
    client.cookies[COOKIE] = key
    client.cookies[COOKIE]["path"] = "/portal/"
    return client
