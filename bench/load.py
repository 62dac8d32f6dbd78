"""A realistic help desk of N tickets in PostgreSQL, fast: ``python -m bench.load --n 1000000``.

One year of traffic: customers, tickets with their measured outcomes (first response,
resolution, SLA met or not), the customer's message and the agent's reply, audit events,
escalations (with decisions), CSAT surveys and answers, then the daily rollups the
dashboards read. Rows are generated in one seeded pass into CSV files and loaded with
``COPY``; ids are assigned here so child rows need no lookups. Idempotent: it tops up to N
tickets tagged ``load``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

NULL = r"\N"
DAYS = 365
AGENTS_PER_TEAM = 8
PRIORITY_WEIGHTS = (3, 17, 55, 25)  # P0–P3
FIRST_TARGET_MIN = {0: 15, 1: 60, 2: 240, 3: 1440}
RESOLUTION_TARGET_MIN = {0: 240, 1: 1440, 2: 4320, 3: 10080}
TIERS = ("bronze", "bronze", "silver", "silver", "gold", "platinum", "enterprise")
CHANNELS = ("email", "email", "web_form", "api", "chat", "phone")
SIGNALS = ("sla", "frustration", "sentiment_trend", "repeat_contacts", "legal", "customer_value", "agent_silence")
TIERS_ESCALATION = ("senior_support", "on_call", "senior_engineer", "executive")
RATINGS = (5, 4, 3, 2, 1)
RATING_WEIGHTS = {True: (50, 30, 10, 6, 4), False: (15, 20, 25, 20, 20)}


def _cell(value: Any) -> Any:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


class Table:
    """Rows for one model, written to a CSV file with every concrete column (defaults filled in)."""

    def __init__(self, model: Any, folder: Path) -> None:
        self.model = model
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.defaults = {f.attname: (f.get_default() if f.has_default() else (None if f.null else "")) for f in self.fields}
        self.path = folder / f"{model._meta.db_table}.csv"
        self.file = self.path.open("w", newline="")
        self.writer = csv.writer(self.file)
        self.count = 0

    def add(self, **values: Any) -> None:
        self.writer.writerow([_cell(values[f.attname] if f.attname in values else self.defaults[f.attname]) for f in self.fields])
        self.count += 1

    def copy_into_database(self) -> None:
        from django.db import connection

        self.file.close()
        sql = f"COPY {self.model._meta.db_table} ({', '.join(self.columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy, self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        with connection.cursor() as cursor:
            table, pk = self.model._meta.db_table, self.model._meta.pk.column
            # Names come from the model, not from input.
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), (SELECT MAX({pk}) FROM {table}))")  # noqa: S608


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def _staff(rng: random.Random) -> tuple[dict[int, list[int]], dict[int, int], list[tuple[int, int]]]:
    """Teams, categories and agents: the demo catalogue plus AGENTS_PER_TEAM agents per team."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from agents.models import Agent, Availability, Team
    from demo.seed import seed_demo
    from tickets.models import Category

    seed_demo(tickets=0, customers=0)
    user_model = get_user_model()
    group = Group.objects.get(name="agent")
    for team in Team.objects.all():
        have = Agent.objects.filter(teams=team, user__username__startswith="load-").count()
        for index in range(have, AGENTS_PER_TEAM):
            user = user_model.objects.create(username=f"load-{team.slug}-{index}", first_name="Load", last_name=f"{team.name} {index}")
            user.groups.add(group)
            agent = Agent.objects.create(user=user, availability=Availability.ONLINE, capacity=rng.choice([8, 10, 12, 15]))
            agent.teams.add(team)
    agents_by_team: dict[int, list[int]] = {}
    users: dict[int, int] = {}
    for agent in Agent.objects.prefetch_related("teams"):
        users[agent.pk] = agent.user_id
        for team in agent.teams.all():
            agents_by_team.setdefault(team.pk, []).append(agent.pk)
    categories = list(Category.objects.exclude(team=None).values_list("pk", "team_id"))
    return agents_by_team, users, categories


def _lognormal_minutes(rng: random.Random, median: float, sigma: float = 1.0) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def generate(n: int, folder: Path, *, seed: int = 11, progress: Callable[[int], None] | None = None) -> dict[str, Table]:
    """Write the CSV files for n new tickets and everything that hangs off them."""
    from django.utils import timezone

    from analytics.models import SatisfactionSurvey
    from escalation_engine.models import Escalation
    from tickets.models import Customer, Interaction, Ticket, TicketEvent

    rng = random.Random(seed + Ticket.objects.count())
    agents_by_team, agent_users, categories = _staff(rng)
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    tables = {m.__name__: Table(m, folder) for m in (Customer, Ticket, Interaction, TicketEvent, Escalation, SatisfactionSurvey)}
    customer_id = _next_id(Customer)
    n_customers = max(10, n // 10)
    for index in range(n_customers):
        tier = rng.choice(TIERS)
        tables["Customer"].add(
            id=customer_id + index, name=f"Customer {customer_id + index}", email=f"c{customer_id + index}@load.example",
            tier=tier, lifetime_value=Decimal(rng.randint(0, 200_000)), created_at=start,
        )  # fmt: skip
    ticket_id, interaction_id = _next_id(Ticket), _next_id(Interaction)
    event_id, escalation_id, survey_id = _next_id(TicketEvent), _next_id(Escalation), _next_id(SatisfactionSurvey)
    step = (now - start) / n
    for index in range(n):
        pk = ticket_id + index
        created = start + step * index + timedelta(seconds=rng.random() * 30)
        age_days = (now - created).total_seconds() / 86400
        category, team = rng.choice(categories)
        priority = rng.choices((0, 1, 2, 3), weights=PRIORITY_WEIGHTS)[0]
        channel = rng.choice(CHANNELS)
        customer = customer_id + rng.randrange(n_customers)
        agent = rng.choice(agents_by_team[team]) if agents_by_team.get(team) else None
        responded = created + timedelta(minutes=_lognormal_minutes(rng, 45))
        resolved = responded + timedelta(minutes=_lognormal_minutes(rng, 900, 1.1))
        done = resolved <= now and not (age_days < 3 and rng.random() < 0.5)
        resolved_at = resolved if done else None
        first_at = responded if responded <= now else None
        status = rng.choice(("resolved", "closed", "closed")) if done else ("in_progress" if first_at else rng.choice(("new", "assigned")))
        if status == "new":
            agent = None
        elif agent is None and status in ("in_progress", "assigned"):
            status = "triaged"  # nobody on it (a team without agents): queued, as the constraint requires
        fr_seconds = (first_at - created).total_seconds() if first_at else None
        res_seconds = (resolved - created).total_seconds() if done else None
        fr_met = None if fr_seconds is None else fr_seconds <= FIRST_TARGET_MIN[priority] * 60
        res_met = None if res_seconds is None else res_seconds <= RESOLUTION_TARGET_MIN[priority] * 60
        frustration = round(rng.betavariate(2, 5), 3)
        open_ticket = not done
        sla_status = ("met" if res_met else "breached") if done else rng.choices(("ok", "at_risk", "breached"), (80, 12, 8))[0]
        tables["Ticket"].add(
            id=pk, subject=f"Load ticket {pk}", body="Something does not work as it should.", channel=channel, status=status,
            category_id=category, priority=priority, customer_id=customer, team_id=team, assignee_id=agent, tags=["load"],
            created_at=created, updated_at=resolved_at or first_at or created, assigned_at=created if agent else None,
            first_response_at=first_at, resolved_at=resolved_at,
            closed_at=resolved + timedelta(days=2) if done and status == "closed" and resolved + timedelta(days=2) < now else None,
            triaged_at=created + timedelta(seconds=1), category_confidence=round(rng.uniform(0.5, 1), 3),
            sentiment_score=round(rng.uniform(-1, 1), 3), frustration_score=frustration, sla_status=sla_status,
            next_check_at=now + timedelta(minutes=rng.randint(60 * 24, 60 * 24 * 7)) if open_ticket else None,
            first_response_seconds=fr_seconds, first_response_met=fr_met, resolution_seconds=res_seconds, resolution_met=res_met,
            reopen_count=1 if done and rng.random() < 0.06 else 0,
            agent_reply_count=(1 if rng.random() < 0.55 else rng.randint(2, 5)) if first_at else 0,
            predicted_satisfaction=round(rng.uniform(0.15, 0.95), 3) if open_ticket else None,
            satisfaction_factors=[{"signal": "frustration", "effect": -round(frustration * 0.3, 3)}] if open_ticket else [],
        )  # fmt: skip
        tables["Interaction"].add(id=interaction_id, ticket_id=pk, author_kind="customer", channel=channel,
                                  body="Something does not work as it should.", created_at=created)  # fmt: skip
        interaction_id += 1
        tables["TicketEvent"].add(id=event_id, ticket_id=pk, kind="created", detail={"channel": channel}, created_at=created)
        event_id += 1
        if agent:
            tables["TicketEvent"].add(id=event_id, ticket_id=pk, kind="assigned", detail={"agent_id": agent}, created_at=created)
            event_id += 1
        if first_at:
            tables["Interaction"].add(id=interaction_id, ticket_id=pk, author_kind="agent", author_id=agent and agent_users.get(agent),
                                      channel=channel, body="Thanks, we are on it.", created_at=first_at)  # fmt: skip
            interaction_id += 1
        if rng.random() < 0.06:
            escalated_at = min(now, created + timedelta(minutes=_lognormal_minutes(rng, 120)))
            decided = done or rng.random() < 0.3
            chosen = rng.sample(SIGNALS, 2)
            tables["Escalation"].add(
                id=escalation_id, ticket_id=pk, tier=rng.choice(TIERS_ESCALATION),
                status=rng.choices(("accepted", "dismissed", "deescalated"), (60, 25, 15))[0] if decided else "open",
                score=round(rng.uniform(0.5, 1), 3), recommendation=rng.choice(("priority", "immediate")),
                signals=dict.fromkeys(chosen, 0.8), contributions={chosen[0]: 0.6, chosen[1]: 0.3},
                sla_breached_at_escalation=rng.random() < 0.3, created_at=escalated_at,
                decided_at=escalated_at + timedelta(minutes=30) if decided else None,
            )  # fmt: skip
            escalation_id += 1
        if done:
            sent = resolved + timedelta(minutes=5)
            answered = rng.random() < 0.35 and sent + timedelta(hours=2) < now
            tables["SatisfactionSurvey"].add(
                id=survey_id, ticket_id=pk, customer_id=customer, nonce=f"{pk:032x}", team_id=team, agent_id=agent,
                category_id=category, priority=priority, channel=channel, signals={"sla": 0.0 if res_met else 1.0},
                created_at=sent, sent_at=sent, answered_at=sent + timedelta(hours=rng.randint(1, 48)) if answered else None,
                rating=rng.choices(RATINGS, RATING_WEIGHTS[bool(res_met)])[0] if answered else None,
            )  # fmt: skip
            survey_id += 1
        if progress and index % 50_000 == 0:
            progress(index)
    return tables


def load(n: int, *, rollups: bool = True, quiet: bool = False) -> dict[str, Any]:
    """Top up to n loaded tickets; return what was inserted and how long each step took."""
    from django.db import connection, transaction
    from django.utils import timezone

    from analytics.rollup import rebuild_range
    from tickets.models import Ticket

    def say(text: str) -> None:
        if not quiet:
            print(f"\rbench.load: {text}", end="", file=sys.stderr, flush=True)

    have = Ticket.objects.filter(subject__startswith="Load ticket").count()
    missing = n - have
    timings: dict[str, float] = {}
    counts: dict[str, int] = {}
    if missing > 0:
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="esc-load-") as folder:
            tables = generate(missing, Path(folder), progress=lambda i: say(f"generated {i:,} / {missing:,} tickets"))
            timings["generate_s"] = round(time.perf_counter() - started, 1)
            with transaction.atomic():
                for name, table in tables.items():
                    step = time.perf_counter()
                    say(f"copying {table.count:,} {name} rows" + " " * 20)
                    table.copy_into_database()
                    timings[f"copy_{name}_s"] = round(time.perf_counter() - step, 1)
                    counts[name] = table.count
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        timings["analyze_s"] = round(time.perf_counter() - step, 1)
        timings["load_s"] = round(time.perf_counter() - started, 1)
    if rollups and missing > 0:
        step = time.perf_counter()
        today = timezone.localdate()
        say("building daily rollups" + " " * 30)
        counts["rollup_rows"] = rebuild_range(today - timedelta(days=DAYS + 1), today)
        timings["rollups_s"] = round(time.perf_counter() - step, 1)
    if not quiet:
        print(file=sys.stderr)
    return {"tickets": Ticket.objects.count(), "inserted": counts, "timings": timings}


def main() -> int:
    from bench.common import setup_django

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--no-rollups", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(load(args.n, rollups=not args.no_rollups), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
