"""The breach forecast's pure core: its arithmetic, and its calibration on a simulated desk.

The calibration tests simulate a team of agents answering tickets first come, first served
(Poisson arrivals, lognormal handling times, which the forecast only knows by mean and
variance fitted on an earlier stretch of the same simulation), take the forecast at each
ticket's arrival from what a supervisor could see then (tickets ahead, agents online), and
compare it with what happened to the ticket afterwards.
"""

from __future__ import annotations

import heapq
import math
import random

import pytest

from escalation_engine import forecast as fc


def test_regularized_upper_gamma_matches_known_values() -> None:
    # Q(1, x) = e^-x; Q(n, x) for integer n is the Poisson tail Σ_{k<n} e^-x x^k / k!.
    assert fc.regularized_upper_gamma(1, 2.0) == pytest.approx(math.exp(-2.0), rel=1e-12)
    poisson = sum(math.exp(-7.5) * 7.5**k / math.factorial(k) for k in range(12))
    assert fc.regularized_upper_gamma(12, 7.5) == pytest.approx(poisson, rel=1e-10)
    assert fc.regularized_upper_gamma(0.5, 0.0) == 1.0
    assert fc.regularized_upper_gamma(300, 100) == pytest.approx(1.0)
    assert fc.regularized_upper_gamma(3, 400) == pytest.approx(0.0, abs=1e-12)


def test_gamma_exceedance_of_an_exponential() -> None:
    # mean 600 s, variance 600² is an exponential: P(W > 900) = e^-1.5.
    assert fc.gamma_exceedance(900, 600, 600**2) == pytest.approx(math.exp(-1.5), rel=1e-9)


def test_more_tickets_ahead_or_fewer_agents_or_less_time_means_more_risk() -> None:
    table = fc.HandlingTable(overall=fc.Handling(600.0, 600.0**2, 100))
    base = fc.forecast(fc.Situation(remaining=3600, ahead=6, servers=3), table).probability
    assert fc.forecast(fc.Situation(remaining=3600, ahead=12, servers=3), table).probability > base
    assert fc.forecast(fc.Situation(remaining=3600, ahead=6, servers=2), table).probability > base
    assert fc.forecast(fc.Situation(remaining=1800, ahead=6, servers=3), table).probability > base
    jumpers = fc.Situation(remaining=3600, ahead=6, servers=3, arrivals_ahead_per_second=1 / 900)
    assert fc.forecast(jumpers, table).probability > base
    # A free agent and plenty of time: almost certainly answered in time.
    assert fc.forecast(fc.Situation(remaining=4 * 3600, ahead=1, servers=3), table).probability < 0.01


def test_edge_cases_are_certain_and_explained() -> None:
    table = fc.HandlingTable()
    due = fc.forecast(fc.Situation(remaining=0, ahead=0, servers=2), table)
    assert due.probability == 1.0 and due.factors == ("the target is already due",)
    flooded = fc.forecast(fc.Situation(remaining=7200, ahead=4, servers=1, arrivals_ahead_per_second=1 / 600), table)
    assert flooded.probability == 1.0 and "the queue is growing" in flooded.factors[0]
    nobody = fc.forecast(fc.Situation(remaining=1800, ahead=0, servers=0, offline_for=7200), table)
    assert nobody.probability > 0.8 and nobody.factors[0] == "no agent online for 2.0 h"
    assert nobody.will_breach_within(3600, 0.8) and not nobody.will_breach_within(600, 0.8)
    soon = fc.forecast(fc.Situation(remaining=1800, ahead=0, servers=0, offline_for=600), table)
    assert soon.factors[0] == "no agent online for 10 min" and soon.probability < nobody.probability


def test_fit_handling_falls_back_to_the_team_for_thin_categories() -> None:
    rows = [("billing", 300.0 + i) for i in range(30)] + [("refund", 5000.0)] * 3 + [("billing", -5.0), ("refund", 0.0)]
    table = fc.fit_handling(rows)
    assert table.for_category("billing").observations == 30
    assert table.for_category("billing").mean == pytest.approx(314.5)
    assert table.for_category("refund") is table.overall  # 3 observations: too few
    assert table.overall.observations == 33
    assert fc.fit_handling([]).overall == fc.DEFAULT_HANDLING


def _simulate(*, seed: int, agents: int, load: float, tickets: int, mean: float, sigma: float, target: float):
    """A FIFO team of ``agents``; returns (handling samples, per-ticket (situation, breached))."""
    rng = random.Random(seed)
    mu = math.log(mean) - sigma**2 / 2  # lognormal with the given mean
    arrival_rate = load * agents / mean
    clock = 0.0
    free_at = [0.0] * agents  # when each agent finishes what they hold (FIFO: the earliest free takes the next)
    heapq.heapify(free_at)
    starts: list[float] = []  # service start of every earlier ticket (for "ahead" at an arrival)
    ends: list[float] = []
    handling: list[tuple[str, float]] = []
    outcomes: list[tuple[fc.Situation, bool]] = []
    for _ in range(tickets):
        clock += rng.expovariate(arrival_rate)
        work = rng.lognormvariate(mu, sigma)
        agent_free = heapq.heappop(free_at)
        start = max(clock, agent_free)
        end = start + work
        heapq.heappush(free_at, end)
        # What a supervisor sees at the arrival: earlier tickets not yet answered (in work or waiting).
        ahead = sum(1 for index in range(max(0, len(ends) - 400), len(ends)) if ends[index] > clock)
        outcomes.append((fc.Situation(remaining=target, ahead=ahead, servers=agents), end - clock > target))
        starts.append(start)
        ends.append(end)
        handling.append(("billing", work))
    return handling, outcomes


@pytest.mark.parametrize(("agents", "load", "sigma"), [(1, 0.8, 0.8), (2, 0.8, 0.6), (4, 0.9, 0.8), (8, 0.85, 1.0), (12, 0.92, 0.9)])
def test_forecast_is_calibrated_on_a_simulated_team(agents: int, load: float, sigma: float) -> None:
    mean, target = 900.0, 3600.0
    history, _ = _simulate(seed=1, agents=agents, load=load, tickets=4000, mean=mean, sigma=sigma, target=target)
    table = fc.fit_handling(history)  # fitted on an earlier stretch, scored on a later one (another seed)
    _, later = _simulate(seed=2, agents=agents, load=load, tickets=12000, mean=mean, sigma=sigma, target=target)
    later = later[1000:]  # past the warm-up of an empty desk
    pairs = [(fc.forecast(situation, table).probability, breached) for situation, breached in later]
    base_rate = sum(1 for _, breached in pairs if breached) / len(pairs)
    assert 0.02 < base_rate < 0.6, base_rate  # the desk breaches sometimes, not always
    # Skill: better than always saying the base rate, by a wide margin.
    # (measured: 0.30–0.63 of the base rate's Brier score over these five desks)
    assert fc.brier(pairs) < 0.7 * fc.brier([(base_rate, breached) for _, breached in pairs])
    # Reliable: in every well-filled decile the predicted rate is close to the observed one
    # (measured: within 0.03–0.11; the gamma is an approximation for lognormal handling).
    for row in fc.reliability(pairs):
        if row["count"] >= 300:
            assert abs(row["predicted"] - row["observed"]) <= 0.12, row


def test_reliability_table_groups_by_decile() -> None:
    table = fc.reliability([(0.05, False), (0.07, True), (0.95, True), (1.0, True)])
    assert [(row["from"], row["count"], row["observed"]) for row in table] == [(0.0, 2, 0.5), (0.9, 2, 1.0)]
    assert fc.brier([(1.0, True), (0.0, False)]) == 0.0


def _mmc_tail(*, departures: int, servers: int, rate: float, target: float) -> float:
    """Exact P(response > target) in an M/M/c queue: ``departures`` exponential steps at ``servers × rate``,
    then the ticket's own exponential answer at ``rate`` (the integral done numerically, 20,000 steps)."""
    fast, slow, n = servers * rate, rate, departures

    def erlang_density(s: float) -> float:
        return math.exp(n * math.log(fast) + (n - 1) * math.log(s) - fast * s - math.lgamma(n)) if s > 0 else 0.0

    tail = fc.regularized_upper_gamma(n, fast * target)  # still waiting at the target
    steps = 20_000
    width = target / steps
    tail += sum(erlang_density((i + 0.5) * width) * math.exp(-slow * (target - (i + 0.5) * width)) * width for i in range(steps))
    return tail


@pytest.mark.parametrize(("ahead", "servers"), [(0, 1), (3, 1), (9, 1), (4, 3), (8, 3), (14, 3), (20, 6), (40, 12)])
def test_an_mmc_queue_gets_its_exact_breach_probability(ahead: int, servers: int) -> None:
    # Exponential handling (mean 10 min) and first come, first served: the breach probability is known exactly.
    # With one agent the gamma *is* the answer (a sum of exponentials of one rate); with several, close to it.
    mean, target = 600.0, 3600.0
    table = fc.HandlingTable(overall=fc.Handling(mean, mean**2, 1000))
    got = fc.forecast(fc.Situation(remaining=target, ahead=ahead, servers=servers), table).probability
    queued = max(ahead - servers + 1, 0)
    exact = math.exp(-target / mean) if queued == 0 else _mmc_tail(departures=queued, servers=servers, rate=1 / mean, target=target)
    assert got == pytest.approx(exact, abs=0.005 if servers == 1 else 0.04), (got, exact)


def test_agents_coming_on_later_are_counted_when_they_come() -> None:
    # Nobody on duty for an hour, then three agents (exponential, 10 min): the ticket fifth in line waits the hour,
    # then 5 - 3 + 1 = 3 departures at 3 × the rate, then its own answer; known exactly.
    mean = 600.0
    table = fc.HandlingTable(overall=fc.Handling(mean, mean**2, 1000))
    for until_due in (4500.0, 5400.0, 7200.0):
        situation = fc.Situation(remaining=until_due, ahead=5, servers=0, capacity=((0.0, 0.0), (3600.0, 3.0)), until_due=until_due)
        result = fc.forecast(situation, table)
        exact = _mmc_tail(departures=3, servers=3, rate=1 / mean, target=until_due - 3600.0)
        assert result.probability == pytest.approx(exact, abs=0.06), (until_due, result.probability, exact)
        assert result.factors[0] == "no agent on duty for 60 min"
    # Their shift ends in 10 min: the 10 departures needed before this one starts are not done by then.
    gone = fc.Situation(remaining=5400, ahead=12, servers=3, capacity=((0.0, 3.0), (600.0, 0.0)), until_due=5400)
    assert fc.forecast(gone, table).probability > 0.99
    never = fc.Situation(remaining=5400, ahead=0, servers=0, capacity=((0.0, 0.0), (7200.0, 2.0)), until_due=5400)
    result = fc.forecast(never, table)
    assert result.probability == 1.0 and result.factors[0] == "no agent on duty before the target is due"


def test_a_constant_schedule_agrees_with_the_plain_queue() -> None:
    table = fc.HandlingTable(overall=fc.Handling(600.0, 500.0**2, 100))
    for ahead, servers, remaining in [(6, 3, 3600.0), (12, 3, 3600.0), (2, 4, 900.0), (30, 8, 7200.0)]:
        plain = fc.forecast(fc.Situation(remaining=remaining, ahead=ahead, servers=servers), table).probability
        scheduled = fc.Situation(remaining=remaining, ahead=ahead, servers=servers, capacity=((0.0, float(servers)),), until_due=remaining)
        assert fc.forecast(scheduled, table).probability == pytest.approx(plain, abs=0.05)


def _simulate_shifts(*, seed: int, agents: int, days: int, mean: float, sigma: float, target: float, load: float = 0.9):
    """A FIFO team on one day shift (08–16 of each 24 h) with arrivals mostly by day (``agents`` × 0.85 of the shift's
    capacity); an agent finishes what they started after the shift. Returns (handling samples, (situation, breached))."""
    rng = random.Random(seed)
    mu = math.log(mean) - sigma**2 / 2
    day, opens, closes = 86400.0, 8 * 3600.0, 16 * 3600.0
    day_rate = load * agents / mean * (closes - opens) / (closes - opens + 0.25 * (day - closes + opens))
    night_rate = 0.25 * day_rate

    def on_duty_from(t: float) -> float:
        base, into = divmod(t, day)
        if into < opens:
            return base * day + opens
        if into >= closes:
            return (base + 1) * day + opens
        return t

    def schedule(t: float, horizon: float) -> tuple[tuple[float, float], ...]:
        pieces, base = [], (t // day) * day
        pieces.append((0.0, float(agents) if on_duty_from(t) == t else 0.0))
        while base < t + horizon:
            for edge, level in ((base + opens, agents), (base + closes, 0)):
                if t < edge < t + horizon:
                    pieces.append((edge - t, float(level)))
            base += day
        return tuple(pieces)

    clock, free_at = 0.0, [0.0] * agents
    ends: list[float] = []
    handling: list[tuple[str, float]] = []
    outcomes: list[tuple[fc.Situation, bool]] = []
    while clock < days * day:
        into = clock % day
        clock += rng.expovariate(day_rate if opens <= into < closes else night_rate)
        work = rng.lognormvariate(mu, sigma)
        agent = min(range(agents), key=lambda a: free_at[a])
        start = on_duty_from(max(clock, free_at[agent]))
        free_at[agent] = start + work
        ahead = sum(1 for end in ends[-600:] if end > clock)
        situation = fc.Situation(
            remaining=target, ahead=ahead, servers=agents if on_duty_from(clock) == clock else 0,
            capacity=schedule(clock, target), until_due=target,
        )  # fmt: skip
        outcomes.append((situation, start + work - clock > target))
        ends.append(start + work)
        handling.append(("billing", work))
    return handling, outcomes


@pytest.mark.parametrize(("agents", "sigma", "hours", "load"), [(2, 0.6, 3, 0.9), (5, 0.8, 3, 0.95), (3, 0.8, 4, 0.97)])
def test_forecast_with_shifts_is_calibrated_on_a_simulated_day_and_night(agents: int, sigma: float, hours: int, load: float) -> None:
    # Tickets that arrive at night wait for the morning shift and the day's queue: the plain queue (the servers
    # of now, for ever) cannot know that; the schedule does. Fitted on one run, scored on another.
    mean, target = 900.0, hours * 3600.0
    history, _ = _simulate_shifts(seed=3, agents=agents, days=20, mean=mean, sigma=sigma, target=target, load=load)
    table = fc.fit_handling(history)
    _, later = _simulate_shifts(seed=4, agents=agents, days=40, mean=mean, sigma=sigma, target=target, load=load)
    later = later[200:]
    pairs = [(fc.forecast(situation, table).probability, breached) for situation, breached in later]
    plain = [
        (fc.forecast(fc.Situation(remaining=s.remaining, ahead=s.ahead, servers=s.servers, offline_for=3600.0), table).probability, b)
        for s, b in later
    ]
    base_rate = sum(1 for _, breached in pairs if breached) / len(pairs)
    assert 0.2 < base_rate < 0.6, base_rate
    # measured: 0.07–0.11 of the base rate's Brier score, 0.11–0.36 of the plain queue's
    assert fc.brier(pairs) < 0.2 * fc.brier([(base_rate, breached) for _, breached in pairs])
    assert fc.brier(pairs) < 0.75 * fc.brier(plain)
    for row in fc.reliability(pairs):
        if row["count"] >= 100:  # measured: within 0.18 (the gamma around a shift change is rough)
            assert abs(row["predicted"] - row["observed"]) <= 0.2, row


def test_the_calibration_layer_brings_a_misjudged_queue_back_to_the_observed_rates() -> None:
    """Known answer: the handling times were fitted on a 40 % slower stretch, so the queue overstates every risk;
    the layer, fitted on one run's forecasts and outcomes, gives the observed rates on another run."""
    mean, target, agents, load = 900.0, 3600.0, 4, 0.9
    slower, _ = _simulate(seed=1, agents=agents, load=load * 0.7, tickets=4000, mean=mean * 1.4, sigma=0.8, target=target)
    table = fc.fit_handling(slower)

    def forecasts(seed: int) -> list[tuple[fc.Situation, fc.Forecast, bool]]:
        _, outcomes = _simulate(seed=seed, agents=agents, load=load, tickets=12000, mean=mean, sigma=0.8, target=target)
        return [(situation, fc.forecast(situation, table), breached) for situation, breached in outcomes[1000:]]

    history, later = forecasts(2), forecasts(3)
    calibration = fc.fit_calibration((result.features, breached) for _, result, breached in history)
    assert calibration.fitted and calibration.samples == len(history)
    queue = [(result.probability, breached) for _, result, breached in later]
    calibrated = [(fc.forecast(situation, table, calibration=calibration).probability, breached) for situation, _, breached in later]
    # The queue alone is far off somewhere (this is what the layer is for) ...
    assert max(abs(row["predicted"] - row["observed"]) for row in fc.reliability(queue) if row["count"] >= 300) > 0.15
    # ... and the layer is close in every well-filled decile, with a clearly lower Brier score.
    for row in fc.reliability(calibrated):
        if row["count"] >= 300:
            assert abs(row["predicted"] - row["observed"]) <= 0.06, row
    assert fc.brier(calibrated) < 0.85 * fc.brier(queue)


def test_without_enough_history_the_layer_is_the_identity() -> None:
    situation = fc.Situation(remaining=1800, ahead=6, servers=2)
    table = fc.HandlingTable(overall=fc.Handling(600.0, 600.0**2, 100))
    alone = fc.forecast(situation, table)
    few = [(alone.features, index % 2 == 0) for index in range(fc.MIN_SAMPLES - 1)]
    assert not fc.fit_calibration(few).fitted
    rare = [(alone.features, index < fc.MIN_BREACHES - 1) for index in range(fc.MIN_SAMPLES * 2)]
    assert not fc.fit_calibration(rare).fitted  # too few breaches to learn from
    same = fc.forecast(situation, table, calibration=fc.fit_calibration(few))
    assert same.probability == alone.probability == alone.queue_probability
    assert fc.Calibration().apply(alone.features) == pytest.approx(alone.probability, abs=1e-4)
    assert not any("calibrated" in factor for factor in same.factors)


def test_a_fitted_layer_says_so_and_keeps_the_queue_probability_and_an_overdue_ticket_certain() -> None:
    table = fc.HandlingTable(overall=fc.Handling(600.0, 600.0**2, 100))
    halving = fc.Calibration(weights=(1.0, 0, 0, 0, 0, 0), intercept=math.log(0.5), samples=5000, breaches=400)
    situation = fc.Situation(remaining=1800, ahead=6, servers=2)
    alone = fc.forecast(situation, table)
    result = fc.forecast(situation, table, calibration=halving)
    odds = alone.probability / (1 - alone.probability) / 2
    assert result.probability == pytest.approx(odds / (1 + odds), abs=1e-3)
    assert result.queue_probability == alone.probability
    assert result.factors[-1] == f"calibrated on 5,000 past forecasts (queue alone: {alone.probability:.0%})"
    overdue = fc.forecast(fc.Situation(remaining=0, ahead=6, servers=2), table, calibration=halving)
    assert overdue.probability == 1.0
    assert fc.Calibration.from_dict(halving.as_dict()) == halving
    assert not fc.Calibration.from_dict({"weights": [1.0, 2.0]}).fitted  # a stored layer of another shape is not used
