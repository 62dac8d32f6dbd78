"""Shared fixtures: eager Celery for unit tests, users in roles, and real-process helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection

from escalation.celery import app as celery_app
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_config_cache() -> None:
    """Each test starts without cached configuration: rolled-back rows send no signal."""
    from foundation import config_cache

    config_cache.clear()


@pytest.fixture(autouse=True)
def _clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """``@pytest.mark.travel(at)``: the test's clock starts at ``at`` and ticks, so no test depends on today's date.

    Only this process travels: tests that hand work to a real worker or browser process
    must pass times explicitly instead.
    """
    marker = request.node.get_closest_marker("travel")
    if marker is None:
        yield
        return
    import time_machine

    with time_machine.travel(marker.args[0], tick=True):
        yield


@pytest.fixture
def clock(time_machine: Any) -> Any:
    """A frozen clock the test moves (time-machine): ``clock.set(aware_datetime)``; modules set their own start."""

    class Clock:
        def set(self, value: Any) -> None:
            time_machine.move_to(value, tick=False)

    return Clock()


@pytest.fixture(autouse=True)
def _celery_mode(request: pytest.FixtureRequest) -> Iterator[None]:
    """Unit tests run tasks in-process; integration tests send them to the real broker."""
    eager = request.node.get_closest_marker("integration") is None
    celery_app.conf.task_always_eager = eager
    celery_app.conf.task_eager_propagates = eager
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    def make(role: str | None = None, **kwargs: Any) -> Any:
        return UserFactory.create(role=role, **kwargs)

    return make


def database_url_for_subprocess() -> str:
    """A URL pointing other processes at the database this test uses (the test database)."""
    if connection.vendor != "postgresql":
        pytest.fail("Integration tests need PostgreSQL and Redis: run them with `make test` (or set DATABASE_URL and REDIS_URL).")
    cfg = connection.settings_dict
    user = quote(cfg["USER"] or "", safe="")
    password = f":{quote(cfg['PASSWORD'], safe='')}" if cfg.get("PASSWORD") else ""
    host = quote(cfg["HOST"] or "localhost", safe="")
    port = f":{cfg['PORT']}" if cfg.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{cfg['NAME']}"


def subprocess_env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    from django.conf import settings

    env.update(
        {
            "DATABASE_URL": database_url_for_subprocess(),
            "SECRET_KEY": settings.SECRET_KEY,
            "TRIAGE_MODEL_DIR": str(settings.TRIAGE_MODEL_DIR),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def wait_for(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def stop_process(process: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@pytest.fixture
def celery_worker_process(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start a real Celery worker (its own process group) on the real broker and test database."""
    if not os.environ.get("REDIS_URL"):
        pytest.fail("Integration tests need Redis: run them with `make test` (or set REDIS_URL).")
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, **env: str) -> subprocess.Popen[bytes]:
        """``args`` are extra worker options, e.g. ``"--beat"`` to run the scheduler inside it."""
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "escalation",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test{len(started)}@%h",
                *args,
            ],
            cwd=ROOT,
            env=subprocess_env(WORKER_HEARTBEAT_SECONDS="1", VAR_DIR=str(tmp_path / "var"), **env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        stop_process(process)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skip or xfail fails the run instead of hiding a gap."""
    if not os.environ.get("CI"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(reporter, "stats", {})
    hidden = len(stats.get("skipped", [])) + len(stats.get("xfailed", [])) + len(stats.get("xpassed", []))
    if hidden and session.exitstatus == 0:
        print(f"\nCI: {hidden} test(s) skipped or xfailed; every test must run in CI.")
        session.exitstatus = 1


def send_from_outbox(dedupe_key: str) -> Any:
    """Send one outbox message now, as the worker would (``"reply:<interaction id>"``, ``"survey:<id>"`` …)."""
    from foundation import outbox
    from foundation.models import OutboxMessage

    return outbox.deliver(OutboxMessage.objects.get(dedupe_key=dedupe_key).pk)
