"""Security headers on every response, and ``check --deploy`` clean with production settings."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/support/new/", "/api/schema/", "/healthz", "/no-such-page/"])
def test_every_response_carries_the_security_headers(path: str) -> None:
    response = Client().get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP in development: no HSTS


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))}
    env.update(
        ESCALATION_PRODUCTION="1",
        SECRET_KEY=secrets.token_urlsafe(50),
        SECURE_SSL="1",
        ALLOWED_HOSTS="desk.example.com",
        CSRF_TRUSTED_ORIGINS="https://desk.example.com",
        VAR_DIR=str(tmp_path / "var"),
    )
    return env


def test_check_deploy_is_clean_in_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path: Path) -> None:
    code = (
        "from django.conf import settings as s; from django.test import Client;"
        "r = Client().get('/accounts/login/', headers={'X-Forwarded-Proto': 'https'}, HTTP_HOST='desk.example.com');"
        "print(r.status_code, r.headers.get('Strict-Transport-Security'), s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE);"
        "p = Client().get('/accounts/login/', HTTP_HOST='desk.example.com');"
        "print(p.status_code, p.headers.get('Location'))"
    )
    env = _production_env(tmp_path)
    env.pop("DATABASE_URL", None)  # SQLite in a temp dir is enough to render the sign-in page
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    secure, plain = result.stdout.strip().splitlines()[-2:]
    assert secure == "200 max-age=31536000; includeSubDomains; preload True True", result.stderr
    assert plain == "301 https://desk.example.com/accounts/login/"
