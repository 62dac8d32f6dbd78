"""The importer service: writes checked source tickets as history, never as live work.

**Transaction unit: one batch** (``BATCH_SIZE`` source tickets, bulk writes). A batch is all
or nothing; when the database refuses one (a constraint no check caught), it is retried one
ticket per transaction, so the refused ticket is reported with its line and the others land.
Bad rows never reach a batch (the readers check them), so no ticket is ever half imported.

**Nothing is sent.** This module writes rows directly and announces no event, so no listener
runs: no SLA clock starts, no acknowledgement, auto-reply, survey, notification or webhook is
queued (the outbox stays empty), nothing is enqueued, and no escalation check is scheduled
(``next_check_at`` stays empty; closed history stays closed). What the live listeners would have
recorded is computed here from the recorded times instead:

- SLA outcomes under the policy that matches the ticket (``escalation_engine.sla.policy_for``,
  its business calendar): first-response and resolution business seconds, met or breached,
  ``sla_status`` met/breached; the resolution clock stands still while the source's status
  changes say the ticket waited on the customer (``sla_paused_seconds``), as the live clock does.
  Open imported tickets keep their due times from creation but no running check: the next
  agent action on them runs the clocks as usual.
- the source's status changes as ``status_changed`` audit events (``detail.imported``: the
  source), so pending periods read back like the live desk's; the assignment time where the
  source has one (Zendesk's ``initially_assigned_at``), else the creation time;
- the survey answer (``SatisfactionSurvey``, sent and answered at resolution);
- people's categories and priorities as training labels (``TrainingLabel``, source corrected);
- the dashboards' rollups (``analytics.rollup``) of every day the import touched, rebuilt at the end.

Idempotent by ``(source, external id)`` (``ImportedTicket``): an unchanged row is skipped, a
changed one (new fingerprint) updates the ticket and replaces its imported conversation,
survey and labels. Customers are matched or created by e-mail, agents by their user's e-mail
(created without a password, role agent), teams and categories by name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify

from agents.models import Agent, Team
from analytics import rollup
from analytics.models import SatisfactionSurvey
from escalation_engine import sla
from foundation.roles import AGENT
from imports.bulk import insert as _insert
from imports.models import ImportedTicket
from imports.records import RowError, SourceTicket
from tickets.models import Category, Customer, Interaction, Ticket, TicketEvent, TrainingLabel

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
IMPORT_PREFIX = "import:"  # external_message_id of imported interactions: import:<source>:<ticket id>:<comment id>

# Ticket columns an update rewrites (everything an import sets).
TICKET_FIELDS = [
    "subject", "body", "channel", "status", "category", "priority", "customer", "team", "assignee", "tags", "created_at",
    "assigned_at", "first_response_at", "resolved_at", "closed_at", "triaged_at", "needs_triage", "agent_reply_count",
    "sla_policy", "sla_first_response_due_at", "sla_next_response_due_at", "sla_resolution_due_at", "sla_status",
    "next_check_at", "first_response_seconds", "first_response_met", "resolution_seconds", "resolution_met", "sla_paused_seconds",
]  # fmt: skip


@dataclass
class ImportReport:
    source: str
    dry_run: bool = False
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    days: set[date] = field(default_factory=set)
    rollup_seconds: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.errors)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "total": self.total,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "errors": [{"line": e.line, "id": e.external_id, "reason": e.reason} for e in self.errors],
            "days_rebuilt": 0 if self.dry_run else len(self.days),
            "rollup_seconds": round(self.rollup_seconds, 1),
        }


class _People:
    """Teams, categories and agents by name or e-mail, created once per import (cached across batches)."""

    def __init__(self) -> None:
        self.teams: dict[str, Team] = {}
        self.categories: dict[str, Category] = {}
        self.agents: dict[str, Agent] = {}
        self.memberships: set[tuple[int, int]] = set()
        self.agent_group = Group.objects.filter(name=AGENT).first()

    def team(self, name: str) -> Team | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.teams:
            team = Team.objects.filter(name__iexact=name).first() or Team.objects.filter(slug=slugify(name)[:64]).first()
            if team is None:
                team = Team.objects.create(name=name, slug=_free_slug(Team, slugify(name) or "team"))
            self.teams[key] = team
        return self.teams[key]

    def category(self, name: str) -> Category | None:
        if not name:
            return None
        key = name.lower()
        if key not in self.categories:
            slug = slugify(name)[:64] or "category"
            category = Category.objects.filter(slug=slug).first() or Category.objects.filter(name__iexact=name).first()
            if category is None:
                category = Category.objects.create(slug=_free_slug(Category, slug), name=name)
            self.categories[key] = category
        return self.categories[key]

    def agent(self, email: str, name: str = "") -> Agent | None:
        if not email:
            return None
        if email not in self.agents:
            agent = Agent.objects.select_related("user").filter(user__email__iexact=email).order_by("pk").first()
            if agent is None:
                users = get_user_model()
                user = users.objects.filter(email__iexact=email).order_by("pk").first()
                if user is None:
                    first, _, last = name.partition(" ")
                    username = email[:150]
                    if users.objects.filter(username=username).exists():
                        username = f"{email[:140]}-{users.objects.count()}"
                    user = users(username=username, email=email, first_name=first[:150], last_name=last[:150])
                    user.set_unusable_password()  # an admin sets a password or the agent resets it
                    user.save()
                if self.agent_group is not None:
                    user.groups.add(self.agent_group)
                agent = Agent.objects.create(user=user)
            self.agents[email] = agent
        return self.agents[email]

    def join(self, agent: Agent | None, team: Team | None) -> None:
        if agent is not None and team is not None and (agent.pk, team.pk) not in self.memberships:
            self.memberships.add((agent.pk, team.pk))
            Agent.teams.through.objects.bulk_create([Agent.teams.through(agent_id=agent.pk, team_id=team.pk)], ignore_conflicts=True)


def _free_slug(model: Any, base: str) -> str:
    base, slug, n = base[:60], base[:64], 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _customers(rows: list[SourceTicket]) -> dict[str, Customer]:
    """Match by e-mail; create the missing ones in one statement."""
    wanted = {row.requester_email: row for row in rows}
    found = {c.email.lower(): c for c in Customer.objects.filter(email__in=list(wanted))}
    missing = [
        Customer(email=email, name=row.requester_name or email.split("@")[0], organization=row.organization, created_at=row.created_at)
        for email, row in wanted.items()
        if email not in found
    ]
    if missing:
        Customer.objects.bulk_create(missing, ignore_conflicts=True)
        found.update({c.email.lower(): c for c in Customer.objects.filter(email__in=[c.email for c in missing])})
    return found


def apply_outcomes(ticket: Ticket, *, pending: Iterable[tuple[datetime, datetime]] = ()) -> None:
    """The SLA results the live clock would have recorded, from the recorded times (no event, no check scheduled);
    ``pending``: the periods the ticket waited on the customer, when its resolution clock stood still."""
    policy = sla.policy_for(ticket)
    ticket.sla_policy = policy
    ticket.next_check_at = None
    ticket.sla_next_response_due_at = None
    created = ticket.created_at
    first_due = resolution_due = None
    if policy is not None:
        calendar = sla.calendar_for(policy)
        first_due = calendar.add(created, policy.first_response_minutes * 60)
        resolution_due = calendar.add(created, policy.resolution_minutes * 60)
    paused = sum(sla.business_seconds(ticket, since, until) for since, until in pending) if policy is not None else 0.0
    ticket.sla_paused_seconds = paused
    if policy is not None and paused:
        resolution_due = sla.calendar_for(policy).add(created, policy.resolution_minutes * 60 + paused)
    if ticket.first_response_at is not None:
        ticket.first_response_seconds = sla.business_seconds(ticket, created, ticket.first_response_at)
        ticket.first_response_met = None if first_due is None else ticket.first_response_at <= first_due
        ticket.sla_first_response_due_at = None
    else:
        ticket.first_response_seconds = ticket.first_response_met = None
        ticket.sla_first_response_due_at = first_due
    ticket.sla_resolution_due_at = resolution_due
    if ticket.resolved_at is not None:
        ticket.resolution_seconds = max(0.0, sla.business_seconds(ticket, created, ticket.resolved_at) - paused)
        ticket.resolution_met = None if resolution_due is None else ticket.resolved_at <= resolution_due
        ticket.sla_status = "none" if policy is None else ("met" if ticket.resolution_met else "breached")
    else:
        ticket.resolution_seconds = ticket.resolution_met = None
        ticket.sla_status = "none"  # history: no running check until someone works the ticket


class Importer:
    def __init__(self, *, source: str, dry_run: bool = False, batch_size: int = BATCH_SIZE) -> None:
        self.source = source
        self.batch_size = batch_size
        self.report = ImportReport(source=source, dry_run=dry_run)
        self.people: _People | None = None
        self.seen: dict[str, int] = {}
        self.now = timezone.now()

    # --- the whole run ---

    def run(self, rows: Iterable[SourceTicket | RowError], *, progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
        if self.report.dry_run:
            with transaction.atomic():
                self._run(rows, progress)
                transaction.set_rollback(True)  # everything was checked and written; none of it stays
        else:
            self._run(rows, progress)
            begun = time.perf_counter()
            rebuild_rollups(self.report.days)
            self.report.rollup_seconds = time.perf_counter() - begun
        return self.report

    def _run(self, rows: Iterable[SourceTicket | RowError], progress: Callable[[ImportReport], None] | None) -> None:
        self.people = _People()
        for batch in self._batches(rows):
            self._write(batch)
            if progress is not None:
                progress(self.report)
        if progress is not None:
            progress(self.report)

    def _batches(self, rows: Iterable[SourceTicket | RowError]) -> Iterator[list[SourceTicket]]:
        batch: list[SourceTicket] = []
        for row in rows:
            self.report.total += 1
            if isinstance(row, RowError):
                self.report.errors.append(row)
                continue
            first = self.seen.get(row.external_id)
            if first is not None:
                self.report.errors.append(RowError(row.line, row.external_id, f"id: {row.external_id!r} already on line {first}"))
                continue
            self.seen[row.external_id] = row.line
            batch.append(row)
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _write(self, batch: list[SourceTicket]) -> None:
        counts = (self.report.created, self.report.updated, self.report.unchanged, set(self.report.days))
        try:
            with transaction.atomic():
                self._write_batch(batch)
            return
        except (DatabaseError, ValidationError, ValueError):
            logger.info("import batch refused; retrying one ticket at a time", exc_info=True)
        self.report.created, self.report.updated, self.report.unchanged, self.report.days = counts
        self.people = _People()  # teams or agents made by the refused batch were rolled back with it
        for row in batch:
            try:
                with transaction.atomic():
                    self._write_batch([row])
            except (DatabaseError, ValidationError, ValueError) as error:
                self.people = _People()
                reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                self.report.errors.append(RowError(row.line, row.external_id, f"refused by the database: {reason}"))

    # --- one batch, one transaction ---

    def _write_batch(self, batch: list[SourceTicket]) -> None:
        assert self.people is not None
        people = self.people
        # Ids and fingerprints first; only a changed row's ticket is loaded (a re-run reads no ticket at all).
        known = {
            external_id: (pk, fingerprint)
            for pk, external_id, fingerprint in ImportedTicket.objects.filter(
                source=self.source, external_id__in=[row.external_id for row in batch]
            ).values_list("pk", "external_id", "fingerprint")
        }
        fresh, changed_rows = [], []
        for row in batch:
            seen = known.get(row.external_id)
            if seen is None:
                fresh.append((row, row.fingerprint()))
            elif seen[1] != (fingerprint := row.fingerprint()):
                changed_rows.append((row, fingerprint, seen[0]))
            else:
                self.report.unchanged += 1
        origins = ImportedTicket.objects.select_related("ticket").in_bulk([pk for _, _, pk in changed_rows])
        changed = [(row, fingerprint, origins[pk]) for row, fingerprint, pk in changed_rows]
        if not fresh and not changed:
            return
        customers = _customers([row for row, _ in fresh] + [row for row, _, _ in changed])

        def fill(ticket: Ticket, row: SourceTicket) -> Ticket:
            team = people.team(row.team)
            assignee = people.agent(row.assignee_email, row.assignee_name)
            people.join(assignee, team)
            category = people.category(row.category)
            ticket.subject, ticket.body, ticket.channel, ticket.status = row.subject, row.body, row.channel, row.status
            ticket.category, ticket.priority = category, 2 if row.priority is None else row.priority
            ticket.customer, ticket.team, ticket.assignee, ticket.tags = customers[row.requester_email], team, assignee, row.tags
            ticket.created_at, ticket.assigned_at = row.created_at, (row.assigned_at or row.created_at) if assignee else None
            ticket.first_response_at, ticket.resolved_at, ticket.closed_at = row.first_response_at, row.resolved_at, row.closed_at
            ticket.triaged_at, ticket.needs_triage = row.created_at, False  # people triaged it on the old desk
            public_agent = sum(1 for c in row.comments if c.author_kind == "agent" and not c.is_internal)
            ticket.agent_reply_count = min(row.agent_replies if row.agent_replies is not None else public_agent, 32767)
            apply_outcomes(ticket, pending=row.pending_periods())
            return ticket

        new_tickets = [fill(Ticket(), row) for row, _ in fresh]
        for _, _, origin in changed:
            self._touch_days(origin.ticket)
        updated = [fill(origin.ticket, row) for row, _, origin in changed]
        _insert(Ticket, new_tickets, with_ids=True)
        if updated:
            Ticket.objects.bulk_update(updated, TICKET_FIELDS, batch_size=self.batch_size)
            ids = [t.pk for t in updated]
            Interaction.objects.filter(ticket_id__in=ids, external_message_id__startswith=IMPORT_PREFIX).delete()
            SatisfactionSurvey.objects.filter(ticket_id__in=ids).delete()
            TrainingLabel.objects.filter(ticket_id__in=ids, actor__isnull=True, old_value="").delete()
            TicketEvent.objects.filter(ticket_id__in=ids, kind="status_changed", detail__has_key="imported").delete()
            ImportedTicket.objects.filter(pk__in=[o.pk for _, _, o in changed]).update(updated_at=self.now)
            for _, fingerprint, origin in changed:
                origin.fingerprint = fingerprint
            ImportedTicket.objects.bulk_update([o for _, _, o in changed], ["fingerprint"])

        pairs = [(row, t) for (row, _), t in zip(fresh, new_tickets, strict=True)] + [
            (row, t) for (row, _, _), t in zip(changed, updated, strict=True)
        ]
        interactions, surveys, labels = [], [], []
        audit: list[TicketEvent] = []
        new_ids = {t.pk for t in new_tickets}
        for row, ticket in pairs:
            self._touch_days(ticket)
            interactions.extend(self._conversation(row, ticket))
            if row.csat is not None and ticket.resolved_at is not None:
                surveys.append(
                    SatisfactionSurvey(
                        ticket=ticket, customer=ticket.customer, team=ticket.team, agent=ticket.assignee, category=ticket.category,
                        priority=ticket.priority, channel=ticket.channel, created_at=ticket.resolved_at, sent_at=ticket.resolved_at,
                        answered_at=ticket.resolved_at, rating=row.csat, comment=row.csat_comment,
                    )
                )  # fmt: skip
            labelled_at = ticket.resolved_at or ticket.created_at
            if ticket.category is not None:
                labels.append(
                    TrainingLabel(ticket=ticket, field=TrainingLabel.Field.CATEGORY, new_value=ticket.category.slug,
                                  source=TrainingLabel.Source.CORRECTED, created_at=labelled_at)
                )  # fmt: skip
            if row.priority is not None:
                labels.append(
                    TrainingLabel(ticket=ticket, field=TrainingLabel.Field.PRIORITY, new_value=f"P{row.priority}",
                                  source=TrainingLabel.Source.CORRECTED, created_at=labelled_at)
                )  # fmt: skip
            audit.extend(
                TicketEvent(ticket=ticket, kind="status_changed", created_at=change.created_at,
                            detail={"from": change.old, "to": change.new, "imported": self.source})
                for change in row.status_changes
            )  # fmt: skip
            if ticket.pk not in new_ids:  # a new ticket's origin is its ImportedTicket row; a change to one is audited
                audit.append(
                    TicketEvent(ticket=ticket, kind="import_updated", created_at=self.now,
                                detail={"source": self.source, "id": row.external_id, "line": row.line})
                )  # fmt: skip
        _insert(Interaction, interactions)
        _insert(SatisfactionSurvey, surveys)
        _insert(TrainingLabel, labels)
        _insert(TicketEvent, audit)
        _insert(
            ImportedTicket,
            [
                ImportedTicket(source=self.source, external_id=row.external_id, ticket=t, fingerprint=fp, imported_at=self.now,
                               updated_at=self.now)
                for (row, fp), t in zip(fresh, new_tickets, strict=True)
            ],
        )  # fmt: skip
        self.report.created += len(new_tickets)
        self.report.updated += len(updated)

    def _conversation(self, row: SourceTicket, ticket: Ticket) -> list[Interaction]:
        assert self.people is not None
        prefix = f"{IMPORT_PREFIX}{self.source}:{row.external_id}:"
        messages = []
        first = row.comments[0] if row.comments else None
        if row.body and not (first and first.author_kind == "customer" and first.created_at == row.created_at):
            messages.append(
                Interaction(ticket=ticket, author_kind="customer", channel=ticket.channel, body=row.body, created_at=row.created_at,
                            external_message_id=(prefix + "body")[:255])
            )  # fmt: skip
        for comment in row.comments:
            author = self.people.agent(comment.author_email, comment.author_name) if comment.author_kind == "agent" else None
            messages.append(
                Interaction(ticket=ticket, author_kind=comment.author_kind, author=author.user if author else None,
                            channel=ticket.channel, body=comment.body, is_internal=comment.is_internal,
                            created_at=comment.created_at, external_message_id=(prefix + comment.external_id)[:255])
            )  # fmt: skip
        return messages

    def _touch_days(self, ticket: Ticket) -> None:
        for moment in (ticket.created_at, ticket.first_response_at, ticket.resolved_at):
            if isinstance(moment, datetime):
                self.report.days.add(rollup.local_day(moment))


def rebuild_rollups(days: set[date]) -> None:
    """Every day the import touched, then each of their months, so the dashboards show the history."""
    for day in sorted(days):
        rollup.rebuild_day(day, months=False)
    for month in sorted({rollup.month_of(day) for day in days}):
        rollup.rebuild_month(month)


def import_tickets(
    rows: Iterable[SourceTicket | RowError],
    *,
    source: str,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import checked source rows as history (see the module docstring); returns what happened, row errors with lines."""
    return Importer(source=source, dry_run=dry_run, batch_size=batch_size).run(rows, progress=progress)
