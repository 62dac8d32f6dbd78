"""The escalation sweep: score the tickets whose check is due, escalate, schedule the next check.

Steps (like a health-check loop):

1. Read a batch of tickets with ``next_check_at <= now``, oldest first, locked with
   ``select_for_update(skip_locked=True)`` on PostgreSQL so parallel sweepers take
   disjoint batches.
2. For each: refresh the SLA status, compute the signals and the weighted score.
3. Priority or immediate → the first matching ``EscalationRule`` picks the tier and the
   actions; the ``Escalation`` row is created inside a savepoint and the unique "one open
   escalation per ticket and tier" constraint makes a second run a no-op.
4. Set ``next_check_at``: the next SLA threshold, or a periodic re-check; closed tickets
   drop out. A ticket that raises is pushed 5 minutes forward so one bad row cannot stall
   the sweep.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from agents import services as routing
from escalation_engine import events, forecasting, notifications, satisfaction, scoring, sla
from escalation_engine.models import Escalation, EscalationRule, EscalationSettings
from foundation import config_cache
from tickets.models import OPEN_STATUSES, AuthorKind, Interaction, Priority, Ticket, TicketEvent, TicketStatus, lock_ticket

logger = logging.getLogger(__name__)

ERROR_BACKOFF = timedelta(minutes=5)


@dataclass
class SweepResult:
    read: int = 0
    escalated: int = 0
    failed: int = 0
    batches: int = 0
    escalation_ids: list[int] = field(default_factory=list)


Message = tuple[str, float | None, datetime]


def messages_by_ticket(ticket_ids: list[int]) -> dict[int, list[Message]]:
    """Public messages of many tickets in one query, oldest first."""
    grouped: dict[int, list[Message]] = {ticket_id: [] for ticket_id in ticket_ids}
    rows = (
        Interaction.objects.filter(ticket_id__in=ticket_ids, is_internal=False)
        .order_by("ticket_id", "created_at")
        .values_list("ticket_id", "author_kind", "sentiment_score", "created_at")
    )
    for ticket_id, kind, score, at in rows:
        grouped[ticket_id].append((kind, score, at))
    return grouped


def ticket_signals(
    ticket: Ticket, *, now: datetime, messages: list[Message] | None = None, forecast: float | None = None
) -> dict[str, float]:
    """Every signal of one ticket in [0, 1]; pass ``messages`` and ``forecast`` (the firing
    forecast's probability, 0 when it does not fire) to avoid queries per ticket."""
    if messages is None:
        messages = messages_by_ticket([ticket.pk])[ticket.pk]
    if forecast is None:
        forecast = forecasting.firing([ticket.pk], now=now).get(ticket.pk, 0.0) if ticket.pk else 0.0
    compounds = [score for kind, score, _ in messages if kind == AuthorKind.CUSTOMER and score is not None][-10:]
    agent_replies = [at for kind, _, at in messages if kind == AuthorKind.AGENT]
    silence = (now - agent_replies[-1]).total_seconds() / 3600 if agent_replies else None
    return {
        "sla": scoring.sla_signal(ticket.sla_status),
        "sentiment_trend": scoring.sentiment_trend_signal(compounds),
        "frustration": scoring.frustration_signal(ticket.frustration_score),
        "legal": float(ticket.legal_score or 0.0),
        "churn": float(ticket.churn_score or 0.0),
        "repeat_contacts": scoring.repeat_signal(ticket.repeat_count),
        "customer_value": scoring.customer_value_signal(ticket.customer.tier, float(ticket.customer.lifetime_value)),
        "interactions": scoring.interactions_signal(len(messages)),
        "agent_silence": scoring.agent_silence_signal(silence),
        # The incident itself carries the escalation; its children do not escalate for it on their own.
        "incident": 1.0 if ticket.is_incident else 0.0,
        "requested": 1.0 if ticket.escalation_requested else 0.0,
        "p0": 1.0 if ticket.priority == 0 and ticket.incident_id is None else 0.0,  # an incident child: the parent escalates
        # Triage's severity model: the customer's words read like mail a supervisor should see (an incident's
        # child speaks of the incident, which escalates for all of them).
        "wording": scoring.wording_signal(ticket.escalation_lean) if ticket.incident_id is None else 0.0,
        # The breach forecast says the next response target is missed soon (escalation_engine.forecasting).
        "forecast": forecast,
    }


def assess(
    ticket: Ticket, *, now: datetime, config: EscalationSettings, messages: list[Message] | None = None, forecast: float | None = None
) -> scoring.Assessment:
    """The weighted score and recommendation; a ticket at risk of breaching (the 75 % rule) or
    forecast to breach soon is at least *priority* (escalate before the breach)."""
    if not config.forecast_escalates:
        forecast = 0.0
    signals = ticket_signals(ticket, now=now, messages=messages, forecast=forecast)
    assessment = scoring.combine(signals, config.weights or None)
    recommendation = scoring.recommend(assessment.score, immediate=config.immediate_threshold, priority=config.priority_threshold)
    if recommendation == "monitor" and config.at_risk_escalates and ticket.sla_status in ("at_risk", "breached"):
        recommendation = "priority"
    if recommendation == "monitor" and signals["forecast"] > 0:
        recommendation = "priority"
    return scoring.Assessment(assessment.score, recommendation, assessment.signals, assessment.contributions)


@dataclass(frozen=True)
class Gate:
    """Whether a new escalation may open, and if it follows a decided one, which and why."""

    allowed: bool
    previous: Escalation | None = None
    reasons: tuple[str, ...] = ()


def _decision(escalation: Escalation, *, now: datetime, config: EscalationSettings) -> scoring.Decision:
    quiet: frozenset[str] = frozenset()
    cooldown = timedelta(minutes=config.dismissal_cooldown_minutes)
    decided_at = escalation.decided_at or escalation.created_at
    if escalation.status == Escalation.Status.DISMISSED and now < decided_at + cooldown:
        quiet = frozenset(name for name, part in (escalation.contributions or {}).items() if part > 0)
    sla_then = escalation.sla_status_at_escalation or ("breached" if escalation.sla_breached_at_escalation else "")
    return scoring.Decision(
        status=escalation.status, recommendation=escalation.recommendation, signals=escalation.signals or {}, sla_status=sla_then,
        score=escalation.score, quiet_signals=quiet, sla_target=escalation.sla_target_at_escalation,
    )  # fmt: skip


def _new_evidence(ticket: Ticket, since: datetime, config: EscalationSettings) -> list[str]:
    """Customer messages after the decision that would be escalated on their own."""
    rows = Interaction.objects.filter(ticket=ticket, author_kind=AuthorKind.CUSTOMER, is_internal=False, created_at__gt=since).values_list(
        "created_at", "frustration_score", "legal_score"
    )
    return [
        f"new customer message at {at:%Y-%m-%d %H:%M}"
        for at, frustration, legal in rows
        if scoring.message_escalates(frustration=frustration, legal=legal, weights=config.weights or None)
    ]


def incident_customers(incident: Ticket) -> int:
    """How many different customers the incident's linked tickets come from."""
    return Ticket.objects.filter(incident=incident).values("customer").distinct().count()


def _grow_incident_escalation(incident: Ticket) -> None:
    """The incident's open escalation counts the customers hit as more tickets join (no new escalation, no new mail)."""
    hit = incident_customers(incident)
    Escalation.objects.filter(ticket=incident, status=Escalation.Status.OPEN, customers_affected__lt=hit).update(customers_affected=hit)


def escalation_gate(ticket: Ticket, assessment: scoring.Assessment, *, now: datetime, config: EscalationSettings) -> Gate:
    """One open escalation per problem; after a decision, only a materially worse situation escalates again.

    An open escalation at the same or a higher recommendation suppresses a new one. After an
    accepted, dismissed or de-escalated one, ``scoring.worse_than_decided`` must find a reason
    (dismissed signals stay quiet for ``dismissal_cooldown_minutes``); the new escalation is
    then a re-escalation that names the decided one and the reasons.
    """
    latest = Escalation.objects.filter(ticket=ticket).order_by("-created_at", "-pk").first()
    if latest is None:
        return Gate(allowed=True)
    rank = scoring.RECOMMENDATION_RANK
    if latest.status == Escalation.Status.OPEN:
        higher = rank.get(assessment.recommendation, 0) > rank.get(latest.recommendation, 0)
        return Gate(allowed=higher and assessment.score >= latest.score + scoring.RECOMMENDATION_HYSTERESIS)
    decided_at = latest.decided_at or latest.created_at
    reasons = scoring.worse_than_decided(
        _decision(latest, now=now, config=config),
        assessment,
        sla_status=ticket.sla_status,
        sla_target=sla.pressing_target(ticket, now=now),
        new_evidence=_new_evidence(ticket, decided_at, config),
    )
    return Gate(allowed=bool(reasons), previous=latest, reasons=tuple(reasons))


def matching_rule(ticket: Ticket, recommendation: str, rules: list[EscalationRule]) -> EscalationRule | None:
    for rule in rules:
        if rule.recommendation != recommendation:
            continue
        slugs = {c.slug for c in rule.categories.all()}
        if slugs and (ticket.category is None or ticket.category.slug not in slugs):
            continue
        if rule.customer_tiers and ticket.customer.tier not in rule.customer_tiers:
            continue
        return rule
    return None


def _escalate(
    ticket: Ticket,
    assessment: scoring.Assessment,
    rule: EscalationRule | None,
    config: EscalationSettings,
    now: datetime,
    *,
    gate: Gate | None = None,
) -> Escalation | None:
    """Create the escalation and apply its actions; None when one is already open at that tier."""
    tier = rule.tier if rule else ("senior_support" if assessment.recommendation == "priority" else "on_call")
    with transaction.atomic():  # the escalation row, its actions and its audit event land together or not at all
        return _escalate_locked(ticket, assessment, rule, config, now, tier, gate or Gate(allowed=True))


def _escalate_locked(
    ticket: Ticket,
    assessment: scoring.Assessment,
    rule: EscalationRule | None,
    config: EscalationSettings,
    now: datetime,
    tier: str,
    gate: Gate,
) -> Escalation | None:
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                ticket=ticket,
                tier=tier,
                score=assessment.score,
                recommendation=assessment.recommendation,
                signals=assessment.signals,
                weights={**scoring.DEFAULT_WEIGHTS, **(config.weights or {})},
                contributions=assessment.contributions,
                rule=rule,
                sla_breached_at_escalation=ticket.sla_status == "breached",
                sla_status_at_escalation=ticket.sla_status,
                sla_target_at_escalation=sla.pressing_target(ticket, now=now),
                reescalation_of=gate.previous,
                worse_because=list(gate.reasons),
                customers_affected=incident_customers(ticket) if ticket.is_incident else 1,
                created_at=now,
            )
    except IntegrityError:
        return None
    events.escalation_opened.announce(escalation=escalation)
    actions: list[dict[str, Any]] = []
    if rule is not None and rule.raise_priority_to is not None and rule.raise_priority_to < ticket.priority:
        actions.append({"action": "raise_priority", "from": ticket.priority, "to": rule.raise_priority_to, "ok": True})
        sla.apply_priority_change(ticket, priority=rule.raise_priority_to, now=now, source=f"escalation rule {rule.name}")
    elif rule is None and assessment.recommendation == "immediate" and ticket.priority > Priority.P1:
        actions.append({"action": "raise_priority", "from": ticket.priority, "to": int(Priority.P1), "ok": True})
        sla.apply_priority_change(ticket, priority=Priority.P1, now=now, source="escalation (immediate)")
    if rule is not None and rule.reassign_team_id and rule.reassign_team_id != ticket.team_id:
        actions.append({"action": "reassign_team", "team_id": rule.reassign_team_id, "ok": True})
        ticket.team_id = rule.reassign_team_id
        ticket.assignee = None
        sla.apply_retarget(ticket, now=now)
    if rule is not None and rule.note:
        Interaction.objects.create(ticket=ticket, author_kind=AuthorKind.SYSTEM, channel=ticket.channel, body=rule.note, is_internal=True)
        actions.append({"action": "note", "ok": True})
    if rule is None or rule.notify:
        planned = notifications.plan(escalation)
        channels = sorted({"in_app", *(n.channel for n in planned)})
        actions.append({"action": "notify", "channels": channels, "ok": True, "queued": len(planned)})
    escalation.actions = actions
    if any(action["action"] in ("raise_priority", "reassign_team") for action in actions):
        # The state the supervisor decides on is the one after the escalation's own actions: a raised priority
        # re-targets the clock (an old ticket is breached at once on the P1 policy), which is not "worse" later.
        # ``sla_breached_at_escalation`` keeps the state before, for the escalated-before-breach figures.
        sla.refresh_status(ticket, now=now)
        escalation.sla_status_at_escalation = ticket.sla_status
        escalation.sla_target_at_escalation = sla.pressing_target(ticket, now=now)
    escalation.save(update_fields=["actions", "sla_status_at_escalation", "sla_target_at_escalation"])
    reassigned = any(action["action"] == "reassign_team" for action in actions)
    if reassigned:
        # Back to the new team's queue, then offered to its best available agent: never left
        # "assigned" to nobody.
        ticket.status = TicketStatus.TRIAGED
    ticket.save(update_fields=["priority", "team", "assignee", "status", "updated_at", *sla.SLA_FIELDS])
    if reassigned:
        routing.route_locked(ticket, keep_team=True)
    TicketEvent.objects.create(
        ticket=ticket,
        kind="escalated",
        detail={
            "escalation_id": escalation.pk,
            "tier": tier,
            "score": assessment.score,
            "why": assessment.explain(),
            "actions": actions,
            **({"reescalation_of": gate.previous.pk, "worse_because": list(gate.reasons)} if gate.previous else {}),
        },
    )
    return escalation


CHECK_FIELDS = ["sla_status", "next_check_at", "predicted_satisfaction", "satisfaction_factors"]


def _save_checks(tickets: list[Ticket]) -> None:
    """Write the batch's SLA state and next checks: one UPDATE … FROM (VALUES …) on PostgreSQL."""
    if not tickets:
        return
    if connection.vendor != "postgresql":
        Ticket.objects.bulk_update(tickets, CHECK_FIELDS)
        return
    rows = ", ".join(["(%s, %s, %s::timestamptz, %s::double precision, %s::jsonb)"] * len(tickets))
    params: list[Any] = []
    for ticket in tickets:
        params.extend(
            [ticket.pk, ticket.sla_status, ticket.next_check_at, ticket.predicted_satisfaction, json.dumps(ticket.satisfaction_factors)]
        )
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET sla_status = v.status, next_check_at = v.next_check, "  # noqa: S608 - table name from the model, values bound
            "predicted_satisfaction = v.predicted, satisfaction_factors = v.factors "
            f"FROM (VALUES {rows}) AS v(id, status, next_check, predicted, factors) WHERE t.id = v.id",
            params,
        )


def _next_check(ticket: Ticket, *, now: datetime, config: EscalationSettings) -> datetime | None:
    if ticket.status not in OPEN_STATUSES:
        return None
    periodic = now + timedelta(minutes=config.recheck_minutes)
    return min(ticket.next_check_at, periodic) if ticket.next_check_at and ticket.next_check_at > now else periodic


def assess_and_escalate(
    ticket: Ticket,
    *,
    now: datetime,
    config: EscalationSettings,
    rules: list[EscalationRule],
    messages: list[Message] | None = None,
    forecast: float | None = None,
) -> Escalation | None:
    """Score one locked ticket, escalate if warranted, schedule its next check (caller saves).

    A clock that turns at risk or breached leaves an ``sla_at_risk`` / ``sla_breached`` event.
    """
    before = ticket.sla_status
    sla.refresh_status(ticket, now=now)
    if ticket.sla_status != before and ticket.sla_status in ("at_risk", "breached"):
        TicketEvent.objects.create(ticket=ticket, kind=f"sla_{ticket.sla_status}", detail={"from": before}, created_at=now)
    assessment = assess(ticket, now=now, config=config, messages=messages, forecast=forecast)
    if ticket.status in OPEN_STATUSES:
        predicted = satisfaction.predict(assessment.signals, ticket.reopen_count)
        ticket.predicted_satisfaction, ticket.satisfaction_factors = round(predicted.probability, 4), predicted.factors
    else:
        ticket.predicted_satisfaction, ticket.satisfaction_factors = None, []
    escalation = None
    if ticket.is_incident:
        _grow_incident_escalation(ticket)
    if assessment.recommendation != "monitor":
        gate = escalation_gate(ticket, assessment, now=now, config=config)
        if gate.allowed:
            rule = matching_rule(ticket, assessment.recommendation, rules)
            escalation = _escalate(ticket, assessment, rule, config, now, gate=gate)
    ticket.next_check_at = _next_check(ticket, now=now, config=config)
    return escalation


CHECKED_FIELDS = ["priority", "team", "assignee", "updated_at", "predicted_satisfaction", "satisfaction_factors", *sla.SLA_FIELDS]


def escalation_config() -> tuple[EscalationSettings, list[EscalationRule]]:
    """Weights, thresholds and enabled rules, cached per process until they change."""
    config = config_cache.cached("escalation", "settings", EscalationSettings.current)
    rules = config_cache.cached(
        "escalation", "rules", lambda: list(EscalationRule.objects.filter(enabled=True).prefetch_related("categories"))
    )
    return config, rules


def recheck_now(ticket_id: int, *, known: Ticket | None = None) -> None:
    """Check one ticket now (burst detection, SLA, score, escalation), outside the periodic sweep.

    ``known`` is the ticket as the caller just saved it (the triage task), which spares
    burst detection a load; the check itself always reads the locked row.
    """
    from escalation_engine.incidents import detect_burst

    detect_burst(ticket_id=ticket_id, now=timezone.now(), ticket=known)
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if ticket is not None:
            recheck_locked(ticket)


def recheck_locked(ticket: Ticket, *, fresh: bool = False) -> Escalation | None:
    """Score and escalate a ticket the caller has locked (with its customer, category and SLA policy); saves it.

    ``fresh``: a ticket just triaged, which has no breach forecast yet (the forecast task makes them), so none is read.
    """
    config, rules = escalation_config()
    escalation = assess_and_escalate(ticket, now=timezone.now(), config=config, rules=rules, forecast=0.0 if fresh else None)
    ticket.save(update_fields=CHECKED_FIELDS)
    return escalation


def sweep(*, now: datetime | None = None, batch_size: int = 500, max_batches: int = 1000) -> SweepResult:
    """Check every ticket whose ``next_check_at`` has passed."""
    now = now or timezone.now()
    config = EscalationSettings.current()
    rules = list(EscalationRule.objects.filter(enabled=True).prefetch_related("categories"))
    result = SweepResult()
    skip_locked = connection.features.has_select_for_update_skip_locked
    while result.batches < max_batches:
        with transaction.atomic():
            due = Ticket.objects.filter(next_check_at__lte=now).order_by("next_check_at")
            locked = due.select_for_update(skip_locked=skip_locked, of=("self",)) if skip_locked else due.select_for_update()
            tickets = list(locked.select_related("customer", "category", "sla_policy")[:batch_size])
            result.batches += 1
            messages = messages_by_ticket([t.pk for t in tickets])
            forecasts = forecasting.firing([t.pk for t in tickets], now=now)
            checked: list[Ticket] = []
            for ticket in tickets:
                result.read += 1
                try:
                    # No savepoint per ticket: scoring reads only; _escalate takes its own savepoint.
                    escalation = assess_and_escalate(
                        ticket, now=now, config=config, rules=rules, messages=messages[ticket.pk], forecast=forecasts.get(ticket.pk, 0.0)
                    )
                except Exception:
                    logger.exception("escalation check failed for ticket %s; retrying in 5 minutes", ticket.pk)
                    result.failed += 1
                    Ticket.objects.filter(pk=ticket.pk).update(next_check_at=now + ERROR_BACKOFF)
                    continue
                ticket.updated_at = now
                checked.append(ticket)
                if escalation is not None:
                    result.escalated += 1
                    result.escalation_ids.append(escalation.pk)
            _save_checks(checked)
        if len(tickets) < batch_size:
            break
    return result


def due_count(*, now: datetime | None = None) -> int:
    return Ticket.objects.filter(Q(next_check_at__lte=now or timezone.now())).count()
