"""``evaluate_triage``: the worker's triage function on a labelled CSV, figures as JSON, nothing written."""

import csv
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pipeline import tasks as pipeline_tasks
from tickets.models import ModelVersion, Ticket, TicketEvent
from tickets.services import receive_contact
from tickets.triage import analysis

pytestmark = pytest.mark.django_db

ROWS = [
    {
        "subject": "Nobody can sign in",
        "body": "Hi,\nsince 8am none of our 300 users can log in, the password page just reloads.\n\n"
        "On Mon, 2 Mar 2026 at 09:12, Support <help@example.com> wrote:\n> Your invoice INV-2231 is attached.\n> Regards",
        "tier": "silver",
        "category": "account_access",
        "priority": "0",
        "escalate": "1",
        "language": "en",
    },
    {
        "subject": "Frage zur Rechnung",
        "body": "Hallo zusammen,\nkönnt ihr mir bitte die Rechnung für März noch einmal schicken? Die Mehrwertsteuer fehlt.\n"
        "Viele Grüße\nJens",
        "tier": "bronze",
        "category": "billing",
        "priority": "3",
        "escalate": "0",
        "language": "de",
    },
]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(path: Path, **options: Any) -> dict[str, Any]:
    out = StringIO()
    call_command("evaluate_triage", csv=str(path), json=True, stdout=out, **options)
    return json.loads(out.getvalue())


def test_reports_every_figure_and_writes_nothing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "eval.csv", ROWS)
    with CaptureQueriesContext(connection) as queries:
        report = run(path)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []
    assert not ModelVersion.objects.exists() and not Ticket.objects.exists()
    assert report["n"] == 2
    for key in ("category_accuracy", "coverage", "priority_exact", "priority_within_one", "p0_recall", "p0p1_recall",
                "escalate_recall", "language_accuracy", "p50_ms", "p95_ms"):  # fmt: skip
        assert report[key] is not None, key
    assert report["language_accuracy"] == 1.0  # English under a quoted thread, and German
    assert set(report["category_accuracy_by_language"]) == {"de", "en"}


def test_scores_against_the_labels(tmp_path: Path) -> None:
    """The figures follow the labels: flipping every expected label turns the accuracy to its complement."""
    right = run(write_csv(tmp_path / "right.csv", ROWS))
    wrong_rows = [{**row, "language": "fr", "priority": "3" if row["priority"] == "0" else "0"} for row in ROWS]
    wrong = run(write_csv(tmp_path / "wrong.csv", wrong_rows))
    assert wrong["language_accuracy"] == 0.0 and right["language_accuracy"] == 1.0
    assert wrong["priority_exact"] <= right["priority_exact"]


def test_the_worker_and_the_command_run_one_and_the_same_triage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = analysis.analyze

    def spy(facts: analysis.Facts, **kwargs: Any) -> analysis.Analysis:
        seen.append(facts.subject)
        return real(facts, **kwargs)

    monkeypatch.setattr(analysis, "analyze", spy)
    run(write_csv(tmp_path / "one.csv", ROWS[:1]))
    ticket = receive_contact(channel="email", customer_email="ann@example.com", subject=ROWS[0]["subject"], body=ROWS[0]["body"]).ticket
    pipeline_tasks.triage_ticket.run(ticket.pk)
    assert seen == [ROWS[0]["subject"], ROWS[0]["subject"]]
    stored = Ticket.objects.get(pk=ticket.pk)
    report = run(write_csv(tmp_path / "again.csv", [{**ROWS[0], "language": stored.language}]))
    assert report["language_accuracy"] == 1.0  # the command and the worker agree on the language
    detail = TicketEvent.objects.get(ticket=stored, kind="triaged").detail
    assert detail["priority"] == f"P{stored.priority}"


def test_a_named_model_and_bad_input_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No model version 'nope'"):
        run(write_csv(tmp_path / "eval.csv", ROWS), model="nope")
    (tmp_path / "bad.csv").write_text("title,text\nx,y\n", encoding="utf-8")
    with pytest.raises(CommandError, match="subject and body"):
        run(tmp_path / "bad.csv")
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv")
