"""Foundation benchmark: bulk demo seeding rate and the latency of /healthz and sign-in."""

from __future__ import annotations

import time
from typing import Any

from bench.common import latency


def run(*, tickets: int = 5000) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from demo.seed import DEMO_PASSWORD, seed_demo
    from foundation.heartbeat import record_heartbeat
    from tickets.models import Ticket

    start = time.perf_counter()
    result = seed_demo(tickets=tickets, customers=500)
    seconds = time.perf_counter() - start

    record_heartbeat(component="worker", hostname="bench")
    client = Client(HTTP_HOST="localhost")

    def get_ok(path: str) -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: a benchmark of an error page means nothing")

    health = latency(lambda: get_ok("/healthz"))
    login_page = latency(lambda: get_ok("/accounts/login/"))
    client.login(username="agent", password=DEMO_PASSWORD)
    # Signed-in agents land on their own queue ("/" and "/console/" redirect there).
    home = latency(lambda: get_ok("/console/queue/mine/"))
    return {
        "database": connection.vendor,
        "tickets_in_db": Ticket.objects.count(),
        "seed_tickets": result.tickets,
        "seed_tickets_per_second": round(result.tickets / seconds, 1),
        "healthz": health,
        "login_page": login_page,
        "agent_queue_mine": home,
    }
