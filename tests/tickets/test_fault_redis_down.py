"""Redis down during intake: tickets are still stored, and triaged exactly once when it is back.

A real gunicorn web process and a real worker use a Redis server of their own, which the
test stops and restarts (in-memory, so whatever was queued before the outage is lost too).
"""

import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from rest_framework.authtoken.models import Token

from tests.conftest import ROOT, stop_process, subprocess_env, wait_for
from tests.servers import free_port, redis_server
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.integration

SUBJECTS = [
    "Card payment declined at the supermarket",
    "How do I change my postal address",
    "Refund for a cancelled order never arrived",
    "App crashes when I open statements",
    "Exchange rate applied to my transfer looks wrong",
    "Cannot verify my identity documents",
]


def _post_api(base: str, token: str, subject: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/tickets/",
        json={"customer_email": f"{abs(hash(subject))}@example.com", "subject": subject, "body": f"{subject}. Please help."},
        headers={"Authorization": f"Token {token}"},
        timeout=15,
    )


def _post_web_form(base: str, subject: str) -> requests.Response:
    session = requests.Session()
    page = session.get(f"{base}/support/new/", timeout=15)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf, page.text[:500]
    return session.post(
        f"{base}/support/new/",
        data={
            "csrfmiddlewaretoken": csrf.group(1),
            "name": "Web Customer",
            "email": "web@example.com",
            "subject": subject,
            "description": f"{subject}, since yesterday.",
        },
        headers={"Referer": f"{base}/support/new/"},
        allow_redirects=False,
        timeout=15,
    )


def test_intake_survives_a_redis_outage_and_triages_each_ticket_once(celery_worker_process: Any, make_user: Any, tmp_path: Path) -> None:
    token = Token.objects.create(user=make_user(role="integration")).key
    redis_port, web_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url}
    base = f"http://127.0.0.1:{web_port}"
    log = open(tmp_path / "web.log", "wb")  # noqa: SIM115 - lives as long as the process
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "escalation.wsgi", "--bind", f"127.0.0.1:{web_port}", "--workers", "1", "--threads", "4"],
        cwd=ROOT,
        env=subprocess_env(VAR_DIR=str(tmp_path / "var"), **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with redis_server(port=redis_port):

            def up() -> bool:
                try:
                    return requests.get(f"{base}/accounts/login/", timeout=2).status_code == 200
                except requests.RequestException:
                    return False

            wait_for(up, timeout=60, interval=0.3, what="web server")
            # Queued while no worker runs, then lost with the in-memory broker.
            assert _post_api(base, token, "My statement is missing a month").status_code == 201

        # Redis is gone: the broker and the cache (web-form rate limit) both fail.
        for subject in SUBJECTS:
            started = time.monotonic()
            response = _post_api(base, token, subject)
            assert response.status_code == 201, response.text
            assert time.monotonic() - started < 5, "publishing to a dead broker must give up fast"
        response = _post_web_form(base, "Locked out after the update")
        assert response.status_code == 302, response.text[:500]
        assert "/support/thanks/" in response.headers["Location"]
        assert Ticket.objects.count() == 8
        assert not Ticket.objects.filter(triaged_at__isnull=False).exists()

        with redis_server(port=redis_port):
            celery_worker_process(**env)
            recovered = subprocess.run(
                [sys.executable, "manage.py", "shell", "-c",
                 "from tickets.tasks import triage_untriaged; print(triage_untriaged(older_than_seconds=0))"],
                cwd=ROOT, env=subprocess_env(VAR_DIR=str(tmp_path / "var"), **env), capture_output=True, text=True, check=True,
            )  # fmt: skip
            assert recovered.stdout.strip().splitlines()[-1] == "8"
            # The web process reconnects on its own: a ticket posted now is triaged without help.
            late = _post_api(base, token, "Two-factor codes are not arriving").json()["ticket"]["id"]
            wait_for(
                lambda: not Ticket.objects.filter(triaged_at__isnull=True, is_incident=False).exists(),
                timeout=120,
                interval=0.5,
                what="every ticket triaged",
            )
            assert Ticket.objects.filter(pk=late, triaged_at__isnull=False).exists()
    except AssertionError:
        log.flush()
        print((tmp_path / "web.log").read_text()[-4000:])
        raise
    finally:
        stop_process(web)
    tickets = Ticket.objects.filter(is_incident=False)
    assert tickets.count() == 9
    for ticket in tickets:
        assert TicketEvent.objects.filter(ticket=ticket, kind="triaged").count() == 1, ticket.pk
