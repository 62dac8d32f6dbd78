"""Surveys join the platform outbox: unsent ones are rendered into queued messages, sent ones become sent rows.

The survey keeps ``sent_at`` (response rates count from it); the outbox now holds the message,
its attempts and last error. Safe to run twice (unique dedupe keys).
"""

from django.db import migrations

BATCH = 2000


def copy_to_outbox(apps, schema_editor):
    from analytics.csat import survey_message

    SatisfactionSurvey = apps.get_model("analytics", "SatisfactionSurvey")
    OutboxMessage = apps.get_model("foundation", "OutboxMessage")
    rows = []
    surveys = SatisfactionSurvey.objects.select_related("ticket__customer").order_by("pk")
    for survey in surveys.iterator(chunk_size=BATCH):
        ticket = survey.ticket
        sent = survey.sent_at is not None
        rows.append(
            OutboxMessage(
                **survey_message(survey=survey, ticket=ticket, customer=ticket.customer),
                status="sent" if sent else "queued",
                attempts=1 if sent else 0,
                created_at=survey.created_at,
                next_attempt_at=survey.created_at,
                sent_at=survey.sent_at,
            )
        )
        if len(rows) >= BATCH:
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            rows.clear()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_roles"),
        ("foundation", "0003_outbox"),
    ]

    operations = [migrations.RunPython(copy_to_outbox, migrations.RunPython.noop)]
