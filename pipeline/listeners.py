"""Every event and who listens to it, in one place.

Lower layers announce (``tickets.events``, ``agents.events``, ``escalation_engine.events``,
``foundation.outbox``);
the listeners below belong to the layers above them. ``inside`` listeners run in the
announcing transaction (state that must stay consistent: SLA clocks, the survey row, rollup
marks, a sent survey's time); ``after_commit`` listeners run once it commits (tasks and mail). ``manage.py events``
prints this table; README "Architecture" lists it.
"""

from __future__ import annotations

from agents import events as agent_events
from analytics import csat, rollup
from escalation_engine import events as engine_events
from escalation_engine import forecasting, sla
from foundation import outbox
from foundation.events import AFTER_COMMIT, INSIDE
from helpcenter import services as helpcenter
from notifications import services as notifications
from pipeline import webhooks
from tickets import events as ticket_events


def connect() -> None:
    # tickets → the SLA clock (engine), satisfaction and rollups (analytics), auto-replies (help centre)
    ticket_events.customer_wrote.listen(sla.follow_customer_message, when=INSIDE)
    ticket_events.agent_replied.listen(sla.follow_agent_reply, when=INSIDE)
    ticket_events.status_changed.listen(sla.follow_status, when=INSIDE)
    ticket_events.status_changed.listen(rollup.on_status_changed, when=INSIDE)
    ticket_events.priority_changed.listen(sla.follow_priority, when=INSIDE)
    ticket_events.ticket_merged.listen(sla.follow_merge, when=INSIDE)
    ticket_events.ticket_split.listen(sla.follow_split, when=INSIDE)
    ticket_events.ticket_resolved.listen(csat.on_ticket_resolved, when=INSIDE)
    ticket_events.ticket_triaged.listen(helpcenter.queue_auto_reply_after_triage, when=INSIDE)
    ticket_events.ticket_triaged.listen(helpcenter.acknowledge_after_triage, when=INSIDE)  # after the auto-reply: one or the other
    # agents → the SLA clock, rollups
    agent_events.team_changed.listen(sla.follow_team, when=INSIDE)
    agent_events.ticket_reassigned.listen(rollup.on_reassigned, when=INSIDE)
    # escalation engine → rollups
    engine_events.escalation_decided.listen(rollup.on_escalation_decided, when=INSIDE)
    # the platform's outbox → the domain rows that record a sent message (dashboards read them)
    outbox.outbox_message_sent.listen(csat.record_survey_sent, when=INSIDE)
    outbox.outbox_message_sent.listen(helpcenter.record_auto_reply_sent, when=INSIDE)
    # tickets, agents, escalation engine → agents' notifications (the bell, e-mail if they asked)
    agent_events.ticket_assigned.listen(notifications.on_ticket_assigned, when=INSIDE)
    ticket_events.customer_wrote.listen(notifications.on_customer_wrote, when=INSIDE)
    ticket_events.note_added.listen(notifications.on_note_added, when=INSIDE)
    engine_events.sla_status_changed.listen(notifications.on_sla_status_changed, when=INSIDE)
    engine_events.escalation_decided.listen(notifications.on_escalation_decided, when=INSIDE)
    # tickets, agents → the breach forecast of the ticket's team, at once rather than at the next minute
    agent_events.ticket_assigned.listen(forecasting.on_ticket_event, when=AFTER_COMMIT)
    agent_events.team_changed.listen(forecasting.on_ticket_event, when=AFTER_COMMIT)
    agent_events.availability_changed.listen(forecasting.on_availability_changed, when=AFTER_COMMIT)
    ticket_events.ticket_triaged.listen(forecasting.on_ticket_event, when=AFTER_COMMIT)
    ticket_events.priority_changed.listen(forecasting.on_ticket_event, when=AFTER_COMMIT)
    connect_outgoing_webhooks()


def connect_outgoing_webhooks() -> None:
    """Every event an outgoing webhook can subscribe to → one outbox row per subscription (pipeline/webhooks.py)."""
    ticket_events.ticket_created.listen(webhooks.on_ticket_created, when=INSIDE)
    ticket_events.status_changed.listen(webhooks.on_status_changed, when=INSIDE)
    ticket_events.priority_changed.listen(webhooks.on_priority_changed, when=INSIDE)
    ticket_events.ticket_changed.listen(webhooks.on_ticket_changed, when=INSIDE)
    ticket_events.ticket_resolved.listen(webhooks.on_ticket_resolved, when=INSIDE)
    ticket_events.customer_wrote.listen(webhooks.on_customer_wrote, when=INSIDE)
    agent_events.ticket_assigned.listen(webhooks.on_ticket_assigned, when=INSIDE)
    engine_events.escalation_opened.listen(webhooks.on_escalation_opened, when=INSIDE)
    engine_events.escalation_decided.listen(webhooks.on_escalation_decided, when=INSIDE)
    engine_events.sla_status_changed.listen(webhooks.on_sla_status_changed, when=INSIDE)
