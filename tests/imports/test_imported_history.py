"""A known-truth desk history through the real importer and back through the what-if readers (issues 28 and 29).

``bench.imported_history`` writes a ``bench.desk_sim`` history as a Zendesk export, sets the
desk up with the project's models, imports it with ``imports.runner.run`` and reads it back with
``escalation_engine.whatif.load_desk`` / ``load_records``. What the export carries must come back
equal, and the what-if backtest must hold on the read-back history as on the simulated one.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from bench import desk_sim, imported_history
from escalation_engine import replay_core
from imports import runner
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

DAYS = 10  # 8,746 tickets at scale 1: a week to fit on, three days to replay
SOURCE = "desk-sim-test"


@pytest.fixture(scope="module")
def history() -> desk_sim.History:
    # No leave and English only: the desk's models keep weekly shifts and no agent languages (see the bench's docstring).
    return desk_sim.generate(days=DAYS, seed=7, leave_days=0, multilingual=False)


@pytest.fixture
def imported(history: desk_sim.History) -> Any:
    with time_machine.travel(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), tick=False):
        imported_history.set_up_desk(history)
        report = imported_history.import_history(history, source=SOURCE)
        yield report, *imported_history.read_back(history, source=SOURCE)


def test_the_read_back_history_equals_the_simulated_one_and_its_backtest_is_within_tolerance(
    history: desk_sim.History, imported: Any
) -> None:
    report, desk, records, origin = imported
    assert report["created"] == len(history.records) and report["failed"] == 0
    assert len(records) == len(history.records)
    assert {a.name for a in desk.agents} == {imported_history.agent_email(a.name) for a in history.desk.agents}
    simulated = {r.ticket_id: r for r in history.records}
    names = {a.agent_id: imported_history.agent_email(a.name) for a in history.desk.agents}
    read_names = {a.agent_id: a.name for a in desk.agents}
    for record in records:
        truth = simulated[origin[record.ticket_id]]
        assert record.arrival_seconds == pytest.approx(truth.arrival_seconds, abs=1.0)
        assert (record.team, record.category, record.priority, record.channel) == (
            truth.team,
            truth.category,
            truth.priority,
            truth.channel,
        )
        assert record.agent_id is not None and truth.agent_id is not None
        assert read_names[record.agent_id] == names[truth.agent_id]
        for field in ("assigned_seconds", "first_response_seconds", "pending_from_seconds", "pending_until_seconds", "resolved_seconds"):
            got, expected = getattr(record, field), getattr(truth, field)
            assert (got is None) == (expected is None), (field, truth.ticket_id)
            if expected is not None:
                assert got == pytest.approx(expected, abs=1.0), (field, truth.ticket_id)
        # The importer's SLA outcomes (business calendar, the resolution clock paused while pending) match the clock core's.
        assert record.first_response_breached == truth.first_response_breached
        assert record.resolution_breached == truth.resolution_breached
        assert record.pause_business_seconds == pytest.approx(truth.pause_business_seconds, abs=2.0)
    assert sum(r.pending_from_seconds is not None for r in records) > 0.25 * len(records)
    assert set(imported_history.differences(history, records, origin, desk).values()) == {0}
    # The what-if backtest (fit the first week, replay the last three days) holds on the read-back history.
    result = replay_core.backtest(desk, records, fit_days=(0, 7), replay_days=(7, DAYS))
    verdict = result["verdict"]
    assert verdict["compliance_ok"] and verdict["median_wait_ok"], verdict
    assert result["recorded"]["tickets"] > 2000
    simulated_verdict = replay_core.backtest(history.desk, history.records, fit_days=(0, 7), replay_days=(7, DAYS))["verdict"]
    assert verdict["first_response_compliance"]["recorded"] == simulated_verdict["first_response_compliance"]["recorded"]
    assert verdict["median_first_response_wait_minutes"]["recorded"] == simulated_verdict["median_first_response_wait_minutes"]["recorded"]


def test_reimporting_a_changed_export_replaces_the_imported_status_changes(history: desk_sim.History, imported: Any) -> None:
    _, _, _, origin = imported
    asked = next(r for r in history.records if r.pending_from_seconds is not None)
    ticket_id = next(pk for pk, external in origin.items() if external == asked.ticket_id)
    before = list(TicketEvent.objects.filter(ticket_id=ticket_id, kind="status_changed").values_list("detail", flat=True))
    assert [(d["from"], d["to"]) for d in before] == [
        ("assigned", "pending_customer"),
        ("pending_customer", "assigned"),
        ("assigned", "resolved"),
    ]
    out = io.StringIO()
    imported_history.write_export(history, out, records=[asked])
    text = out.getvalue().replace("could you send us the details?", "could you send us the invoice number?")
    with time_machine.travel(datetime(2026, 3, 3, 12, 0, tzinfo=UTC), tick=False):
        again = runner.run("zendesk", text=text, mapping=json.dumps({"category_field": imported_history.CATEGORY_FIELD}), source=SOURCE)
    assert (again.updated, again.created, again.failed) == (1, 0, 0)
    assert list(TicketEvent.objects.filter(ticket_id=ticket_id, kind="status_changed").values_list("detail", flat=True)) == before
    assert Ticket.objects.get(pk=ticket_id).sla_paused_seconds == pytest.approx(asked.pause_business_seconds, abs=2.0)
