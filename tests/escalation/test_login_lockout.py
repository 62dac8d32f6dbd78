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
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # hundreds of sign-ins, each hashed
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


LOOK_ALIKES = ("ｏｓｃａｒ", "ᵒscar", "OSCAR")  # fullwidth letters, a modifier letter, upper case: all "oscar"
CONSOLE, ADMIN = "/accounts/login/", "/admin/login/"


def refused_while_locked(response: Any, url: str) -> bool:
    status = 429 if url == CONSOLE else 200  # the admin form re-renders with the message
    return response.status_code == status and b"Too many failed sign-in attempts" in response.content


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_a_look_alike_spelling_of_a_locked_name_is_locked_too(make_user: Any, url: str, spelling: str) -> None:
    oscar = make_user(role="admin", username="oscar")
    for _ in range(5):
        sign_in(Client(), "oscar", "wrong", url=url)
    client = Client()
    assert refused_while_locked(sign_in(client, spelling, PASSWORD, url=url), url)
    assert "_auth_user_id" not in client.session
    assert refused_while_locked(sign_in(Client(), oscar.username, PASSWORD, url=url), url)


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
def test_failures_under_different_spellings_count_against_one_account(make_user: Any, url: str) -> None:
    make_user(role="admin", username="oscar")
    for spelling in ("oscar", *LOOK_ALIKES, " Oscar "):
        sign_in(Client(), spelling, "wrong", url=url)
    assert refused_while_locked(sign_in(Client(), "oscar", PASSWORD, url=url), url)


@pytest.mark.parametrize("url", [CONSOLE, ADMIN])
@pytest.mark.parametrize("spelling", LOOK_ALIKES)
def test_a_look_alike_spelling_signs_in_as_the_same_account_and_clears_its_failures(make_user: Any, url: str, spelling: str) -> None:
    oscar = make_user(role="admin", username="oscar")
    for _ in range(4):
        sign_in(Client(), "oscar", "wrong", url=url)
    client = Client()
    assert sign_in(client, spelling, PASSWORD, url=url).status_code == 302
    assert client.session["_auth_user_id"] == str(oscar.pk)
    for _ in range(4):  # the success cleared oscar's four failures: four more do not lock
        sign_in(Client(), "oscar", "wrong", url=url)
    assert sign_in(Client(), "oscar", PASSWORD, url=url).status_code == 302


def test_two_accounts_whose_names_differ_only_by_case_are_refused_not_guessed(make_user: Any) -> None:
    make_user(role="agent", username="oscar")
    make_user(role="agent", username="Oscar")
    for spelling in ("oscar", "Oscar", "ｏｓｃａｒ"):
        client = Client()
        response = sign_in(client, spelling, PASSWORD)
        assert response.status_code == 200 and b"did not match" in response.content
        assert "_auth_user_id" not in client.session


def test_an_unknown_name_still_runs_the_password_hasher(make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No shortcut for names that do not exist: they take as long as a wrong password (timing)."""
    from django.contrib.auth.base_user import AbstractBaseUser

    hashed: list[str | None] = []
    original = AbstractBaseUser.set_password

    def counting(self: AbstractBaseUser, raw_password: str | None) -> None:
        hashed.append(raw_password)
        original(self, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "set_password", counting)
    assert sign_in(Client(), "nobody-by-this-name", "a-guess").status_code == 200
    assert hashed == ["a-guess"]
