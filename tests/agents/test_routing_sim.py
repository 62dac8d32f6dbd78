"""The routing simulation: repeatable, conserves tickets, and the router obeys ``routing_core.eligible``."""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict

import pytest

from agents import routing_core
from bench import routing_sim
from bench.routing_sim import ROSTER, Assignment, SimTicket, candidate_for, make_tickets, simulate

AGENTS = {agent.agent_id: agent for agent in ROSTER}


@pytest.fixture(scope="module")
def busy_stream() -> list[SimTicket]:
    """A stream at 95 % nominal load, where queues form and eligibility decides who waits."""
    return make_tickets(count=2000, utilization=0.95, seed=11)


@pytest.fixture(scope="module")
def router_assignments(busy_stream: list[SimTicket]) -> list[Assignment]:
    return simulate(busy_stream, policy="router")


def _intervals_by_agent(assignments: list[Assignment]) -> dict[int, list[Assignment]]:
    by_agent: dict[int, list[Assignment]] = defaultdict(list)
    for a in assignments:
        by_agent[a.agent_id].append(a)
    for intervals in by_agent.values():
        intervals.sort(key=lambda a: a.start_minutes)
    return by_agent


def test_same_seed_gives_identical_results() -> None:
    assert routing_sim.run(tickets=800, seed=3) == routing_sim.run(tickets=800, seed=3)
    assert routing_sim.run(tickets=800, seed=3) != routing_sim.run(tickets=800, seed=4)


def test_every_roster_category_is_covered_so_no_ticket_can_starve() -> None:
    for category in routing_sim.CATEGORY_MIX:
        assert any(category in agent.skills for agent in ROSTER), category


def test_router_never_assigns_an_agent_eligible_rejects(router_assignments: list[Assignment], busy_stream: list[SimTicket]) -> None:
    tickets = {t.ticket_id: t for t in busy_stream}
    for a in router_assignments:
        candidate = candidate_for(AGENTS[a.agent_id], tickets[a.ticket_id].category, idle_since=a.start_minutes)
        assert routing_core.eligible(candidate, min_level=1) is None, a


@pytest.mark.parametrize("policy", routing_sim.POLICIES)
def test_an_agent_works_one_ticket_at_a_time(policy: str, busy_stream: list[SimTicket]) -> None:
    for intervals in _intervals_by_agent(simulate(busy_stream, policy=policy)).values():
        for before, after in itertools.pairwise(intervals):
            assert after.start_minutes >= before.end_minutes


@pytest.mark.parametrize("policy", routing_sim.POLICIES)
def test_every_ticket_is_served_exactly_once_after_arriving(policy: str, busy_stream: list[SimTicket]) -> None:
    assignments = simulate(busy_stream, policy=policy)
    served = Counter(a.ticket_id for a in assignments)
    assert served == Counter(t.ticket_id for t in busy_stream)
    arrivals = {t.ticket_id: t.arrival_minutes for t in busy_stream}
    assert all(arrivals[a.ticket_id] <= a.start_minutes < a.end_minutes for a in assignments)


def test_router_leaves_a_ticket_waiting_only_while_every_eligible_agent_is_busy(
    router_assignments: list[Assignment], busy_stream: list[SimTicket]
) -> None:
    by_agent = _intervals_by_agent(router_assignments)
    starts = {agent_id: [a.start_minutes for a in intervals] for agent_id, intervals in by_agent.items()}
    start_of = {a.ticket_id: a.start_minutes for a in router_assignments}
    waited = [t for t in busy_stream if start_of[t.ticket_id] > t.arrival_minutes]
    assert waited, "the stream should be busy enough for some tickets to wait"
    for ticket in waited:
        for agent in ROSTER:
            if routing_core.eligible(candidate_for(agent, ticket.category, idle_since=0.0), min_level=1) is not None:
                continue
            # The agent's last ticket started at or before this arrival must still be running.
            position = bisect.bisect_right(starts.get(agent.agent_id, []), ticket.arrival_minutes) - 1
            assert position >= 0, (ticket, agent.agent_id)
            assert by_agent[agent.agent_id][position].end_minutes > ticket.arrival_minutes, (ticket, agent.agent_id)


def test_fifo_ignores_skills(busy_stream: list[SimTicket]) -> None:
    assignments = simulate(busy_stream, policy="fifo_round_robin")
    assert any(a.skill_factor == routing_sim.SKILL_FACTOR[None] for a in assignments)


def test_router_p0_waits_less_than_fifo_at_85_percent() -> None:
    level = routing_sim.run(tickets=3000, seed=5)["levels"]["0.85"]
    router_p0 = level["router"]["first_response_wait_minutes"]["P0"]["mean"]
    fifo_p0 = level["fifo_round_robin"]["first_response_wait_minutes"]["P0"]["mean"]
    assert router_p0 < fifo_p0


def test_breach_rates_are_shares_and_counts_add_up() -> None:
    result = routing_sim.run(tickets=1000, seed=2)
    for level in result["levels"].values():
        for policy in routing_sim.POLICIES:
            summary = level[policy]
            assert 0.0 <= summary["sla_breach_rate"] <= 1.0
            assert all(r is None or 0.0 <= r <= 1.0 for r in summary["sla_breach_rate_by_priority"].values())
            waits = summary["first_response_wait_minutes"]
            assert sum(waits[f"P{p}"]["n"] for p in routing_sim.PRIORITIES) == waits["overall"]["n"] == summary["tickets_simulated"] == 1000
    assert isinstance(result["targets_met_at_85"], bool)
