"""Sign-in lockout: five wrong passwords lock the account (console and admin), then it lifts."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"


@pytest.fixture(autouse=True)
def _fresh_counters(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lockout-tests"}}
    cache.clear()


def sign_in(client: Client, username: str, password: str, url: str = "/accounts/login/") -> Any:
    return client.post(url, {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(make_user: Any) -> None:
    user = make_user(role="agent")
    client = Client()
    for _ in range(4):
        response = sign_in(client, user.username, "wrong")
        assert response.status_code == 200 and b"did not match" in response.content
    assert sign_in(client, user.username, "wrong").status_code == 200  # the fifth failure sets the lock
    locked = sign_in(client, user.username, PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts. Try again in 15 minutes" in locked.content
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not affected.
    other = make_user(role="agent")
    assert sign_in(client, other.username, PASSWORD).status_code == 302


def test_the_lock_covers_the_admin_sign_in_and_other_spellings(make_user: Any) -> None:
    user = make_user(role="admin")
    for _ in range(5):
        sign_in(Client(), user.username.upper(), "wrong", url="/admin/login/")
    response = sign_in(Client(), user.username, PASSWORD, url="/admin/login/")
    assert response.status_code == 200 and b"Too many failed sign-in attempts" in response.content
    assert sign_in(Client(), user.username, PASSWORD).status_code == 429


def test_success_clears_failures_and_the_lock_expires(make_user: Any, settings: Any) -> None:
    user = make_user(role="agent")
    client = Client()
    for _ in range(4):
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):  # counted from zero again: four more do not lock
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.logout()

    for _ in range(5):
        sign_in(client, user.username, "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    cache.clear()  # the lockout window passes: lock and counters expire together
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(make_user: Any, settings: Any) -> None:
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    user = make_user(role="agent")
    client = Client()
    for index in range(6):
        sign_in(client, f"guess{index}", "wrong")
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.0.0.9"), user.username, PASSWORD).status_code == 302


def test_a_cache_outage_does_not_stop_sign_in(make_user: Any, settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
    user = make_user(role="agent")
    assert sign_in(Client(), user.username, "wrong").status_code == 200
    assert sign_in(Client(), user.username, PASSWORD).status_code == 302
