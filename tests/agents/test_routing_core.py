"""The pure routing core: capacity units, optional skills that relax, and the queue orders."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest

from agents import routing_core
from agents.routing_core import Candidate, CapacityProfile, QueueOrder, SkillNeed, TicketFacts

PROFILE = CapacityProfile(total_units=6, channel_weights={"chat": 3, "email": 1}, priority_multipliers={0: 2})
FACTS = TicketFacts(
    priority=2,
    category="billing",
    tier="bronze",
    lifetime_value=0.0,
    channel="email",
    language="en",
    subject="",
    body="",
    in_business_hours=True,
)


def candidate(**kwargs: object) -> Candidate:
    fields: dict[str, object] = {"agent_id": 1, "skill_level": 3, "used_units": 0.0, "capacity_units": 6.0, "seniority": 2}
    fields.update(kwargs)
    return Candidate(**fields)  # type: ignore[arg-type]


def test_a_ticket_weighs_its_channel_times_its_priority_and_never_more_than_the_total() -> None:
    assert PROFILE.units(channel="email", priority=2) == 1
    assert PROFILE.units(channel="chat", priority=2) == 3
    assert PROFILE.units(channel="email", priority=0) == 2
    assert PROFILE.units(channel="chat", priority=0) == 6
    assert PROFILE.units(channel="phone", priority=1) == 1  # unlisted channel weighs 1
    small = CapacityProfile(total_units=4, channel_weights={"chat": 3}, priority_multipliers={0: 2})
    assert small.units(channel="chat", priority=0) == 4  # clamped: one such ticket alone still fits


def test_pending_tickets_hold_no_units_unless_the_profile_says_so() -> None:
    open_tickets = [("chat", 2, True), ("email", 2, False), ("email", 0, True)]
    assert PROFILE.used_units(open_tickets) == 3 + 2
    holding = CapacityProfile(total_units=6, channel_weights={"chat": 3}, pending_frees_units=False)
    assert holding.used_units(open_tickets) == 3 + 1 + 1
    legacy = routing_core.legacy_profile(10)
    assert legacy.total_units == 10 and legacy.used_units(open_tickets) == 3  # today's rule: every open ticket counts 1


def test_an_agent_takes_a_ticket_only_if_its_units_fit_in_what_is_left() -> None:
    assert routing_core.eligible(candidate(used_units=3, ticket_units=3), min_level=1) is None  # exactly full is fine
    why = routing_core.eligible(candidate(used_units=4, ticket_units=3), min_level=1)
    assert why == "at capacity (4/6 units, ticket needs 3)"
    # Over capacity after a ticket came back from the customer: nothing new, not even a light ticket.
    assert routing_core.eligible(candidate(used_units=7, ticket_units=1), min_level=1) is not None


def test_the_load_term_reads_units_so_a_chat_counts_more_than_an_email() -> None:
    light = routing_core.score(candidate(agent_id=1, used_units=1), FACTS)
    heavy = routing_core.score(candidate(agent_id=2, used_units=3), FACTS)
    over = routing_core.score(candidate(agent_id=3, used_units=7), FACTS)
    assert light.parts["load"] > heavy.parts["load"] > over.parts["load"] == 0.0


def test_required_and_optional_skills_are_checked_against_the_agents_levels() -> None:
    german = SkillNeed("german", min_level=3, required=False, priority=2, relax_after_seconds=300)
    agent = candidate(skill_levels={"german": 2})
    assert routing_core.eligible(agent, min_level=1, needs=[german]) == "level 2 german (optional P2, needs level 3)"
    assert routing_core.eligible(candidate(skill_levels={"german": 4}), min_level=1, needs=[german]) is None
    # Seniority stands in for the category skill, never for a rule's extra skill.
    assert routing_core.eligible(candidate(skill_level=None, seniority=4), min_level=1, needs=[german]) is not None
    assert routing_core.eligible(candidate(skill_level=None, seniority=4), min_level=1) is None


def test_optional_skills_drop_lowest_priority_first_each_after_its_timeout() -> None:
    vip = SkillNeed("vip", required=True)
    german = SkillNeed("german", required=False, priority=1, relax_after_seconds=60)
    billing_pro = SkillNeed("billing-pro", required=False, priority=3, relax_after_seconds=600)
    tone = SkillNeed("tone", required=False, priority=2, relax_after_seconds=120)
    needs = [vip, german, billing_pro, tone]

    kept, dropped = routing_core.active_skills(needs, waited_seconds=59)
    assert kept == needs and dropped == []
    # German's own timeout has passed, but priority 1 outlives the priority-3 and priority-2 skills.
    kept, dropped = routing_core.active_skills(needs, waited_seconds=300)
    assert kept == needs
    kept, dropped = routing_core.active_skills(needs, waited_seconds=600)
    assert kept == [vip]
    assert [(d.skill, d.after_seconds) for d in dropped] == [("billing-pro", 600), ("tone", 600), ("german", 600)]
    assert routing_core.next_relaxation_seconds(needs, waited_seconds=10) == 600
    assert routing_core.next_relaxation_seconds(needs, waited_seconds=600) is None

    kept, dropped = routing_core.active_skills([vip, billing_pro, german], waited_seconds=700)
    assert kept == [vip]  # required skills are never dropped
    kept, dropped = routing_core.active_skills([german, billing_pro], waited_seconds=10_000)
    assert [(d.skill, d.after_seconds) for d in dropped] == [("billing-pro", 600), ("german", 600)]


def test_a_short_low_priority_timeout_goes_before_a_long_high_priority_one() -> None:
    german = SkillNeed("german", required=False, priority=1, relax_after_seconds=900)
    tone = SkillNeed("tone", required=False, priority=3, relax_after_seconds=60)
    kept, dropped = routing_core.active_skills([german, tone], waited_seconds=61)
    assert kept == [german] and [d.skill for d in dropped] == ["tone"]
    assert routing_core.next_relaxation_seconds([german, tone], waited_seconds=61) == 900


def test_queue_orders() -> None:
    def order(mode: str, tickets: Sequence[tuple[str, int, float, float | None]]) -> list[str]:
        keyed = {name: routing_core.queue_key(mode, priority=p, arrived_at=a, slack_seconds=s) for name, p, a, s in tickets}
        return sorted(keyed, key=keyed.__getitem__)

    tickets = [("old-p3", 3, 0.0, 3_600.0), ("p1-plenty", 1, 10.0, 3_000.0), ("p2-tight", 2, 20.0, 600.0), ("no-sla", 0, 30.0, None)]
    assert order(QueueOrder.FIFO, tickets) == ["old-p3", "p1-plenty", "p2-tight", "no-sla"]
    assert order(QueueOrder.PRIORITY, tickets) == ["no-sla", "p1-plenty", "p2-tight", "old-p3"]
    assert order(QueueOrder.SLA, tickets) == ["p2-tight", "p1-plenty", "old-p3", "no-sla"]
    # Slacks within the same minute tie, and the higher priority goes first; a breached ticket leads.
    tie = [("p3", 3, 0.0, 610.0), ("p1", 1, 5.0, 650.0), ("breached", 2, 9.0, -30.0)]
    assert order(QueueOrder.SLA, tie) == ["breached", "p1", "p3"]


def test_optional_skills_never_hold_a_ticket_past_three_percent_of_its_target() -> None:
    german = SkillNeed("german", required=False, priority=1, relax_after_seconds=300)
    p0_hold = routing_core.hold_limit_seconds(15 * 60)
    assert p0_hold == pytest.approx(27)
    assert routing_core.active_skills([german], waited_seconds=26, hold_limit=p0_hold)[0] == [german]
    kept, dropped = routing_core.active_skills([german], waited_seconds=28, hold_limit=p0_hold)
    assert kept == [] and [d.skill for d in dropped] == ["german"] and dropped[0].after_seconds == pytest.approx(27)
    p3_hold = routing_core.hold_limit_seconds(1440 * 60)
    assert routing_core.active_skills([german], waited_seconds=299, hold_limit=p3_hold)[0] == [german]  # its own 5 minutes apply
    assert routing_core.hold_limit_seconds(None) is None


def test_a_senior_stands_in_only_once_half_the_sla_time_is_gone() -> None:
    senior = candidate(skill_level=None, seniority=3)
    assert routing_core.stand_in_allowed(slack_seconds=1000, target_seconds=3600) is True
    assert routing_core.stand_in_allowed(slack_seconds=2000, target_seconds=3600) is False
    assert routing_core.stand_in_allowed(slack_seconds=None, target_seconds=None) is True  # no SLA clock: as before
    assert routing_core.eligible(senior, min_level=1, stand_in=False) == "no skill (needs level 1)"
    ranked, skipped = routing_core.rank([senior], FACTS, stand_in=False)
    assert ranked == [] and senior.agent_id in skipped


def test_a_heavy_urgent_ticket_holds_the_skilled_agents_closest_to_fitting_it() -> None:
    assert routing_core.should_reserve(slack_seconds=900) and not routing_core.should_reserve(slack_seconds=7200)
    assert not routing_core.should_reserve(slack_seconds=None)
    agents = [
        candidate(agent_id=1, used_units=1, ticket_units=6, skill_level=2),  # one unit short
        candidate(agent_id=2, used_units=3, ticket_units=6, skill_level=4),  # three short
        candidate(agent_id=3, used_units=1, ticket_units=6, skill_level=5),  # one short, more skilled
        candidate(agent_id=4, used_units=0, ticket_units=6, skill_level=None, seniority=4),  # empty, but lacks the skill
    ]
    held = routing_core.pick_reservation(agents, min_level=1)
    assert [c.agent_id for c in held] == [3, 1]
    assert [c.agent_id for c in routing_core.pick_reservation(agents, min_level=3, count=3)] == [3, 2]


def test_rank_key_orders_as_rank_does_and_the_ceiling_less_the_load_loss_is_the_score() -> None:
    rng = random.Random(5)
    urgent = TicketFacts(**{**FACTS.__dict__, "priority": 0})
    for round_ in range(300):
        pool = [
            candidate(
                agent_id=i,
                skill_level=rng.choice([None, 1, 2, 3, 4, 5]),
                used_units=rng.choice([0.0, 1.0, 2.0, 5.0]),
                capacity_units=rng.choice([0.0, 3.0, 4.0, 6.0]),
                seniority=rng.randint(1, 4),
                performance_score=rng.choice([0.2, 0.5, 0.5, 0.9]),
                idle_since=float(rng.choice([0, 10, 10, 20])),
                skill_levels={"lang:de": 5} if rng.random() < 0.5 else {},
                ticket_units=rng.choice([1.0, 2.0]),
            )
            for i in rng.sample(range(1, 50), rng.randint(0, 8))
        ]
        options = {
            "min_level": rng.randint(1, 4),
            "needs": (SkillNeed("lang:de", required=False),) if round_ % 3 == 0 else (),
            "stand_in": round_ % 2 == 0,
        }
        for facts in (FACTS, urgent):
            ranked, _ = routing_core.rank(pool, facts, **options)  # type: ignore[arg-type]
            eligible = [c for c in pool if routing_core.eligible(c, **options) is None]  # type: ignore[arg-type]
            assert sorted(eligible, key=lambda c: routing_core.rank_key(c, facts)) == [s.candidate for s in ranked]
            for c in pool:
                ceiling = routing_core.score_ceiling(c, facts)
                assert routing_core.score(c, facts).score <= ceiling
                assert ceiling == routing_core.score(replace(c, used_units=0.0), facts).score
                loss = routing_core.load_loss(used_units=c.used_units, capacity_units=c.capacity_units)
                assert abs(routing_core.score(c, facts).score - (ceiling - loss)) <= 1e-6 + 1e-12
