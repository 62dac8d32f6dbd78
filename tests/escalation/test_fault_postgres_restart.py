"""PostgreSQL restarted while the sweep runs: the sweep fails cleanly, the next run completes.

The test runs its own PostgreSQL server (the suite's stays untouched), fills it with tickets
that all want escalating, starts ``sweep_escalations`` in a subprocess and restarts the
server once the first batches have committed. Every batch is one transaction, so each
ticket is either fully escalated (escalation row, audit event, next check moved) or not
touched at all; the second sweep finishes the rest, and nothing is escalated twice.
"""

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, subprocess_env, wait_for
from tests.servers import postgres_server

pytestmark = pytest.mark.integration

TICKETS = 2000
BATCH = 50

SEED = f"""
from django.utils import timezone
from tests.factories import TicketFactory
TicketFactory.create_batch({TICKETS}, status="triaged", escalation_requested=True, next_check_at=timezone.now())
"""

STATE = """
import json
from django.utils import timezone
from escalation_engine.models import Escalation
from tickets.models import Ticket, TicketEvent
escalated = list(Escalation.objects.values_list("ticket_id", flat=True))
evented = list(TicketEvent.objects.filter(kind="escalated").values_list("ticket_id", flat=True))
due = set(Ticket.objects.filter(next_check_at__lte=timezone.now()).values_list("id", flat=True))
print(json.dumps({
    "escalations": len(escalated), "distinct": len(set(escalated)), "events": len(evented),
    "same_tickets": set(escalated) == set(evented), "escalated_but_due": len(due & set(escalated)), "due": len(due),
}))
"""


def _manage(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=check, timeout=300)


def _state(env: dict[str, str]) -> dict:
    return json.loads(_manage(env, "shell", "-c", STATE).stdout.strip().splitlines()[-1])


def test_sweep_interrupted_by_a_postgres_restart_leaves_no_half_escalation(tmp_path: Path) -> None:
    with postgres_server() as server:
        env = subprocess_env(DATABASE_URL=server.url, VAR_DIR=str(tmp_path / "var"))
        _manage(env, "migrate", "--noinput")
        _manage(env, "shell", "-c", SEED)

        sweeper = subprocess.Popen(
            [sys.executable, "manage.py", "sweep_escalations", "--once", "--batch-size", str(BATCH)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

        def committed() -> int:
            with psycopg.connect(server.url, autocommit=True) as conn:
                return int(conn.execute("SELECT count(*) FROM escalation_escalation").fetchone()[0])  # type: ignore[index]

        wait_for(lambda: committed() >= 2 * BATCH, timeout=120, interval=0.05, what="first batches committed")
        server.restart()
        _, stderr = sweeper.communicate(timeout=120)
        assert sweeper.returncode != 0, "the sweep finished before the restart; the test proves nothing"
        assert "OperationalError" in stderr or "InterfaceError" in stderr, stderr[-2000:]

        interrupted = _state(env)
        assert BATCH <= interrupted["escalations"] < TICKETS
        # Whole batches only: every escalation has its event and its moved check, no duplicates.
        assert interrupted["escalations"] == interrupted["distinct"] == interrupted["events"]
        assert interrupted["same_tickets"] and interrupted["escalated_but_due"] == 0
        assert interrupted["due"] == TICKETS - interrupted["escalations"]

        finished = json.loads(_manage(env, "sweep_escalations", "--once").stdout.strip().splitlines()[-1])
        assert finished["escalated"] == TICKETS - interrupted["escalations"] and finished["failed"] == 0
        final = _state(env)
        assert final["escalations"] == final["distinct"] == final["events"] == TICKETS
        assert final["same_tickets"] and final["due"] == 0
