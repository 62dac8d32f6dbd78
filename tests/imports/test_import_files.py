"""Importing another desk's history from files: Zendesk and Freshdesk JSON, a CSV with a mapping.

The sample exports in ``samples/`` are written for these tests with the vendors' documented
field names (Zendesk's ticket API with comments, metric_set and sideloaded users; Freshdesk's
ticket API with requester, stats and conversations, as JSON Lines).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from celery.signals import task_prerun
from django.core.management import CommandError, call_command

from agents.models import Agent, Team
from analytics.models import DailyStat, SatisfactionSurvey
from escalation_engine.models import Escalation, Notification
from foundation.models import OutboxMessage
from imports import runner
from imports.models import ImportedTicket
from notifications.models import AgentNotification
from tests.factories import CustomerFactory
from tickets.models import Category, Customer, Interaction, Ticket, TicketEvent, TrainingLabel

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"
ZENDESK = (SAMPLES / "zendesk_tickets.json").read_text()
FRESHDESK = (SAMPLES / "freshdesk_tickets.jsonl").read_text()
CSV = (SAMPLES / "desk.csv").read_text()
MAPPING = (SAMPLES / "desk_mapping.json").read_text()
ZENDESK_MAPPING = json.dumps({"category_field": 360001})


def line_of(text: str, needle: str) -> int:
    """The line a ticket object starts on: the line before its ``"id"`` (the ``{``)."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line) - 1


def zendesk(text: str = ZENDESK, **kwargs: Any) -> Any:
    return runner.run("zendesk", text=text, mapping=ZENDESK_MAPPING, **kwargs)


def ticket(source: str, external_id: str) -> Any:
    return ImportedTicket.objects.select_related("ticket").get(source=source, external_id=external_id).ticket


def test_a_zendesk_export_becomes_tickets_with_their_conversation_people_and_outcomes() -> None:
    known = CustomerFactory.create(email="jonas.weber@example.de", name="Jonas W.")
    report = zendesk()
    assert (report.created, report.updated, report.unchanged, report.failed) == (4, 0, 0, 2)

    billing = ticket("zendesk", "1001")
    assert billing.subject == "Charged twice for invoice INV-2291" and billing.status == "resolved"
    assert billing.priority == 0 and billing.channel == "email" and billing.tags == ["billing", "refund"]
    assert billing.category.slug == "billing" and billing.team.name == "Billing"
    assert billing.customer.email == "anna.schmidt@example.de" and billing.customer.organization == "Acme GmbH"
    assert billing.assignee.user.email == "ben@acme-support.example" and billing.assignee.user.groups.filter(name="agent").exists()
    assert not billing.assignee.user.has_usable_password()
    assert billing.created_at == datetime(2026, 3, 2, 9, tzinfo=UTC) and billing.resolved_at == datetime(2026, 3, 2, 11, tzinfo=UTC)
    conversation = list(billing.interactions.order_by("created_at").values_list("author_kind", "is_internal", "body"))
    assert [(kind, internal) for kind, internal, _ in conversation] == [
        ("customer", False), ("agent", True), ("agent", False), ("customer", False),
    ]  # fmt: skip
    assert conversation[2][2].startswith("Hi Anna") and billing.agent_reply_count == 1
    # P0 runs 24×7: first reply after 10 minutes (target 15), resolved after 2 hours (target 4).
    assert billing.first_response_at == datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
    assert (billing.first_response_seconds, billing.first_response_met) == (600, True)
    assert (billing.resolution_seconds, billing.resolution_met, billing.sla_status) == (7200, True, "met")
    assert billing.next_check_at is None and billing.sla_policy.priority == 0
    assert SatisfactionSurvey.objects.get(ticket=billing).rating == 5

    delivery = ticket("zendesk", "1002")
    assert delivery.customer == known, "customers are matched by e-mail"
    assert delivery.status == "closed" and delivery.channel == "web_form" and delivery.closed_at is not None
    assert (delivery.first_response_met, delivery.resolution_met, delivery.sla_status) == (False, False, "breached")
    assert SatisfactionSurvey.objects.get(ticket=delivery).rating == 1

    outage = ticket("zendesk", "1003")
    assert outage.status == "assigned" and outage.priority == 1 and outage.channel == "api"
    assert outage.sla_resolution_due_at is not None and outage.next_check_at is None, "open history is never swept"
    pending = ticket("zendesk", "1004")
    assert pending.status == "pending_customer" and pending.assignee is None and pending.priority == 2
    assert pending.first_response_at == datetime(2026, 3, 3, 10, 20, tzinfo=UTC), "the first public agent reply"
    assert Agent.objects.filter(user__email="dev@acme-support.example").exists(), "comment authors are agents too"
    assert set(Team.objects.values_list("name", flat=True)) >= {"Billing", "Logistics", "Tier 2"}
    assert billing.assignee.teams.filter(name="Billing").exists()
    assert ImportedTicket.objects.filter(source="zendesk").count() == 4

    errors = {e.external_id: (e.line, e.reason) for e in report.errors}
    assert errors["1005"] == (line_of(ZENDESK, '"id": 1005'), "requester.email: missing")
    assert errors["1006"][0] == line_of(ZENDESK, '"id": 1006') and errors["1006"][1].startswith("resolved_at: 2026-03-04")
    assert not ImportedTicket.objects.filter(external_id__in=["1005", "1006"]).exists(), "a bad row imports nothing"


def test_running_it_twice_creates_nothing_and_a_changed_row_updates_its_ticket() -> None:
    zendesk()
    counts = [Ticket.objects.count(), Interaction.objects.count(), Customer.objects.count(), Agent.objects.count(),
              TrainingLabel.objects.count(), SatisfactionSurvey.objects.count()]  # fmt: skip
    again = zendesk()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert counts == [Ticket.objects.count(), Interaction.objects.count(), Customer.objects.count(), Agent.objects.count(),
                      TrainingLabel.objects.count(), SatisfactionSurvey.objects.count()]  # fmt: skip

    document = json.loads(ZENDESK)
    outage = document["tickets"][2]
    outage.update(status="solved", subject="Login page 502 (fixed)", metric_set={"solved_at": "2026-03-03T09:15:00Z"})
    outage["comments"].append(
        {"id": 9022, "author_id": 601, "public": True, "created_at": "2026-03-03T08:45:00Z", "body": "Fixed: a bad deploy, rolled back."}
    )
    outage["satisfaction_rating"] = {"score": "good", "comment": ""}
    before = ticket("zendesk", "1003")
    changed = zendesk(json.dumps(document, indent=1))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
    after = ticket("zendesk", "1003")
    assert after.pk == before.pk and after.subject == "Login page 502 (fixed)" and after.status == "resolved"
    assert after.interactions.count() == 2, "the conversation is replaced, not doubled"
    assert after.first_response_at == datetime(2026, 3, 3, 8, 45, tzinfo=UTC) and after.resolution_met is True
    assert SatisfactionSurvey.objects.get(ticket=after).rating == 5
    assert after.training_labels.filter(field="category").count() == 1
    assert TicketEvent.objects.filter(ticket=after, kind="import_updated").exists()


def test_a_dry_run_reports_what_would_happen_and_writes_nothing() -> None:
    tables = (Ticket, Customer, Agent, Team, Category, Interaction, ImportedTicket, TrainingLabel, SatisfactionSurvey, DailyStat)
    before = [model.objects.count() for model in tables]
    report = zendesk(dry_run=True)
    assert (report.created, report.failed) == (4, 2) and report.as_dict()["dry_run"] is True
    assert [model.objects.count() for model in tables] == before
    assert zendesk().created == 4, "a dry run leaves nothing that would make the real run skip rows"


def test_an_import_sends_nothing_and_enqueues_nothing(django_capture_on_commit_callbacks: Any) -> None:
    started: list[str] = []

    def record(sender: Any = None, **kwargs: Any) -> None:
        started.append(getattr(sender, "name", str(sender)))

    task_prerun.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            zendesk()
            runner.run("freshdesk", text=FRESHDESK)
            runner.run("csv", text=CSV, mapping=MAPPING)
    finally:
        task_prerun.disconnect(record)  # type: ignore[attr-defined]
    assert OutboxMessage.objects.count() == 0, "no acknowledgement, auto-reply, survey, notification or webhook"
    # The only after-commit work is the config cache noticing new teams and categories (no task, no listener).
    assert {getattr(c, "func", c).__qualname__ for c in callbacks} <= {"_bump"}, callbacks
    assert started == [], "nothing handed to a worker"
    assert Notification.objects.count() == AgentNotification.objects.count() == Escalation.objects.count() == 0
    assert not Ticket.objects.filter(next_check_at__isnull=False).exists(), "no escalation check of old tickets"
    assert not Ticket.objects.filter(triaged_at__isnull=True).exists(), "the untriaged sweep does not pick history up"
    assert SatisfactionSurvey.objects.filter(sent_at__isnull=True).count() == 0
    assert not TicketEvent.objects.exists(), "no reprioritized / assigned / escalated events"


def test_a_freshdesk_export_with_its_agents_groups_and_bad_lines() -> None:
    report = runner.run("freshdesk", text=FRESHDESK)
    assert (report.created, report.failed) == (2, 2)
    refund = ticket("freshdesk", "2001")
    assert refund.status == "closed" and refund.priority == 1 and refund.category.name == "Refund"
    assert refund.team.name == "Returns" and refund.assignee.user.email == "maria@helpful.example"
    assert refund.customer.organization == "Globex Ltd"
    assert refund.resolved_at == datetime(2026, 3, 2, 10, tzinfo=UTC) and refund.closed_at == datetime(2026, 3, 3, 9, tzinfo=UTC)
    kinds = list(refund.interactions.order_by("created_at").values_list("author_kind", "is_internal"))
    assert kinds == [("customer", False), ("agent", False), ("customer", False), ("agent", True)]
    assert SatisfactionSurvey.objects.get(ticket=refund).rating == 5
    account = ticket("freshdesk", "2002")
    assert account.status == "assigned" and account.channel == "web_form" and account.first_response_at is None
    errors = {e.line: e.reason for e in report.errors}
    assert errors[4].startswith("JSON: ") and errors[5] == "status: unknown 9"


def test_a_csv_with_a_mapping_keeps_local_times_and_business_time_outcomes() -> None:
    report = runner.run("csv", text=CSV, mapping=MAPPING)
    assert (report.created, report.failed) == (2, 3)
    invoice = ticket("csv", "T-1")
    # 17:00 Berlin on Friday 6 March is 16:00 UTC; the office calendar is Mon–Fri 09–17 UTC.
    assert invoice.created_at == datetime(2026, 3, 6, 16, tzinfo=UTC)
    assert invoice.body == "Ich wurde doppelt belastet,\nbitte prüfen."
    assert invoice.tags == ["rechnung", "doppelt"] and invoice.channel == "email" and invoice.priority == 1
    # P1: 60 business minutes to respond; Friday 16–17 plus Monday 09–09:30 = 90 minutes, breached.
    assert (invoice.first_response_seconds, invoice.first_response_met) == (5400, False)
    # 1440 business minutes to resolve; Friday 1 h + Monday 09–12 = 4 h, met.
    assert (invoice.resolution_seconds, invoice.resolution_met) == (14400, True)
    assert invoice.assignee.user.email == "eva@desk.example" and invoice.assignee.teams.get().name == "Finance"
    assert SatisfactionSurvey.objects.get(ticket=invoice).rating == 4
    assert ticket("csv", "T-2").status == "triaged" and ticket("csv", "T-2").channel == "phone"
    assert [(e.line, e.external_id, e.reason) for e in report.errors] == [
        (5, "T-3", "requester_email: 'not-an-email' is not an e-mail address"),
        (6, "T-4", "created_at: '31.02.2026 09:00' is not a date and time"),
        (7, "T-5", "priority: unknown value 'Sofort!!'"),
    ]


def test_the_dashboards_rollups_count_the_history_as_computed_by_hand() -> None:
    zendesk()
    day = DailyStat.objects.get(period="day", day=date(2026, 3, 2), team=0, dim="all", key="")
    # 1001 and 1002 (both P0, 24×7): created, answered after 10 and 30 minutes (target 15),
    # resolved after 2 h and 5 h (target 4 h); rated 5 and 1.
    assert (day.created, day.first_responses, day.first_response_met, day.first_response_breached) == (2, 2, 1, 1)
    assert (day.resolved, day.resolution_met, day.resolution_breached) == (2, 1, 1)
    assert (day.csat_responses, day.csat_sum, day.csat_hist) == (2, 6, [1, 0, 0, 0, 1])
    assert sum(day.first_response_hist) == 2 and sum(day.resolution_hist) == 2
    assert day.first_contact_resolved == 1, "1001 had one public reply; 1002 two"
    next_day = DailyStat.objects.get(period="day", day=date(2026, 3, 3), team=0, dim="all", key="")
    assert (next_day.created, next_day.first_responses, next_day.resolved) == (2, 1, 0)
    month = DailyStat.objects.get(period="month", day=date(2026, 3, 1), team=0, dim="all", key="")
    assert (month.created, month.resolved, month.csat_sum) == (4, 2, 6)
    billing = Team.objects.get(name="Billing")
    assert DailyStat.objects.get(period="day", day=date(2026, 3, 2), team=billing.pk, dim="all", key="").created == 1


def test_human_categories_and_priorities_become_training_labels() -> None:
    zendesk()
    labels = set(TrainingLabel.objects.values_list("ticket__import_origin__external_id", "field", "new_value", "source"))
    assert ("1001", "category", "billing", "corrected") in labels
    assert ("1002", "priority", "P0", "corrected") in labels
    assert not any(external == "1004" for external, *_ in labels), "no category and no priority: no label"


def test_the_command_prints_the_report_and_fails_on_bad_rows(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "desk.csv").write_text(CSV)
    (tmp_path / "mapping.json").write_text(MAPPING)
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_tickets", str(tmp_path / "desk.csv"), "--format", "csv", "--mapping", str(tmp_path / "mapping.json"),
                     "--dry-run")  # fmt: skip
    assert exit_info.value.code == 1
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert (report["created"], report["failed"], report["dry_run"]) == (2, 3, True)
    assert report["errors"][0] == {"line": 5, "id": "T-3", "reason": "requester_email: 'not-an-email' is not an e-mail address"}
    assert "[" in err and "5/5" in err, "a progress bar on stderr"
    assert Ticket.objects.count() == 0

    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CommandError, match="mapping: not JSON"):
        call_command("import_tickets", str(tmp_path / "desk.csv"), "--format", "csv", "--mapping", str(tmp_path / "bad.json"))
    with pytest.raises(CommandError, match="missing column"):
        call_command("import_tickets", str(tmp_path / "desk.csv"), "--format", "csv")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_tickets", str(tmp_path / "nope.json"), "--format", "zendesk")
