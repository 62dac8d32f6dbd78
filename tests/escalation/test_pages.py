"""Sign-in and the home page are role-aware and closed to anonymous users."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_login_page_renders_with_csrf(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert b"csrfmiddlewaretoken" in response.content


def test_home_requires_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_password_lands_supervisors_in_the_console(client: Client, make_user) -> None:
    make_user(role="supervisor", username="sam")
    response = client.post("/accounts/login/", {"username": "sam", "password": "pw-for-tests"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/console/queue/")
    assert b"sam \xc2\xb7 supervisor" in response.content
    assert b'href="/admin/"' not in response.content  # supervisors are not staff


def test_accounts_without_a_role_see_what_to_do(client: Client, make_user) -> None:
    client.force_login(make_user(username="nobody"))
    response = client.get("/")
    assert response.status_code == 200 and b"no help-desk role" in response.content


def test_wrong_password_shows_an_error(client: Client, make_user) -> None:
    make_user(role="agent", username="alex")
    response = client.post("/accounts/login/", {"username": "alex", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_names_are_escaped(client: Client, make_user) -> None:
    user = make_user(first_name="<script>x</script>", last_name="")
    client.force_login(user)
    response = client.get("/")
    assert b"<script>x</script>" not in response.content
    assert b"&lt;script&gt;" in response.content
