"""The routing simulation: repeatable, conserves tickets, never over capacity, and drives the real routing core."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from typing import Any

import pytest

from agents import routing_core
from bench import routing_sim
from bench.routing_sim import ROSTER, Assignment, SimTicket, candidate_for, make_tickets, simulate

AGENTS = {agent.agent_id: agent for agent in ROSTER}
SKILLED_POLICIES = ("skills_round_robin", "load_balanced_sla", "router")


@pytest.fixture(scope="module")
def busy_stream() -> list[SimTicket]:
    """A stream at 95 % nominal load, where queues form and eligibility decides who waits."""
    return make_tickets(count=2000, utilization=0.95, seed=11)


@pytest.fixture(scope="module")
def runs(busy_stream: list[SimTicket]) -> dict[str, list[Assignment]]:
    return {policy: simulate(busy_stream, policy=policy) for policy in routing_sim.POLICIES}


def _units_in_use_at(assignments: list[Assignment], agent_id: int, at: float) -> float:
    return sum(a.units for a in assignments if a.agent_id == agent_id and a.start_minutes <= at < a.end_minutes)


def test_same_seed_gives_identical_results() -> None:
    small: dict[str, Any] = {"tickets": 500, "utilizations": (0.85,)}
    assert routing_sim.run(seeds=(3,), **small) == routing_sim.run(seeds=(3,), **small)
    assert routing_sim.run(seeds=(3,), **small) != routing_sim.run(seeds=(4,), **small)


def test_every_roster_category_is_covered_at_its_minimum_level_so_no_ticket_can_starve() -> None:
    for category in routing_sim.CATEGORY_MIX:
        level = routing_sim.MIN_LEVEL.get(category, 1)
        assert any(agent.skills.get(category, 0) >= level for agent in ROSTER), category


def test_ticket_units_follow_the_profile_weights_and_are_clamped_to_the_agent_total() -> None:
    six, four = AGENTS[1], AGENTS[6]
    assert (six.capacity_units, four.capacity_units) == (6.0, 4.0)
    chat_p0 = SimTicket(0, 0.0, 0, "billing", "bronze", 1.0, 0.0, channel="chat")
    email_p2 = SimTicket(1, 0.0, 2, "billing", "bronze", 1.0, 0.0, channel="email")
    assert routing_sim.ticket_units(chat_p0, six) == 6.0 and routing_sim.ticket_units(chat_p0, four) == 4.0
    assert routing_sim.ticket_units(email_p2, six) == 1.0


@pytest.mark.parametrize("policy", routing_sim.POLICIES)
def test_no_policy_ever_puts_an_agent_over_their_units(policy: str, runs: dict[str, list[Assignment]]) -> None:
    assignments = runs[policy]
    by_agent: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_agent[a.agent_id].append(a)
    concurrent = 0
    for agent_id, items in by_agent.items():
        for a in items:
            held = _units_in_use_at(items, agent_id, a.start_minutes)  # includes a itself
            assert held <= AGENTS[agent_id].capacity_units + 1e-9, (policy, a)
            concurrent += held > a.units
    assert concurrent, "agents should carry more than one ticket at once"


@pytest.mark.parametrize("policy", routing_sim.POLICIES)
def test_every_ticket_is_served_exactly_once_after_arriving(
    policy: str, runs: dict[str, list[Assignment]], busy_stream: list[SimTicket]
) -> None:
    assignments = runs[policy]
    assert Counter(a.ticket_id for a in assignments) == Counter(t.ticket_id for t in busy_stream)
    arrivals = {t.ticket_id: t.arrival_minutes for t in busy_stream}
    assert all(arrivals[a.ticket_id] <= a.start_minutes < a.end_minutes for a in assignments)


@pytest.mark.parametrize("policy", SKILLED_POLICIES)
def test_skilled_policies_only_hand_out_to_agents_the_routing_core_allows(
    policy: str, runs: dict[str, list[Assignment]], busy_stream: list[SimTicket]
) -> None:
    tickets = {t.ticket_id: t for t in busy_stream}
    for a in runs[policy]:
        ticket = tickets[a.ticket_id]
        candidate = candidate_for(AGENTS[a.agent_id], ticket.category, idle_since=0.0)  # skill part only
        assert routing_core.eligible(candidate, min_level=ticket.min_level) is None, (policy, a)


def test_fifo_reference_ignores_skills(runs: dict[str, list[Assignment]]) -> None:
    assert any(a.skill_factor == routing_sim.SKILL_FACTOR[None] for a in runs["fifo_round_robin"])


def test_router_holds_the_optional_language_until_its_timeout_then_drops_it(
    runs: dict[str, list[Assignment]], busy_stream: list[SimTicket]
) -> None:
    tickets = {t.ticket_id: t for t in busy_stream}
    mismatched = [a for a in runs["router"] if tickets[a.ticket_id].language not in AGENTS[a.agent_id].languages]
    assert mismatched, "at 95 % some foreign-language tickets should outwait their timeout"
    for a in mismatched:
        waited = a.start_minutes - tickets[a.ticket_id].arrival_minutes
        assert waited >= routing_sim.LANGUAGE_TIMEOUT_MINUTES - 1e-9, a
    # The baselines route on the required skill only, so they answer in the wrong language at once.
    baseline = [
        a
        for a in runs["skills_round_robin"]
        if tickets[a.ticket_id].language not in AGENTS[a.agent_id].languages and a.start_minutes == tickets[a.ticket_id].arrival_minutes
    ]
    assert baseline


def test_router_leaves_a_ticket_waiting_only_while_no_eligible_agent_has_room(
    runs: dict[str, list[Assignment]], busy_stream: list[SimTicket]
) -> None:
    assignments = runs["router"]
    by_agent: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_agent[a.agent_id].append(a)
    for items in by_agent.values():
        items.sort(key=lambda a: a.start_minutes)
    start_of = {a.ticket_id: a.start_minutes for a in assignments}
    waited = [t for t in busy_stream if start_of[t.ticket_id] > t.arrival_minutes][:300]
    assert waited
    for ticket in waited:
        at = ticket.arrival_minutes
        needs = [] if ticket.language == "en" else list(ticket.needs)  # at arrival the language is still asked for
        for agent in ROSTER:
            items = by_agent.get(agent.agent_id, [])
            position = bisect.bisect_right([a.start_minutes for a in items], at)
            held = sum(a.units for a in items[:position] if a.end_minutes > at)
            candidate = candidate_for(
                agent, ticket.category, idle_since=0.0, used_units=held, units=routing_sim.ticket_units(ticket, agent)
            )
            assert routing_core.eligible(candidate, min_level=ticket.min_level, needs=needs) is not None, (ticket, agent.agent_id)


def test_the_router_runs_on_the_real_routing_core(monkeypatch: pytest.MonkeyPatch, busy_stream: list[SimTicket]) -> None:
    calls = Counter[str]()
    for name in ("rank", "eligible", "queue_key", "active_skills"):
        real = getattr(routing_core, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(routing_core, name, spy)
    simulate(busy_stream[:600], policy="router")
    assert all(calls[name] > 0 for name in ("rank", "eligible", "queue_key", "active_skills")), calls

    # A change to the core's queue order changes what the simulation measures.
    monkeypatch.undo()
    sla = simulate(busy_stream, policy="router")
    fifo = routing_sim.Router(ROSTER, order=routing_core.QueueOrder.FIFO).run(busy_stream)
    assert [a.agent_id for a in sla] != [a.agent_id for a in fifo]


def test_report_has_every_policy_with_seed_spread_and_the_targets() -> None:
    result = routing_sim.run(tickets=600, seeds=(2, 3), utilizations=(0.70, 0.85, 0.95))
    assert set(result["levels"]) == {"0.70", "0.85", "0.95"}
    for key, level in result["levels"].items():
        for policy in routing_sim.POLICIES:
            breach = level[policy]["sla_breach_rate"]
            assert 0.0 <= breach["min"] <= breach["mean"] <= breach["max"] <= 1.0
        assert len(level["seed_breach_ratios"]) == 2
        assert ("targets" in level) == (key in routing_sim.TARGET_LEVELS)
    targets = result["levels"]["0.85"]["targets"]
    assert {"breach_ratio", "worst_seed_breach_ratio", "p0_p95_wait", "p1_p95_wait", "p3_p95_wait", "utilization_stdev"} <= set(targets)
    assert "p3_p95_wait" not in result["levels"]["0.95"]["targets"]
    assert isinstance(result["targets_met"], bool)
    table = routing_sim.markdown_table(result)
    assert all(policy in table for policy in routing_sim.POLICIES) and table.count("\n") == 1 + 3 * len(routing_sim.POLICIES)


def test_summary_counts_add_up() -> None:
    stream = make_tickets(count=1100, utilization=0.85, seed=2)
    summary = routing_sim.summarize(stream, simulate(stream, policy="router"), warmup=100, agents=ROSTER)
    waits = summary["first_response_wait_minutes"]
    assert sum(waits[f"P{p}"]["n"] for p in routing_sim.PRIORITIES) == waits["overall"]["n"] == summary["tickets_simulated"] == 1000
    assert 0.0 < summary["agent_utilization"]["mean"] < 1.0
