"""A what-if run asked on the page is played by a real Celery worker (real Redis and PostgreSQL), equal to the command."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from escalation_engine.models import WhatIfRun
from escalation_engine.whatif import side_by_side
from tests.conftest import wait_for
from tests.escalation.test_whatif_desk import build_history
from tests.escalation.test_whatif_page import HIRE, PERIOD, ROW, form, parsed
from tests.factories import UserFactory

pytestmark = pytest.mark.integration


def test_a_real_worker_plays_the_run_and_the_page_shows_the_commands_numbers(celery_worker_process: Any, tmp_path: Path) -> None:
    # The worker is another process: nothing here travels in time; the period is given explicitly.
    build_history(every_minutes=10)
    worker = celery_worker_process()
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))

    response = boss.post("/console/whatif/new", form(HIRE, seed="3"))
    assert response.status_code == 302
    run = WhatIfRun.objects.get()
    finished = wait_for(
        lambda: (row := WhatIfRun.objects.get(pk=run.pk)).is_finished and row, timeout=180, interval=0.5, what="the run to finish"
    )
    assert worker.poll() is None
    assert (finished.status, finished.progress, finished.error) == ("done", 100, "")
    assert finished.started_at is not None and finished.finished_at is not None and finished.started_at <= finished.finished_at

    scenario = tmp_path / "hire.json"
    scenario.write_text(json.dumps(HIRE))
    out = io.StringIO()
    call_command(
        "whatif", "--from", PERIOD["start"], "--to", PERIOD["end"], "--scenario", str(scenario), "--seed", "3", "--json", stdout=out
    )
    printed = json.loads(out.getvalue())
    assert finished.result == printed

    fragment = boss.get(f"/console/whatif/{run.pk}/", HTTP_HX_REQUEST="true")  # what the polling page swaps in
    rows = [(html.unescape(m["measure"]), parsed(m["b"]), parsed(m["s"])) for m in ROW.finditer(fragment.text)]
    assert rows == side_by_side(printed)
    assert "hx-trigger" not in fragment.text
