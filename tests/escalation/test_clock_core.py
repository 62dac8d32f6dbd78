"""The pure SLA-clock core on hand-computed cases: weekends, holidays, pauses across nights,
a priority change mid-clock, reopening, the 75 % rule, and whole stories through ``replay``.

Calendar: Monday–Friday 09:00–17:00 UTC (8 business hours a day), so every figure below can be
checked by counting hours on a week planner. Week of Monday 2 March 2026.
"""

from datetime import UTC, date, datetime, time

import pytest

from escalation_engine import clock_core as core
from escalation_engine.clock_core import ClockEvent, Clocks, Policy
from foundation.business_time import Calendar

HOUR = 3600.0
OFFICE = Calendar(weekly={day: [(time(9), time(17))] for day in range(5)})
# Priority targets like the defaults (P1 1 h / P2 4 h first response), resolution 16 h = two business days.
P1 = Policy(key="P1", first_response_seconds=1 * HOUR, next_response_seconds=1 * HOUR, resolution_seconds=8 * HOUR, calendar=OFFICE)
P2 = Policy(key="P2", first_response_seconds=4 * HOUR, next_response_seconds=2 * HOUR, resolution_seconds=16 * HOUR, calendar=OFFICE)
P3 = Policy(key="P3", first_response_seconds=24 * HOUR, next_response_seconds=8 * HOUR, resolution_seconds=40 * HOUR, calendar=OFFICE)
pytestmark = pytest.mark.travel(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))  # nothing here reads today; pinned anyway


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """``day`` of March 2026 (2 = Monday … 6 = Friday, 9 = the next Monday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def started(created: datetime, policy: Policy = P2) -> Clocks:
    clocks = Clocks(created_at=created)
    core.start(clocks, policy, now=created)
    return clocks


def test_first_response_due_over_a_weekend_and_met_on_monday() -> None:
    clocks = started(at(6, 16))  # Friday 16:00: 1 h on Friday, 3 h on Monday
    assert clocks.first_response_due_at == at(9, 12)
    assert clocks.resolution_due_at == at(10, 16)  # 1 + 8 + 7 = 16 h: Tuesday 16:00
    core.agent_reply(clocks, at=at(9, 11))
    assert clocks.first_response_seconds == 3 * HOUR  # Friday 16–17, Monday 9–11
    assert clocks.first_response_met is True
    assert clocks.first_response_due_at is None


def test_a_holiday_moves_the_due_time_a_day_on() -> None:
    easter_monday = Calendar(weekly=OFFICE.weekly, holidays=frozenset({date(2026, 3, 9)}))
    policy = Policy(
        key="holiday", first_response_seconds=4 * HOUR, next_response_seconds=HOUR, resolution_seconds=16 * HOUR, calendar=easter_monday
    )
    clocks = started(at(6, 16), policy)
    assert clocks.first_response_due_at == at(10, 12)  # Tuesday: Monday is closed
    core.agent_reply(clocks, at=at(10, 12, 1))
    assert clocks.first_response_met is False
    assert clocks.first_response_seconds == 4 * HOUR + 60


def test_a_pause_across_nights_keeps_the_seconds_left_and_excludes_the_pause() -> None:
    clocks = started(at(2, 9))  # Monday 09:00, resolution 16 h → Tuesday 17:00
    assert clocks.resolution_due_at == at(3, 17)
    core.agent_reply(clocks, at=at(2, 10))
    core.pause(clocks, at=at(2, 15))  # 2 h left on Monday + 8 h on Tuesday
    assert clocks.resolution_remaining_seconds == 10 * HOUR
    core.refresh(clocks, now=at(4, 9))  # Wednesday morning, past the old due time: still only paused
    assert clocks.sla_status == "paused" and clocks.next_check_at is None
    core.resume(clocks, at=at(4, 10))  # Wednesday 10:00 + 10 h → Thursday 12:00
    assert clocks.resolution_due_at == at(5, 12)
    assert clocks.paused_seconds == 11 * HOUR  # Monday 15–17, Tuesday 8 h, Wednesday 9–10
    core.resolve(clocks, at=at(5, 11))
    assert clocks.resolution_met is True
    assert clocks.resolution_seconds == 26 * HOUR - 11 * HOUR  # Mon 8 + Tue 8 + Wed 8 + Thu 2, minus the pause


def test_resolving_while_paused_judges_on_the_seconds_left() -> None:
    clocks = started(at(2, 9))
    core.pause(clocks, at=at(3, 18))  # after Tuesday 17:00: nothing left
    assert clocks.resolution_remaining_seconds == 0
    core.resolve(clocks, at=at(4, 9))
    assert clocks.resolution_met is False


def test_priority_raised_mid_clock_keeps_the_time_spent() -> None:
    clocks = started(at(2, 9))  # P2: first response 4 h
    assert core.retarget(clocks, P1, now=at(2, 9, 30)) is True  # 30 min spent of P1's hour
    assert clocks.first_response_due_at == at(2, 10)
    assert clocks.resolution_due_at == at(2, 17)  # 30 min spent of 8 h: 7.5 h from 09:30
    assert clocks.policy == P1
    assert core.retarget(clocks, P1, now=at(2, 9, 40)) is False  # same policy: nothing moves


def test_priority_raised_past_the_new_target_is_due_now() -> None:
    clocks = started(at(2, 9))
    core.retarget(clocks, P1, now=at(2, 10, 30))  # 90 min spent, P1 allows 60
    assert clocks.first_response_due_at == at(2, 10, 30)
    assert clocks.sla_status == "breached"


def test_priority_lowered_across_a_night() -> None:
    clocks = started(at(2, 16, 30))  # P2: 30 min on Monday, 3.5 h on Tuesday
    assert clocks.first_response_due_at == at(3, 12, 30)
    core.retarget(clocks, P3, now=at(2, 16, 45))  # 15 min spent of 24 h: 15 min Mon + 23.5 h = Tue, Wed 8 h each + 7.5 h Thu
    assert clocks.first_response_due_at == at(5, 16, 30)


def test_a_paused_resolution_clock_moves_by_the_difference_of_the_targets() -> None:
    clocks = started(at(2, 9))
    core.pause(clocks, at=at(2, 11))  # 14 h left of P2's 16
    core.retarget(clocks, P1, now=at(2, 12))  # P1 resolution 8 h: 8 h less
    assert clocks.resolution_remaining_seconds == 6 * HOUR
    core.resume(clocks, at=at(3, 9))
    assert clocks.resolution_due_at == at(3, 15)


def test_reopening_restarts_the_resolution_clock_and_counts_the_resolved_time_as_paused() -> None:
    clocks = started(at(2, 9))
    core.agent_reply(clocks, at=at(2, 9, 30))
    core.resolve(clocks, at=at(2, 12))
    clocks.is_open, clocks.resolved_at = False, at(2, 12)
    core.refresh(clocks, now=at(2, 12))
    assert clocks.sla_status == "met" and clocks.resolution_seconds == 3 * HOUR
    clocks.is_open, clocks.resolved_at = True, None
    core.reopen(clocks, at=at(3, 10), resolved_at=at(2, 12))
    assert clocks.reopen_count == 1
    assert clocks.paused_seconds == 6 * HOUR  # Monday 12–17, Tuesday 9–10
    assert clocks.resolution_due_at == at(5, 10)  # 16 h from Tuesday 10:00: 7 + 8 + 1
    assert clocks.resolution_met is None and clocks.resolution_seconds is None


def test_the_75_percent_rule_sets_at_risk_and_the_next_check_across_a_night() -> None:
    clocks = started(at(2, 16))  # 4 h → due Tuesday 12:00; 3 h spent at Tuesday 11:00
    assert clocks.sla_status == "ok"
    assert clocks.next_check_at == at(3, 11)
    core.refresh(clocks, now=at(3, 11))
    assert clocks.sla_status == "at_risk" and clocks.next_check_at == at(3, 12)
    assert core.pressing(clocks, now=at(3, 11)) == core.FIRST_RESPONSE
    core.refresh(clocks, now=at(3, 12))
    assert clocks.sla_status == "breached"
    assert core.at_risk_at(OFFICE, due=at(3, 12), target_seconds=4 * HOUR, ratio=0.75, now=at(2, 16)) == at(3, 11)


def test_the_next_response_clock_starts_on_a_customer_message_after_the_first_reply() -> None:
    clocks = started(at(2, 9))
    core.customer_message(clocks, at=at(2, 9, 5))  # before any reply: the first-response clock covers it
    assert clocks.next_response_due_at is None
    core.agent_reply(clocks, at=at(2, 10))
    core.customer_message(clocks, at=at(2, 16, 30))  # 2 h: 30 min Monday, 90 min Tuesday
    assert clocks.next_response_due_at == at(3, 10, 30)
    core.customer_message(clocks, at=at(2, 16, 45))  # a second message does not restart it
    assert clocks.next_response_due_at == at(3, 10, 30)
    core.pause(clocks, at=at(2, 16, 50))
    assert clocks.next_response_due_at is None


def test_without_a_policy_no_clock_runs_and_business_seconds_are_wall_seconds() -> None:
    clocks = started(at(7, 9), policy=None)  # type: ignore[arg-type]
    assert clocks.sla_status == "none" and clocks.first_response_due_at is None
    assert core.business_seconds(clocks, at(7, 9), at(7, 10)) == HOUR


def test_replay_reports_each_run_with_its_pauses_risk_and_outcome() -> None:
    events = [
        ClockEvent(core.CREATED, at(2, 16)),  # first response due Tuesday 12:00, at risk Tuesday 11:00
        ClockEvent(core.AGENT_REPLIED, at(3, 11, 30)),  # met, after turning at risk
        ClockEvent(core.PAUSED, at(3, 12)),
        ClockEvent(core.CUSTOMER_WROTE, at(4, 9)),  # resumes, and starts a next response (2 h → 11:00)
        ClockEvent(core.AGENT_REPLIED, at(4, 11, 15)),  # next response breached by 15 min
        ClockEvent(core.RESOLVED, at(4, 15)),
    ]
    outcome = core.replay(events, policy=P2)
    (first,) = outcome.runs_of(core.FIRST_RESPONSE)
    assert (first.due_at, first.stopped_at, first.breached) == (at(3, 12), at(3, 11, 30), False)
    assert first.at_risk_at == at(3, 11)
    assert first.spent_seconds == 3.5 * HOUR
    (following,) = outcome.runs_of(core.NEXT_RESPONSE)
    assert (following.started_at, following.due_at, following.breached) == (at(4, 9), at(4, 11), True)
    assert following.at_risk_at == at(4, 10, 30) and following.spent_seconds == 2.25 * HOUR
    (resolution,) = outcome.runs_of(core.RESOLUTION)
    # 4 h spent (Monday 16–17, Tuesday 9–12) when paused; 12 h left from Wednesday 09:00 → Thursday 13:00
    assert resolution.paused_seconds == 5 * HOUR
    assert resolution.due_at == at(5, 13)
    assert resolution.breached is False and resolution.at_risk_at is None  # at risk only at Wednesday 17:00
    assert resolution.spent_seconds == 10 * HOUR
    assert outcome.clocks.sla_status == "met"
    assert outcome.breached is True  # the next response was late


def test_replay_of_a_team_change_to_another_policy_and_a_reopening() -> None:
    events = [
        ClockEvent(core.CREATED, at(2, 9)),
        ClockEvent(core.RETARGETED, at(2, 9, 30), policy=P1),  # moved to a team whose policy is tighter
        ClockEvent(core.AGENT_REPLIED, at(2, 10, 30)),  # P1 first response due 10:00: breached
        ClockEvent(core.RESOLVED, at(2, 12)),
        ClockEvent(core.REOPENED, at(3, 9)),
    ]
    outcome = core.replay(events, policy=P2, until=at(3, 17, 30))
    (first,) = outcome.runs_of(core.FIRST_RESPONSE)
    assert first.due_at == at(2, 10) and first.breached and first.target_seconds == HOUR
    first_resolution, second_resolution = outcome.runs_of(core.RESOLUTION)
    assert first_resolution.stopped_at == at(2, 12) and not first_resolution.breached
    assert second_resolution.started_at == at(3, 9) and second_resolution.due_at == at(3, 17)
    assert second_resolution.stopped_at is None and second_resolution.breached  # still open past Tuesday 17:00
    assert outcome.clocks.reopen_count == 1


def test_replay_refuses_a_story_out_of_order() -> None:
    with pytest.raises(ValueError, match="before"):
        core.replay([ClockEvent(core.CREATED, at(2, 10)), ClockEvent(core.AGENT_REPLIED, at(2, 9))], policy=P2)
    with pytest.raises(ValueError, match="created"):
        core.replay([ClockEvent(core.AGENT_REPLIED, at(2, 9))], policy=P2)
