"""Never assigned or in progress without an assignee (1/2): repair stranded tickets.

Tickets an earlier release left ``assigned`` or ``in_progress`` with nobody on them (an
escalation's team reassignment, a reply on an unassigned ticket, an agent deleted) go back
to ``triaged``, where routing offers them again; each gets an ``unassigned`` event saying why.
The next migration adds the check constraint (its own transaction: the events written
here leave deferred foreign-key checks that PostgreSQL must run before an ALTER TABLE).
Safe to run twice.
"""

from django.db import migrations
from django.utils import timezone

BATCH = 2000
WORKING = ["assigned", "in_progress"]


def repair_stranded(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    now = timezone.now()
    while True:
        ids = list(Ticket.objects.filter(status__in=WORKING, assignee__isnull=True).order_by("pk").values_list("pk", "status")[:BATCH])
        if not ids:
            return
        Ticket.objects.filter(pk__in=[pk for pk, _ in ids]).update(status="triaged", updated_at=now)
        TicketEvent.objects.bulk_create(
            TicketEvent(
                ticket_id=pk,
                kind="unassigned",
                detail={"from": status, "to": "triaged", "why": "was left without an assignee; returned to the queue by the upgrade"},
                created_at=now,
            )
            for pk, status in ids
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0015_replies_to_outbox")]

    operations = [migrations.RunPython(repair_stranded, migrations.RunPython.noop)]
