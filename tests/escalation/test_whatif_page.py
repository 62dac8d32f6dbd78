"""The supervisors' What-if page: runs kept and listed, played by the worker task, numbers equal to ``manage.py whatif --json``."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from console.whatif import PAGE_SIZE
from escalation.celery import app as celery_app
from escalation_engine import tasks, whatif_runs
from escalation_engine.models import WhatIfRun
from escalation_engine.whatif import side_by_side
from tests.escalation.test_whatif_desk import START, build_history
from tests.factories import AgentFactory, UserFactory

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2026-03-04", "end": "2026-03-06"}
HIRE = {"name": "<b>hire</b> & co", "add_agents": [{"like": "ana", "count": 1}]}
ROW = re.compile(
    r'<tr><th scope="row">(?P<measure>[^<]*)</th><td><data value="(?P<b>[^"]*)">(?P<bshown>[^<]*)</data></td>'
    r'<td><data value="(?P<s>[^"]*)">(?P<sshown>[^<]*)</data></td></tr>'
)


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(START + timedelta(days=10), tick=False) as clock:
        yield clock


def signed_in(role: str | None, **kwargs: Any) -> Client:
    client = Client()
    if role is not None:
        client.force_login(UserFactory.create(role=role, **kwargs))
    return client


def form(scenario: Any, **overrides: Any) -> dict[str, Any]:
    return {**PERIOD, "scenario": scenario if isinstance(scenario, str) else json.dumps(scenario), "seed": "1", **overrides}


def make_run(**fields: Any) -> WhatIfRun:
    defaults: dict[str, Any] = {
        "period_start_at": datetime(2026, 3, 4, tzinfo=UTC),
        "period_end_at": datetime(2026, 3, 6, tzinfo=UTC),
        "scenario": {"name": "as it is"},
    }
    return WhatIfRun.objects.create(**{**defaults, **fields})


def parsed(value: str) -> Any:
    return None if value == "" else json.loads(value)


# --- who may ----------------------------------------------------------------------------------


def test_only_supervisors_reach_the_pages_and_every_supervisor_sees_every_run(frozen: Any) -> None:
    build_history(every_minutes=240)
    asker = UserFactory.create(username="boss", role="supervisor")
    run = make_run(requested_by=asker)
    pages = ["/console/whatif/", "/console/whatif/new", f"/console/whatif/{run.pk}/", f"/console/whatif/{run.pk}/csv"]
    agent = AgentFactory.create()
    agent_client = Client()
    agent_client.force_login(agent.user)
    for page in pages:
        anonymous = Client().get(page)
        assert anonymous.status_code == 302 and "login" in anonymous["Location"], page
        assert agent_client.get(page).status_code == 403, page
    assert agent_client.post("/console/whatif/new", form({})).status_code == 403
    assert not WhatIfRun.objects.exclude(pk=run.pk).exists()

    other = signed_in("supervisor")  # not the one who asked: runs are the desk's, not their author's
    listed = other.get("/console/whatif/")
    assert listed.status_code == 200 and f'href="/console/whatif/{run.pk}/"' in listed.text and "boss" in listed.text
    assert other.get(f"/console/whatif/{run.pk}/").status_code == 200
    assert other.get("/console/whatif/new").status_code == 200
    assert other.get(f"/console/whatif/{run.pk}/csv").status_code == 409  # queued: no result yet
    assert other.get("/console/whatif/999999/").status_code == 404


def test_a_new_run_needs_the_csrf_token(frozen: Any) -> None:
    build_history(every_minutes=240)
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory.create(role="supervisor"))
    assert client.post("/console/whatif/new", form({})).status_code == 403
    assert not WhatIfRun.objects.exists()
    page = client.get("/console/whatif/new")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token is not None
    with mock.patch("foundation.queue.enqueue", return_value=True):
        assert client.post("/console/whatif/new", {**form({}), "csrfmiddlewaretoken": token.group(1)}).status_code == 302
    assert WhatIfRun.objects.count() == 1


# --- the form ---------------------------------------------------------------------------------


def test_the_form_starts_with_the_last_two_weeks_and_a_scenario_that_runs_here(frozen: Any) -> None:
    build_history(every_minutes=240)
    page = signed_in("supervisor").get("/console/whatif/new")
    assert page.status_code == 200
    assert 'value="2026-02-26"' in page.text and 'value="2026-03-12"' in page.text  # today is 2026-03-12
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page.text, re.S)
    assert textarea is not None
    assert json.loads(html.unescape(textarea.group(1))) == {"name": "one more like ana", "add_agents": [{"like": "ana", "count": 1}]}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (form("not json"), "scenario must be valid JSON"),
        (form("[]"), "a scenario is a JSON object"),
        (form({"hire": 3}), "unknown keys ['hire']"),
        (form({"remove_agents": ["nobody"]}), "remove_agents: no agent 'nobody'"),
        (form({"sla_targets": {"P2": {"first_response_minutes": -1}}}), "minutes > 0"),
        (form({}, start="2026-03-06", end="2026-03-04"), "the period's end must be after its start"),
        (form({}, start="2025-01-01", end="2026-03-04"), "at most 366 days"),
        (form({}, start="yesterday"), "Enter a valid date"),
        (form({}, seed="-1"), "greater than or equal to 0"),
        (form({}, seed="99999999999"), "less than or equal to 2147483647"),
        ({"start": "2026-03-04"}, "This field is required"),
    ],
)
def test_a_bad_request_is_a_400_that_says_why_and_queues_nothing(frozen: Any, fields: dict[str, Any], message: str) -> None:
    build_history(every_minutes=240)
    with mock.patch("foundation.queue.enqueue") as enqueue:
        response = signed_in("supervisor").post("/console/whatif/new", fields)
    assert response.status_code == 400
    assert message in html.unescape(response.text)
    assert not WhatIfRun.objects.exists()
    enqueue.assert_not_called()


# --- the run, end to end (eager worker) -------------------------------------------------------


def test_the_page_and_the_csv_show_the_numbers_the_command_prints(
    tmp_path: Path, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    build_history(every_minutes=10)  # one agent cannot keep up: the hire changes the numbers
    boss = signed_in("supervisor", username="boss")
    with django_capture_on_commit_callbacks(execute=True):
        response = boss.post("/console/whatif/new", form(HIRE, seed="7"))
    run = WhatIfRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/whatif/{run.pk}/"
    assert run.status == WhatIfRun.Status.DONE and run.progress == 100 and run.error == ""
    assert run.requested_by is not None and run.requested_by.get_username() == "boss"
    assert (run.started_at, run.finished_at) == (START + timedelta(days=10), START + timedelta(days=10))

    # The same function, the same period, scenario and seed: the stored result is the command's JSON.
    printed = _command_json(tmp_path, HIRE, seed=7)
    assert run.result == printed
    assert printed["baseline"] != printed["scenario_result"]

    page = boss.get(f"/console/whatif/{run.pk}/")
    assert page.status_code == 200
    rows = [(m["measure"], parsed(m["b"]), parsed(m["s"]), m["bshown"], m["sshown"]) for m in ROW.finditer(page.text)]
    expected = side_by_side(printed)
    assert [(html.unescape(m), b, s) for m, b, s, _, _ in rows] == [(m, b, s) for m, b, s in expected]
    table = {html.unescape(m): (b, s, bshown, sshown) for m, b, s, bshown, sshown in rows}
    # Spot checks straight against the JSON, and what a supervisor reads.
    base, hired = printed["baseline"], printed["scenario_result"]
    assert table["first-response compliance"][:2] == (base["first_response_compliance"], hired["first_response_compliance"])
    assert table["first-response compliance"][2] == f"{base['first_response_compliance'] * 100:.2f} %"
    assert table["first-response breaches"][:2] == (base["breaches"]["first_response"], hired["breaches"]["first_response"])
    p3 = base["by_priority"]["P3"]
    assert table["P3 first-response wait median (min)"][0] == p3["first_response_wait_minutes"]["median"]
    assert table["P3 first-response wait median (min)"][2] == str(p3["first_response_wait_minutes"]["median"])
    assert table["P3 resolution wait p90 (min)"][0] == p3["resolution_wait_minutes"]["p90"]
    assert table["utilization team billing"][:2] == (base["utilization"]["teams"]["billing"], hired["utilization"]["teams"]["billing"])
    assert table["utilization agent ana"][:2] == (base["utilization"]["agents"]["ana"], hired["utilization"]["agents"]["ana"])

    # Charts: inline SVG drawn on the server, with every name escaped.
    assert page.text.count('<svg class="chart paired"') == 5
    assert f"P3 · baseline: {p3['first_response_compliance'] * 100:.2f} %" in page.text
    assert "<b>hire</b>" not in page.text and "&lt;b&gt;hire&lt;/b&gt; &amp; co" in page.text
    assert "<script" not in page.text.split("</head>")[1]
    assert "hx-trigger" not in page.text.split('id="whatif-status"')[1].split(">")[0]  # done: no more polling

    download = boss.get(f"/console/whatif/{run.pk}/csv")
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    assert download["Content-Disposition"] == f'attachment; filename="whatif-{run.pk}.csv"'
    lines = list(csv.reader(io.StringIO(download.content.decode())))
    assert lines[0] == ["measure", "baseline", "scenario"]
    assert [(m, _csv_number(b), _csv_number(s)) for m, b, s in lines[1:]] == [(m, b, s) for m, b, s in expected]


def _command_json(tmp_path: Path, scenario: Any, *, seed: int) -> dict[str, Any]:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario))
    out = io.StringIO()
    call_command(
        "whatif", "--from", PERIOD["start"], "--to", PERIOD["end"], "--scenario", str(path), "--seed", str(seed), "--json", stdout=out
    )
    return json.loads(out.getvalue())


def _csv_number(cell: str) -> Any:
    return None if cell == "" else json.loads(cell)


def test_the_page_polls_while_the_run_waits_and_progress_moves_as_it_plays(
    tmp_path: Path, frozen: Any, django_capture_on_commit_callbacks: Any
) -> None:
    build_history(every_minutes=20)
    boss = signed_in("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        boss.post("/console/whatif/new", form({}))
    run = WhatIfRun.objects.get()
    assert run.status == WhatIfRun.Status.QUEUED and len(callbacks) == 1
    page = boss.get(f"/console/whatif/{run.pk}/")
    assert page.status_code == 200 and "<html" in page.text
    assert f'hx-get="/console/whatif/{run.pk}/" hx-trigger="every 2s"' in page.text
    assert 'max="100" value="0"' in page.text and "waiting for a worker" in page.text
    fragment = boss.get(f"/console/whatif/{run.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in fragment.text and fragment.text.strip().startswith('<div id="whatif-status"')

    seen: list[tuple[str, int]] = []
    real = whatif_runs.run_whatif

    def watched(**kwargs: Any) -> dict[str, Any]:
        progress = kwargs["progress"]

        def step(percent: int) -> None:
            progress(percent)
            row = WhatIfRun.objects.get(pk=run.pk)
            seen.append((row.status, row.progress))

        return real(**{**kwargs, "progress": step})

    with mock.patch("escalation_engine.whatif_runs.run_whatif", watched):
        callbacks[0]()
    assert seen == [("running", 10), ("running", 30), ("running", 60), ("running", 90)]
    run.refresh_from_db()
    assert (run.status, run.progress) == ("done", 100)
    assert run.result == _command_json(tmp_path, {}, seed=1)
    done = boss.get(f"/console/whatif/{run.pk}/", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in done.text and "Download CSV" in done.text and "<table" in done.text
    assert tasks.whatif_run.delay(run.pk).get() is None  # delivered again: finished runs are left alone


# --- failures ---------------------------------------------------------------------------------


def test_a_scenario_the_desk_no_longer_fits_fails_the_run_with_the_reason(frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    build_history(every_minutes=60, security_every=2)
    boss = signed_in("supervisor")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert boss.post("/console/whatif/new", form({"remove_agents": ["sam"]})).status_code == 302
    get_user_model().objects.filter(username="sam").update(username="samuel")  # renamed before the worker got to it
    callbacks[0]()
    run = WhatIfRun.objects.get()
    assert run.status == "failed" and run.error == "Bad scenario: remove_agents: no agent 'sam'" and run.result is None
    assert run.finished_at is not None
    page = boss.get(f"/console/whatif/{run.pk}/")
    assert "This run failed: Bad scenario: remove_agents: no agent &#x27;sam&#x27;" in page.text and "hx-trigger" not in page.text
    assert boss.get(f"/console/whatif/{run.pk}/csv").status_code == 409


def test_data_the_replay_cannot_use_fails_the_run_instead_of_leaving_it_running(frozen: Any) -> None:
    run = make_run()
    with mock.patch("escalation_engine.whatif_runs.run_whatif", side_effect=KeyError("category")):
        assert tasks.whatif_run.delay(run.pk).get() == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and run.error == "The replay failed: KeyError: 'category'"


def test_transient_errors_are_retried_and_the_last_one_fails_the_run(frozen: Any) -> None:
    # Eager tasks retry inside ``apply`` only when they do not propagate (a propagated Retry would end the test).
    celery_app.conf.task_eager_propagates = False
    build_history(every_minutes=240)
    once = make_run()
    real = whatif_runs.run_whatif
    calls: list[int] = []

    def flaky(**kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    with mock.patch("escalation_engine.whatif_runs.run_whatif", flaky):
        assert tasks.whatif_run.delay(once.pk).get() == "done"
    assert len(calls) == 2 and WhatIfRun.objects.get(pk=once.pk).status == "done"

    always = make_run()
    broken = mock.Mock(side_effect=OperationalError("could not connect to server"))
    with mock.patch("escalation_engine.whatif_runs.run_whatif", broken), pytest.raises(OperationalError):
        tasks.whatif_run.delay(always.pk).get()
    assert broken.call_count == tasks.WHATIF_RETRIES + 1
    always.refresh_from_db()
    assert always.status == "failed" and always.error == "Gave up after retries: OperationalError: could not connect to server"


def test_a_run_the_broker_would_not_take_is_failed_at_once(frozen: Any, django_capture_on_commit_callbacks: Any) -> None:
    build_history(every_minutes=240)
    with mock.patch("foundation.queue.enqueue", return_value=False), django_capture_on_commit_callbacks(execute=True):
        assert signed_in("supervisor").post("/console/whatif/new", form({})).status_code == 302
    run = WhatIfRun.objects.get()
    assert run.status == "failed" and "could not be reached" in run.error


def test_a_run_whose_worker_went_silent_is_failed_by_the_beat_job(frozen: Any) -> None:
    now = START + timedelta(days=10)
    silent = make_run(status="running", started_at=now - timedelta(hours=3), progress_at=now - timedelta(minutes=61), progress=30)
    busy = make_run(status="running", started_at=now - timedelta(hours=3), progress_at=now - timedelta(minutes=59), progress=60)
    waiting = make_run(created_at=now - timedelta(days=1))
    assert tasks.whatif_fail_silent.delay().get() == 1
    silent.refresh_from_db()
    assert silent.status == "failed" and "No word from the worker" in silent.error and silent.finished_at == now
    assert WhatIfRun.objects.get(pk=busy.pk).status == "running" and WhatIfRun.objects.get(pk=waiting.pk).status == "queued"
    # The task finishing late does not resurrect it.
    assert whatif_runs.execute(run_id=silent.pk) is None


# --- the list ---------------------------------------------------------------------------------


def test_the_list_pages_newest_first_in_a_flat_number_of_queries(frozen: Any) -> None:
    boss = signed_in("supervisor")
    askers = [UserFactory.create(role="supervisor") for _ in range(3)]
    now = START + timedelta(days=10)

    def count(path: str = "/console/whatif/") -> int:
        with CaptureQueriesContext(connection) as queries:
            assert boss.get(path).status_code == 200
        return len(queries)

    for n in range(2):
        make_run(requested_by=askers[n], created_at=now - timedelta(hours=100 - n))
    count()
    few = count()
    for n in range(40):
        make_run(requested_by=askers[n % 3], created_at=now - timedelta(hours=90 - n), scenario={"name": f"plan {n}"})
    assert count() == few
    assert count("/console/whatif/?page=2") == few
    first = boss.get("/console/whatif/").text
    shown = re.findall(r'<tr data-run="(\d+)">', first)
    newest = list(WhatIfRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:PAGE_SIZE])
    assert [int(pk) for pk in shown] == newest and "plan 39" in first and 'rel="next"' in first
    third = boss.get("/console/whatif/?page=3").text
    assert len(re.findall(r'<tr data-run="', third)) == 42 - 2 * PAGE_SIZE
    assert boss.get("/console/whatif/?page=abc").status_code == 400
    assert boss.get("/console/whatif/?page=9").status_code == 404
