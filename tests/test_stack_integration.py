"""`make run`'s stack in embedded mode: web + worker + beat on SQLite and the file-system broker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, stop_process, wait_for
from tests.servers import free_port

pytestmark = pytest.mark.integration

EMBEDDED_ONLY = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


def test_embedded_stack_serves_login_and_reports_healthy(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in EMBEDDED_ONLY}
    port = free_port()
    env.update(VAR_DIR=str(tmp_path / "var"), WEB_BIND=f"127.0.0.1:{port}", PYTHONUNBUFFERED="1", WEB_CONCURRENCY="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    seeded = subprocess.run(
        [*manage, "seed_demo", "--if-empty", "--tickets", "30"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    assert "demo-escalation" in seeded.stdout

    log = open(tmp_path / "stack.log", "wb")  # noqa: SIM115
    stack = subprocess.Popen(
        [sys.executable, "-m", "honcho", "start", "-f", "Procfile"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    admin = requests.Session()  # the checks' details are for staff: sign in as the demo admin

    def sign_in() -> None:
        admin.get(f"{base}/accounts/login/", timeout=5)
        signed = admin.post(
            f"{base}/accounts/login/",
            data={"username": "admin", "password": "demo-escalation", "csrfmiddlewaretoken": admin.cookies["csrftoken"]},
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=5,
        )
        assert signed.status_code == 200 and "sessionid" in admin.cookies, signed.status_code

    def health_status() -> int | None:
        try:
            return requests.get(f"{base}/healthz", timeout=5).status_code
        except requests.RequestException:
            return None

    def health() -> dict | None:
        try:
            response = admin.get(f"{base}/healthz", timeout=5)
        except requests.RequestException:
            return None
        return response.json() if response.status_code == 200 else None

    try:
        wait_for(lambda: health_status() == 200, timeout=90, interval=1, what="embedded stack healthy")
        sign_in()
        report = health()
        assert report is not None
        assert report["checks"]["database"]["vendor"] == "sqlite"
        assert report["checks"]["broker"]["transport"] == "filesystem"
        login = requests.get(f"{base}/accounts/login/", timeout=5)
        assert login.status_code == 200 and "Sign in" in login.text
        css = requests.get(f"{base}/static/css/app.css", timeout=5)
        assert css.status_code == 200
        # beat → file-system broker → worker: the scheduler heartbeat arrives too
        wait_for(lambda: (h := health()) and h["checks"]["scheduler"]["ok"], timeout=60, interval=1, what="beat heartbeat via worker")
    except AssertionError:
        log.flush()
        print((tmp_path / "stack.log").read_text()[-5000:])
        raise
    finally:
        stop_process(stack)
    assert stack.returncode is not None
