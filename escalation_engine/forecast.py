"""Breach forecast: how likely an open ticket's next response target is missed, and why.

Pure Python (no Django), so the live sweep, the benchmark and the tests run the same
arithmetic. Times are **business seconds** (the SLA clock's unit: nights and weekends do
not count, and the team's agents work in the same hours).

A queueing estimate, not a trained model, on purpose: the quantities that decide a
response breach are visible *now* (how many tickets wait ahead of this one in the team's
order, how many agents are online, how fast they answer this kind of ticket), they change
minute by minute, and a model trained on history would have to learn them again from
far fewer examples than a desk has. History enters through the handling times (mean and
spread per category, from `fit_handling`).

The model. The ticket's team answers with ``c`` agents online, each taking a ticket's first
(or next) response in a time with mean ``m`` and variance ``v`` (per category). A ticket
with ``k`` tickets ahead of it in the team's order starts being worked once ``k - c + 1``
of the tickets in work have been answered (none if an agent is free), then takes its own
handling time. Tickets that arrive later but sort ahead (higher priority, less slack) take
part of the team's rate, ``λ_ahead``; what is left is the rate at which the queue ahead
drains. The wait is the sum of those pieces; its mean and variance give a gamma
distribution (moment-matched: right-skewed, never negative, exact for exponential
handling), and the breach probability is the chance that the wait exceeds the business
time left on the clock. An assigned ticket waits for its agent alone (``c = 1``, ``k`` =
that agent's unanswered tickets ahead of it). With no agent online the team cannot drain
its queue: the wait is at least the time until the next agent comes on, handed in as
``offline_for``.

Servers that come and go. When the caller knows the shifts, it passes ``capacity`` (servers
from each instant on) and ``until_due`` (wall seconds until the due instant, so nights and
weekends need no special case: the queue simply does not drain while nobody is on duty) and,
if it knows them, the newcomers that will sort ahead as a rate schedule (``arrivals_ahead``).
The work is then counted in server-seconds: ``n`` departures from the queue ahead are done by
``t`` once the schedule's server-seconds by ``t`` exceed the sum of ``n`` handling times, so a
shift ending before the target, a handover or the morning shift after a night all enter the
probability. The servers on duty when the first one comes take the tickets at the front at once.

The tickets ahead are of every category the team answers, so the queue drains at the
team-wide handling time (``HandlingTable.overall``); the ticket's own category decides only
its own answer.

`forecast` returns the probability, the expected wait and the factors in words, the way
escalation reasons are shown.

Calibrated on the desk's own history. The queue arithmetic ranks tickets well but its
probabilities are not the desk's breach rates (measured on the known-truth desk: over-confident
above 0.3; chats need two free units on one agent, backlogs drain in bursts). A small logistic
layer (`Calibration`) maps the queue's probability and what the desk knows about the ticket
(`FEATURES`: business hours left, tickets ahead, assigned or queued, anyone on duty) to the
breach rate that forecasts like it actually had; `fit_calibration` fits it on past forecasts
whose outcome is known. Until a desk has enough of them (`MIN_SAMPLES`, `MIN_BREACHES`) the
layer is the identity and the queue's probability is shown as it is.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Fewer observations than this for a category: the team-wide handling time is used instead.
MIN_OBSERVATIONS = 20
# A category or team with no history at all: an agent answers in about 20 business minutes.
DEFAULT_MEAN = 20 * 60.0
DEFAULT_CV = 1.0


@dataclass(frozen=True)
class Handling:
    """Handling time of one response (business seconds): mean and variance."""

    mean: float
    variance: float
    observations: int = 0

    @property
    def cv(self) -> float:
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0


DEFAULT_HANDLING = Handling(DEFAULT_MEAN, (DEFAULT_CV * DEFAULT_MEAN) ** 2, 0)


@dataclass(frozen=True)
class HandlingTable:
    """Per-category handling times with a team-wide fallback."""

    by_category: Mapping[str, Handling] = field(default_factory=dict)
    overall: Handling = DEFAULT_HANDLING

    def for_category(self, category: str) -> Handling:
        found = self.by_category.get(category)
        if found is not None and found.observations >= MIN_OBSERVATIONS:
            return found
        return self.overall


def _moments(samples: list[float]) -> Handling:
    count = len(samples)
    mean = sum(samples) / count
    variance = sum((value - mean) ** 2 for value in samples) / max(count - 1, 1)
    return Handling(mean=max(mean, 1.0), variance=max(variance, 1.0), observations=count)


def fit_handling(observations: Iterable[tuple[str, float]]) -> HandlingTable:
    """Mean and variance of handling time per category from ``(category, seconds)`` pairs.

    The pairs are what history records: for each answered ticket, the business time an agent
    spent between taking it (or its turn coming) and answering. Negative or zero durations
    (clock skew, imports) are ignored.
    """
    per_category: dict[str, list[float]] = {}
    everything: list[float] = []
    for category, seconds in observations:
        if seconds is None or seconds <= 0 or not math.isfinite(seconds):
            continue
        per_category.setdefault(category, []).append(float(seconds))
        everything.append(float(seconds))
    if not everything:
        return HandlingTable()
    return HandlingTable(
        by_category={name: _moments(values) for name, values in per_category.items()},
        overall=_moments(everything),
    )


@dataclass(frozen=True)
class Situation:
    """What the forecast needs to know about one ticket, now."""

    remaining: float  # business seconds until the target is due (≤ 0: already due)
    ahead: int  # tickets ahead of it in the order that will serve it (team queue or its agent's)
    servers: int  # agents who will serve it: online agents of the team, or 1 for an assigned ticket
    category: str = ""
    arrivals_ahead_per_second: float = 0.0  # rate of new tickets that will sort ahead of this one
    offline_for: float = 0.0  # business seconds until an agent comes online (servers == 0)
    # The servers to come, when the caller knows them (shifts): ``(seconds from now, servers from then on)``,
    # in wall seconds, the first at 0; with it the wait is compared with ``until_due`` (wall seconds until the
    # due instant) instead of ``remaining``, and ``servers`` / ``offline_for`` are read from the schedule.
    capacity: tuple[tuple[float, float], ...] = ()
    until_due: float | None = None
    # With ``capacity``: the rate of tickets that will sort ahead, as ``(seconds from now, per second from then
    # on)`` (the desk's arrivals follow the hour of the week); empty: ``arrivals_ahead_per_second`` throughout.
    arrivals_ahead: tuple[tuple[float, float], ...] = ()
    assigned: bool = False  # waits for its own agent (``ahead``: that agent's tickets before it), not the team's queue


@dataclass(frozen=True)
class Forecast:
    probability: float  # that the target is missed (calibrated when a calibration is given)
    expected_wait: float  # business seconds until the response, mean
    remaining: float
    factors: tuple[str, ...]
    queue_probability: float | None = None  # the queue arithmetic's own, before calibration
    features: tuple[float, ...] = ()  # what the calibration read (``FEATURES``), kept to learn from the outcome

    def will_breach_within(self, lead_time: float, probability: float) -> bool:
        """True when the target falls due within ``lead_time`` and is missed with ≥ ``probability``."""
        return self.remaining <= lead_time and self.probability >= probability


def forecast(
    situation: Situation, handling: HandlingTable, *, own: HandlingTable | None = None, calibration: Calibration | None = None
) -> Forecast:
    """``handling``: the time one server is taken per ticket (the queue drains at ``servers / mean``);
    ``own``: the ticket's own work until the response once its turn comes (``handling`` when not given —
    one agent answering one ticket at a time; a desk whose agents hold several tickets at once passes
    the slot time as ``handling`` and the first-response work as ``own``); ``calibration``: the desk's
    fitted layer (the queue's probability as it is when not given)."""
    result = _queue_forecast(situation, handling, own=own)
    if situation.remaining <= 0:
        return result
    found = features(situation, result.probability)
    if calibration is None or not calibration.fitted:
        return replace(result, queue_probability=result.probability, features=found)
    calibrated = calibration.apply(found)
    factors = (*result.factors, f"calibrated on {calibration.samples:,} past forecasts (queue alone: {result.probability:.0%})")
    return replace(result, probability=round(calibrated, 4), queue_probability=result.probability, features=found, factors=factors)


def _queue_forecast(situation: Situation, handling: HandlingTable, *, own: HandlingTable | None = None) -> Forecast:
    if situation.remaining <= 0:
        return Forecast(1.0, 0.0, situation.remaining, ("the target is already due",))
    work = handling.overall  # the tickets ahead are of every category the team answers
    mine = (own or handling).for_category(situation.category)
    if situation.capacity:
        return _forecast_on_schedule(situation, work, mine)
    factors: list[str] = []
    servers = max(situation.servers, 0)
    mean = mine.mean
    variance = mine.variance
    if servers == 0:
        mean += situation.offline_for
        variance += situation.offline_for**2  # when someone comes back is itself uncertain (memoryless)
        factors.append("no agent online" + (f" for {_minutes(situation.offline_for)}" if situation.offline_for else ""))
        servers = 1
    queued = max(situation.ahead - servers + 1, 0)
    if queued:
        service_rate = servers / work.mean  # responses per business second, the whole team
        drain_rate = service_rate - max(situation.arrivals_ahead_per_second, 0.0)
        if drain_rate <= service_rate * 0.02:
            # Tickets that sort ahead arrive as fast as the team answers: this one is not reached.
            return Forecast(
                1.0, math.inf, situation.remaining, (*factors, f"{situation.ahead} ahead and the queue is growing", *_speed(work))
            )
        # Each of the ``queued`` departures ahead is one handling time spread over the servers;
        # arrivals that jump the queue stretch every step by service_rate / drain_rate.
        step_mean = 1.0 / drain_rate
        # Departures from several agents at once merge into a nearly memoryless stream: the
        # spread of one step tends from the handling time's own (one agent) to exponential.
        step_variance = (1.0 + (work.cv**2 - 1.0) / servers) * step_mean**2
        mean += queued * step_mean
        variance += queued * step_variance
        factors.append(f"{situation.ahead} ahead for {situation.servers} agent{'s' if situation.servers != 1 else ''}")
    elif situation.ahead:
        factors.append(f"{situation.ahead} ahead, an agent free")
    factors.extend(_speed(work))
    probability = gamma_exceedance(situation.remaining, mean, variance)
    factors.append(f"{_minutes(situation.remaining)} left on the clock")
    return Forecast(round(probability, 4), mean, situation.remaining, tuple(factors))


class Schedule:
    """Servers over the time ahead, piecewise constant: the server-seconds of work done by ``t`` and back."""

    def __init__(self, pieces: Iterable[tuple[float, float]]) -> None:
        steps = sorted((max(start, 0.0), max(servers, 0.0)) for start, servers in pieces)
        if not steps or steps[0][0] > 0:
            steps.insert(0, (0.0, 0.0))
        self.starts = [start for start, _ in steps]
        self.servers = [servers for _, servers in steps]
        self.done = [0.0]  # server-seconds by each piece's start
        for index in range(1, len(steps)):
            self.done.append(self.done[-1] + self.servers[index - 1] * (self.starts[index] - self.starts[index - 1]))

    def _piece(self, t: float) -> int:
        return max(bisect.bisect_right(self.starts, t) - 1, 0)

    def at(self, t: float) -> float:
        """Servers on duty at ``t`` (the last piece goes on for ever)."""
        return self.servers[self._piece(t)]

    def work_by(self, t: float) -> float:
        if t <= 0:
            return 0.0
        index = self._piece(t)
        return self.done[index] + self.servers[index] * (t - self.starts[index])

    def first_on(self) -> float:
        """When the first server is on duty (inf: never)."""
        return next((start for start, servers in zip(self.starts, self.servers, strict=True) if servers > 0), math.inf)

    def most_within(self, t: float) -> float:
        return max(servers for start, servers in zip(self.starts, self.servers, strict=True) if start < max(t, 1e-9))


def _forecast_on_schedule(situation: Situation, work: Handling, mine: Handling) -> Forecast:
    """The same queue with servers that come and go (shifts), on the wall clock up to the due instant.

    Work is counted in server-seconds: a departure from the queue ahead costs one handling time of
    one server, so ``n`` departures are done by ``t`` when the schedule's server-seconds by ``t``
    exceed the sum of ``n`` handling times (gamma, moment-matched as above). The servers on duty
    when the first one comes take the tickets at the front at once; tickets that will sort ahead
    add departures at their arrival rate.
    """
    schedule = Schedule(situation.capacity)
    horizon = situation.until_due if situation.until_due is not None else situation.remaining
    factors: list[str] = []
    servers_now = schedule.at(0.0)
    start = schedule.first_on()
    if horizon <= 0:
        return Forecast(1.0, 0.0, situation.remaining, ("the target is already due",))
    if start >= horizon:
        return Forecast(1.0, math.inf, situation.remaining, ("no agent on duty before the target is due", *_speed(work)))
    if servers_now <= 0:
        factors.append(f"no agent on duty for {_minutes(start)}")
    first_servers = schedule.at(start)
    queued = max(situation.ahead - max(int(first_servers), 1) + 1, 0)
    average = max(1.0, schedule.work_by(horizon) / max(horizon - start, 1.0))
    arrivals = Schedule(situation.arrivals_ahead or ((0.0, max(situation.arrivals_ahead_per_second, 0.0)),))
    step_variance = (1.0 + (work.cv**2 - 1.0) / average) * work.mean**2
    if queued:
        shown = round(first_servers)
        factors.append(f"{situation.ahead} ahead for {shown} agent{'s' if shown != 1 else ''}")
    elif situation.ahead:
        factors.append(f"{situation.ahead} ahead, an agent free")
    later = schedule.most_within(horizon)
    if later > max(servers_now, first_servers):
        factors.append(f"up to {round(later)} on duty before it is due")
    factors.extend(_speed(work))
    jumpers = arrivals.work_by(horizon - mine.mean) if queued else 0.0
    needed = queued + jumpers
    if needed <= 0:
        probability = gamma_exceedance(horizon - start, mine.mean, mine.variance)
        wait = start + mine.mean
    else:
        available = schedule.work_by(horizon - mine.mean)
        # The departures needed vary with the handling times and, Poisson, with the number of newcomers ahead.
        variance = needed * step_variance + jumpers * work.mean**2 + mine.variance * average**2
        probability = gamma_exceedance(available, needed * work.mean, variance)
        wait = _time_for(schedule, arrivals, queued, work.mean) + mine.mean
    factors.append(f"{_minutes(situation.remaining)} left on the clock")
    return Forecast(round(probability, 4), wait, situation.remaining, tuple(factors))


def _time_for(schedule: Schedule, arrivals: Schedule, queued: int, mean: float) -> float:
    """When the schedule has done, on average, the ``queued`` departures and the newcomers ahead by then (inf: never)."""
    low, high = 0.0, 60 * 86400.0

    def behind(t: float) -> float:
        return schedule.work_by(t) - (queued + arrivals.work_by(t)) * mean

    if behind(high) < 0:
        return math.inf
    for _ in range(60):
        middle = (low + high) / 2
        if behind(middle) >= 0:
            high = middle
        else:
            low = middle
    return high


def _speed(work: Handling) -> tuple[str, ...]:
    return (f"answers take {_minutes(work.mean)} on average",)


def _minutes(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.1f} h"
    return f"{max(1, round(seconds / 60))} min"


def gamma_exceedance(x: float, mean: float, variance: float) -> float:
    """P(W > x) for a gamma-distributed W with the given mean and variance."""
    if x <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    variance = max(variance, 1e-9)
    shape = mean * mean / variance
    scale = variance / mean
    return regularized_upper_gamma(shape, x / scale)


def regularized_upper_gamma(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a): series below a + 1, Lentz's continued fraction above."""
    if x <= 0:
        return 1.0
    if a <= 0:
        return 0.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        denominator = a
        for _ in range(10_000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-14:
                break
        return min(1.0, max(0.0, 1.0 - total * math.exp(log_prefix)))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for step in range(1, 10_000):
        an = -step * (step - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-14:
            break
    return min(1.0, max(0.0, math.exp(log_prefix) * h))


# What the calibration reads, in this order (``features``).
FEATURES = ("queue_logit", "hours_left", "log_ahead", "assigned", "on_duty", "queue_logit_on_duty")
# A desk needs this many past forecasts with a known outcome, this many of them breaches, before its layer is fitted.
MIN_SAMPLES = 2000
MIN_BREACHES = 30
_CLIP = 1e-4


def _logit(probability: float) -> float:
    clipped = min(max(probability, _CLIP), 1 - _CLIP)
    return math.log(clipped / (1 - clipped))


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1 / (1 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1 + exp)


def features(situation: Situation, probability: float) -> tuple[float, ...]:
    """``FEATURES`` of one forecast: the queue's probability (as a logit) and what the desk knows about the ticket."""
    on_duty = 1.0 if (situation.capacity[0][1] > 0 if situation.capacity else situation.servers > 0) else 0.0
    queue = _logit(probability)
    return (
        queue,
        max(situation.remaining, 0.0) / 3600,
        math.log1p(max(situation.ahead, 0)),
        1.0 if situation.assigned else 0.0,
        on_duty,
        queue * on_duty,
    )


@dataclass(frozen=True)
class Calibration:
    """Logistic layer over the queue's probability: P(breach) = σ(intercept + weights · features).

    The default (weight 1 on the queue's logit, 0 elsewhere) is the identity: a desk with no
    history sees the queue arithmetic's probability."""

    weights: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    intercept: float = 0.0
    samples: int = 0
    breaches: int = 0

    @property
    def fitted(self) -> bool:
        return self.samples > 0

    def apply(self, found: tuple[float, ...]) -> float:
        return _sigmoid(self.intercept + sum(w * x for w, x in zip(self.weights, found, strict=True)))

    def as_dict(self) -> dict[str, object]:
        return {"weights": list(self.weights), "intercept": self.intercept, "samples": self.samples, "breaches": self.breaches}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        weights = tuple(float(w) for w in data.get("weights", ()))
        if len(weights) != len(FEATURES):
            return cls()
        return cls(
            weights=weights,
            intercept=float(data.get("intercept", 0.0)),
            samples=int(data.get("samples", 0)),
            breaches=int(data.get("breaches", 0)),
        )


def fit_calibration(samples: Iterable[tuple[tuple[float, ...], bool]]) -> Calibration:
    """Fit the layer on past forecasts ``(features, breached)``; the identity when there are too few
    (``MIN_SAMPLES``) or too few breaches (``MIN_BREACHES``), or too few on-time answers to tell apart."""
    rows = [(tuple(found), bool(breached)) for found, breached in samples if len(found) == len(FEATURES)]
    breaches = sum(1 for _, breached in rows if breached)
    if len(rows) < MIN_SAMPLES or breaches < MIN_BREACHES or len(rows) - breaches < MIN_BREACHES:
        return Calibration()
    from sklearn.linear_model import LogisticRegression  # only where a layer is fitted (a beat task, the benchmark)

    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit([found for found, _ in rows], [breached for _, breached in rows])
    return Calibration(
        weights=tuple(round(float(w), 6) for w in model.coef_[0]),
        intercept=round(float(model.intercept_[0]), 6),
        samples=len(rows),
        breaches=breaches,
    )


def brier(pairs: Iterable[tuple[float, bool]]) -> float:
    """Mean squared error of predicted probabilities against what happened."""
    values = [(probability - (1.0 if happened else 0.0)) ** 2 for probability, happened in pairs]
    return sum(values) / len(values) if values else 0.0


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = 10) -> list[dict[str, float]]:
    """Predicted vs observed breach rate per probability decile (bins with no forecast are left out)."""
    grouped: dict[int, list[tuple[float, bool]]] = {}
    for probability, happened in pairs:
        grouped.setdefault(min(int(probability * bins), bins - 1), []).append((probability, happened))
    table = []
    for index in sorted(grouped):
        rows = grouped[index]
        table.append(
            {
                "from": index / bins,
                "to": (index + 1) / bins,
                "count": len(rows),
                "predicted": round(sum(p for p, _ in rows) / len(rows), 4),
                "observed": round(sum(1 for _, happened in rows if happened) / len(rows), 4),
            }
        )
    return table
