"""Breach forecasts on the desk: stored per ticket, firing moves the check forward, the sweep escalates on them.

A team of two online agents whose recent replies come ten minutes apart, and a queue of
unassigned tickets all due in 50 minutes: the front of the queue will be answered in time,
the back will not. On a frozen clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import Agent, AgentShift, Availability
from agents.services import set_availability
from escalation_engine import forecasting
from escalation_engine.models import BreachForecast, Escalation, EscalationSettings, SlaPolicy
from escalation_engine.services import dismiss_escalation
from escalation_engine.sweep import sweep
from tests.factories import AgentFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday noon
pytestmark = [pytest.mark.travel(NOW), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def _desk(*, queue: int = 14, agents: int = 2) -> tuple[Any, list[Agent], list[Ticket]]:
    team = TeamFactory.create(slug="billing-desk", name="Billing desk")
    crew = []
    for _ in range(agents):
        agent = AgentFactory.create()
        agent.teams.add(team)
        crew.append(agent)
    # History: each agent answered a ticket every ten minutes this morning.
    done = TicketFactory.create(team=team, status="resolved", created_at=NOW - timedelta(hours=5))
    for agent in crew:
        for step in range(30):
            InteractionFactory.create(
                ticket=done, author_kind=AuthorKind.AGENT, author=agent.user,
                created_at=NOW - timedelta(hours=4) + timedelta(minutes=10 * step + (3 if step % 2 else -3)),
            )  # fmt: skip
    policy = SlaPolicy.objects.create(
        name="Test P2", priority=2, first_response_minutes=60, next_response_minutes=60, resolution_minutes=600
    )
    tickets = [
        TicketFactory.create(
            team=team, status="triaged", priority=2, sla_policy=policy, created_at=NOW - timedelta(minutes=10, seconds=queue - index),
            sla_first_response_due_at=NOW + timedelta(minutes=50), next_check_at=NOW + timedelta(minutes=30), triaged_at=NOW,
        )
        for index in range(queue)
    ]  # fmt: skip
    return team, crew, tickets


def fifty_more(team: Any, policy: SlaPolicy | None) -> None:
    """Fifty more waiting tickets of every priority on ``_desk``'s team (the query-count tests)."""
    for index in range(50):
        TicketFactory.create(
            team=team, status="triaged", priority=index % 4, sla_policy=policy, created_at=NOW - timedelta(minutes=5),
            sla_first_response_due_at=NOW + timedelta(minutes=50), triaged_at=NOW,
        )  # fmt: skip


def _by_ticket() -> dict[int, BreachForecast]:
    return {row.ticket_id: row for row in BreachForecast.objects.all()}


def test_the_back_of_the_queue_is_forecast_to_breach_and_the_front_is_not() -> None:
    _, _, tickets = _desk()
    run = forecasting.refresh_forecasts(now=NOW)
    assert run.tickets == 14 and run.teams == 1 and not run.stopped_early
    rows = _by_ticket()
    probabilities = [rows[t.pk].probability for t in tickets]
    assert probabilities == sorted(probabilities)  # each one further back is more at risk
    assert probabilities[0] < 0.2 and probabilities[-1] > 0.8
    last = rows[tickets[-1].pk]
    assert last.fires and last.target == "first_response" and last.due_at == NOW + timedelta(minutes=50)
    assert "13 ahead for 2 agents" in last.factors and "answers take 10 min on average" in last.factors
    assert not rows[tickets[0].pk].fires


def test_a_newly_firing_forecast_is_checked_now_and_escalates_with_its_reason() -> None:
    _, _, tickets = _desk()
    run = forecasting.refresh_forecasts(now=NOW)
    assert run.newly_firing == run.firing > 0
    firing = set(BreachForecast.objects.filter(fires=True).values_list("ticket_id", flat=True))
    assert set(Ticket.objects.filter(next_check_at=NOW).values_list("pk", flat=True)) == firing
    result = sweep(now=NOW)
    escalated = set(Escalation.objects.values_list("ticket_id", flat=True))
    assert escalated == firing and result.escalated == len(firing)
    escalation = Escalation.objects.get(ticket=tickets[-1])
    assert escalation.recommendation == "priority" and escalation.contributions["forecast"] >= 0.75 * 0.8
    assert escalation.signals["sla"] == 0.0  # the 75 % rule has not fired: 50 of 60 minutes are left
    # The next run finds them still firing: nothing is "newly" firing, nothing moves.
    Ticket.objects.update(next_check_at=NOW + timedelta(minutes=30))
    assert forecasting.refresh_forecasts(now=NOW).newly_firing == 0
    assert not Ticket.objects.filter(next_check_at=NOW).exists()


def test_one_more_agent_online_lowers_the_risk_and_an_answered_ticket_loses_its_forecast() -> None:
    team, _, tickets = _desk()
    forecasting.refresh_forecasts(now=NOW)
    before = _by_ticket()[tickets[-1].pk].probability
    extra = AgentFactory.create()
    extra.teams.add(team)
    forecasting.refresh_forecasts(now=NOW + timedelta(seconds=30))
    assert _by_ticket()[tickets[-1].pk].probability < before
    Ticket.objects.filter(pk=tickets[0].pk).update(first_response_at=NOW + timedelta(seconds=40))
    run = forecasting.refresh_forecasts(now=NOW + timedelta(seconds=60))
    assert tickets[0].pk not in _by_ticket() and run.removed == 1


def test_nobody_online_in_business_hours_is_a_factor() -> None:
    _, crew, tickets = _desk(queue=1)
    forecasting.refresh_forecasts(now=NOW)
    online = _by_ticket()[tickets[0].pk].probability
    Agent.objects.filter(pk__in=[a.pk for a in crew]).update(availability=Availability.OFFLINE)
    forecasting.refresh_forecasts(now=NOW)
    row = _by_ticket()[tickets[0].pk]
    assert row.factors[0] == "no agent online for 30 min" and row.probability > online + 0.2


def test_an_assigned_ticket_waits_for_its_own_agent() -> None:
    _, crew, tickets = _desk(queue=6)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(assignee=crew[0], status="in_progress")
    forecasting.refresh_forecasts(now=NOW)
    rows = _by_ticket()
    assert "5 ahead for 1 agent" in rows[tickets[-1].pk].factors
    assert rows[tickets[-1].pk].probability > rows[tickets[1].pk].probability


def _shift(agent: Agent, starts: str, ends: str) -> None:
    AgentShift.objects.create(agent=agent, weekday=NOW.weekday(), starts_at=starts, ends_at=ends)


def test_a_shift_ending_before_the_target_raises_the_risk_and_a_handover_keeps_it() -> None:
    team, crew, tickets = _desk()
    forecasting.refresh_forecasts(now=NOW)
    unknown = _by_ticket()[tickets[8].pk].probability  # no shifts: the two online agents are counted throughout
    for agent in crew:
        _shift(agent, "08:00", "12:20")  # both go off in 20 minutes, 30 minutes before the tickets fall due
    forecasting.refresh_forecasts(now=NOW)
    ending = _by_ticket()[tickets[8].pk]
    assert ending.probability > unknown + 0.3
    for _ in range(2):  # the late shift takes over at 12:20 (offline now: they are not on shift yet)
        late = AgentFactory.create(availability=Availability.OFFLINE)
        late.teams.add(team)
        _shift(late, "12:20", "20:00")
    forecasting.refresh_forecasts(now=NOW)
    handover = _by_ticket()[tickets[8].pk].probability
    assert handover < ending.probability - 0.3 and handover == pytest.approx(unknown, abs=0.1)
    # An agent on shift but not online now is not counted until their next shift: nobody answers before the target.
    Agent.objects.filter(pk__in=[a.pk for a in crew]).update(availability=Availability.OFFLINE)
    AgentShift.objects.filter(agent__in=crew).update(ends_at="20:00")
    AgentShift.objects.filter(starts_at="12:20").delete()
    forecasting.refresh_forecasts(now=NOW)
    row = _by_ticket()[tickets[0].pk]
    assert row.probability == 1.0 and row.factors[0] == "no agent on duty before the target is due"


def test_the_forecast_fires_at_the_configured_lead_time_and_probability_and_not_before() -> None:
    _, _, tickets = _desk(queue=24)
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(sla_first_response_due_at=NOW + timedelta(minutes=90))
    EscalationSettings.objects.update_or_create(pk=1, defaults={"forecast_lead_minutes": 30, "forecast_probability": 0.8})
    last = tickets[-1].pk
    with time_machine.travel(NOW, tick=False) as clock:
        forecasting.refresh_forecasts(now=NOW)
        assert _by_ticket()[last].probability >= 0.8 and not BreachForecast.objects.filter(fires=True).exists()  # due in 90 min
        clock.move_to(NOW + timedelta(minutes=59))  # due in 31 min: still outside the 30-minute lead
        assert forecasting.refresh_forecasts(now=NOW + timedelta(minutes=59)).firing == 0
        clock.move_to(NOW + timedelta(minutes=61))  # due in 29 min
        run = forecasting.refresh_forecasts(now=NOW + timedelta(minutes=61))
        rows = _by_ticket()
        firing = {pk for pk, row in rows.items() if row.fires}
        assert last in firing and run.firing == len(firing)
        assert all(rows[pk].probability >= 0.8 for pk in firing)
        assert all(row.probability < 0.8 for pk, row in rows.items() if pk not in firing)  # the rest: inside the lead, too unlikely
        assert tickets[0].pk not in firing


def test_switched_off_the_forecast_does_not_escalate() -> None:
    EscalationSettings.objects.update_or_create(pk=1, defaults={"forecast_escalates": False})
    _desk()
    forecasting.refresh_forecasts(now=NOW)
    Ticket.objects.update(next_check_at=NOW)
    sweep(now=NOW)
    assert not Escalation.objects.exists()


def test_a_dismissed_forecast_escalation_stays_quiet_while_the_forecast_keeps_firing() -> None:
    _, _, tickets = _desk()
    forecasting.refresh_forecasts(now=NOW)
    sweep(now=NOW)
    escalation = Escalation.objects.get(ticket=tickets[-1])
    supervisor = UserFactory.create(role="supervisor")
    dismiss_escalation(escalation_id=escalation.pk, by=supervisor, reason="Two more agents start at 12:05.")
    later = NOW + timedelta(minutes=2)
    forecasting.refresh_forecasts(now=later)
    Ticket.objects.filter(pk=tickets[-1].pk).update(next_check_at=later)
    sweep(now=later)
    assert Escalation.objects.filter(ticket=tickets[-1]).count() == 1


def test_refresh_reads_a_constant_number_of_queries() -> None:
    team, _, tickets = _desk(queue=10)
    forecasting.refresh_forecasts(now=NOW)  # warms the calendar and handling caches
    with CaptureQueriesContext(connection) as ten:
        assert forecasting.refresh_forecasts(now=NOW).tickets == 10
    fifty_more(team, tickets[0].sla_policy)
    with CaptureQueriesContext(connection) as sixty:
        assert forecasting.refresh_forecasts(now=NOW).tickets == 60
    assert len(sixty) == len(ten) <= 13  # 13: whether a calibration sample is due (one aggregate)


def test_live_forecast_for_the_workspace_matches_the_stored_one() -> None:
    _, _, tickets = _desk()
    forecasting.refresh_forecasts(now=NOW)
    live = forecasting.live_forecast(Ticket.objects.get(pk=tickets[-1].pk), now=NOW)
    assert live is not None and live.probability == _by_ticket()[tickets[-1].pk].probability
    assert forecasting.live_forecast(TicketFactory.create(), now=NOW) is None  # no team, no clock


def test_the_queue_sorts_by_breach_risk_page_by_page_with_a_flat_query_count(client: Any) -> None:
    team, crew, _ = _desk(queue=30)
    forecasting.refresh_forecasts(now=NOW)
    unforecast = TicketFactory.create(team=team, status="triaged")  # no clock: no forecast, listed last
    client.force_login(crew[0].user)
    seen: list[int] = []
    risks: list[float | None] = []
    url = "/console/queue/team/?sort=risk"
    counts = []
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
        page = response.context["page"]
        seen += [t.pk for t in page.tickets]
        risks += [t.breach_risk for t in page.tickets]
        url = f"/console/queue/team/?sort=risk&cursor={page.next_cursor}" if page.next_cursor else ""
    open_in_team = set(Ticket.objects.filter(team=team).exclude(status="resolved").values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) and set(seen) == open_in_team  # every open ticket once
    known = [risk for risk in risks if risk is not None]
    assert known == sorted(known, reverse=True) and risks.index(None) == len(known)  # every forecast first, riskiest first
    assert seen[-1] == unforecast.pk
    assert counts[1] <= counts[0]  # the second page costs no more than the first (first loads permissions)
    html = client.get("/console/queue/team/?sort=risk").content.decode()
    assert "breach risk" in html and 'class="risk high"' in html


def test_the_workspace_shows_the_forecast_with_its_factors(client: Any) -> None:
    _, crew, tickets = _desk()
    forecasting.refresh_forecasts(now=NOW)
    client.force_login(crew[0].user)
    html = client.get(f"/console/ticket/{tickets[-1].pk}/").content.decode()
    assert 'id="breach-forecast"' in html and "likely to miss the first response target" in html
    assert "13 ahead for 2 agents" in html and "forecast escalates" in html
    calm = client.get(f"/console/ticket/{tickets[0].pk}/").content.decode()
    assert 'id="breach-forecast"' in calm and "forecast escalates" not in calm


def test_an_agent_going_away_refreshes_the_teams_forecasts_at_once(
    django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, crew, tickets = _desk()
    # This desk has no routing rules: re-offering its queue would move it off the team. Only the forecast is watched here.
    monkeypatch.setattr("agents.services.enqueue_on_commit", lambda *args: None)
    forecasting.refresh_forecasts(now=NOW)
    before = {pk: row.probability for pk, row in _by_ticket().items()}
    with django_capture_on_commit_callbacks(execute=True):
        set_availability(agent=crew[0], availability=Availability.AWAY, by=None)
    after = {pk: row.probability for pk, row in _by_ticket().items()}
    assert after[tickets[6].pk] > before[tickets[6].pk] + 0.2  # one agent instead of two for the middle of the queue
    forecasting.refresh_forecasts(now=NOW)
    again = {pk: row.probability for pk, row in _by_ticket().items()}
    assert again == pytest.approx(after, abs=0.002)  # already what the minute's run finds (the event's ran a second later)


def test_a_burst_of_events_queues_one_refresh_per_team_until_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    team, _, _ = _desk(queue=3)
    other = TeamFactory.create()
    sent: list[tuple[str, list[int]]] = []

    def enqueue(name: str, teams: list[int]) -> bool:
        sent.append((name, teams))
        return True

    monkeypatch.setattr(forecasting.queue, "enqueue", enqueue)
    assert forecasting.refresh_soon([team.pk, team.pk, None]) == [team.pk]
    assert forecasting.refresh_soon([team.pk, other.pk]) == [other.pk]  # the team's is queued and not started
    assert sent == [("escalation.forecast_teams", [team.pk]), ("escalation.forecast_teams", [other.pk])]
    assert forecasting.refresh_teams_now([team.pk]).tickets == 3
    assert forecasting.refresh_soon([team.pk]) == [team.pk]  # started: the next event queues another


def test_a_teams_refresh_leaves_the_other_teams_forecasts_and_keeps_no_samples() -> None:
    team, _, tickets = _desk(queue=4)
    elsewhere = TicketFactory.create(
        team=TeamFactory.create(), status="triaged", priority=2, sla_policy=tickets[0].sla_policy,
        sla_first_response_due_at=NOW + timedelta(minutes=50), triaged_at=NOW,
    )  # fmt: skip
    forecasting.refresh_forecasts(now=NOW - timedelta(minutes=1))
    run = forecasting.refresh_forecasts(now=NOW, team_ids=[team.pk])
    assert (run.tickets, run.removed, run.sampled) == (4, 0, 0)
    rows = _by_ticket()
    assert rows[elsewhere.pk].computed_at == NOW - timedelta(minutes=1)
    assert all(rows[t.pk].computed_at == NOW for t in tickets)
