"""Every console page at scale: ``python -m bench.pages --n 1000000``.

Loads N tickets (``bench.load``; skipped when there), then times, through Django's full
request stack, each agent queue and a filtered queue for the agent with the most open
tickets, that agent's busiest ticket workspace, the escalation inbox and team board as a
supervisor, the audit log as an admin, and the help centre. Prints JSON: p50/p95 in ms and
the query count of each page. Target: p95 ≤ 150 ms per page at 1,000,000 tickets.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.common import against_target, main_at_scale, measure_page

TARGET_P95_MS = 150.0


def run(n: int = 1_000_000, *, repeat: int = 30) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q
    from django.test import Client

    from agents.models import Agent
    from bench.load import load
    from console.selectors import QUEUES
    from tickets.models import OPEN_STATUSES, Interaction, Ticket

    loaded = load(n)
    agent = (
        Agent.objects.annotate(open=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)))
        .order_by("-open", "pk")
        .select_related("user")
        .first()
    )
    if agent is None:
        raise RuntimeError("no agents loaded")
    busiest = (Interaction.objects.filter(ticket__assignee=agent).values("ticket").annotate(n=Count("id")).order_by("-n").first()) or {
        "ticket": Ticket.objects.filter(assignee=agent).values_list("pk", flat=True).first()
    }
    users = get_user_model().objects
    clients: dict[str, Any] = {}
    for role, user in (("agent", agent.user), ("supervisor", users.get(username="supervisor")), ("admin", users.get(username="admin"))):
        clients[role] = Client(HTTP_HOST="localhost")
        clients[role].force_login(user)
    anonymous = Client(HTTP_HOST="localhost")

    pages: dict[str, Any] = {}
    for queue in QUEUES:
        pages[f"queue.{queue.slug}"] = measure_page(clients["agent"], f"/console/queue/{queue.slug}/", repeat=repeat)
    pages["queue.team.filtered"] = measure_page(clients["agent"], "/console/queue/team/?priority=1&q=load", repeat=repeat)
    pages["queue.team.rows_fragment"] = measure_page(clients["agent"], "/console/queue/team/?fragment=rows", repeat=repeat)
    pages["ticket.workspace"] = measure_page(clients["agent"], f"/console/ticket/{busiest['ticket']}/", repeat=repeat)
    pages["escalation.inbox"] = measure_page(clients["supervisor"], "/console/escalations/", repeat=repeat)
    pages["team.board"] = measure_page(clients["supervisor"], "/console/team/", repeat=repeat)
    pages["audit.log"] = measure_page(clients["admin"], "/console/audit/", repeat=repeat)
    pages["help.home"] = measure_page(anonymous, "/help/", repeat=repeat)
    worst = max(stats["p95_ms"] for stats in pages.values())
    return {
        "tickets": loaded["tickets"],
        "agent": {"username": agent.user.get_username(), "open_tickets": agent.open},
        "pages": pages,
        **against_target(worst, TARGET_P95_MS),
    }


def main() -> int:
    return main_at_scale(run, __doc__)


if __name__ == "__main__":
    sys.exit(main())
