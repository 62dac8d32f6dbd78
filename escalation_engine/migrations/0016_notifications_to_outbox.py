"""Notifications' delivery state moves to the platform outbox, then their status columns go.

Every notification is rendered into an outbox message with the app's own text and keeps its
status (pending → queued), attempts, last error and sent time: pending ones are sent and failed
ones can be sent again after the upgrade. Safe to run twice (unique dedupe keys).
"""

from django.db import migrations

BATCH = 2000
STATUS = {"pending": "queued", "sent": "sent", "failed": "failed"}


def copy_to_outbox(apps, schema_editor):
    from escalation_engine.notifications import _text, notification_message

    Notification = apps.get_model("escalation", "Notification")
    OutboxMessage = apps.get_model("foundation", "OutboxMessage")
    rows = []
    texts = {}
    for notification in Notification.objects.select_related("escalation__ticket__customer").order_by("pk").iterator(chunk_size=BATCH):
        state = {
            "status": STATUS.get(notification.status, "failed"),
            "attempts": notification.attempts,
            "last_error": notification.last_error,
            "created_at": notification.created_at,
            "next_attempt_at": notification.created_at,
            "sent_at": notification.sent_at if notification.status == "sent" else None,
        }
        if notification.escalation_id not in texts:
            texts[notification.escalation_id] = _text(notification.escalation)
        subject, body = texts[notification.escalation_id]
        rows.append(OutboxMessage(**notification_message(notification=notification, subject=subject, body=body), **state))
        if len(rows) >= BATCH:
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            rows.clear()
            texts.clear()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('escalation', '0015_calendars_to_platform'),
        ('foundation', '0003_outbox'),
    ]

    operations = [
        # Going back restores empty columns; the outbox keeps what it holds.
        migrations.RunPython(copy_to_outbox, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='notification',
            name='notification_status_idx',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='attempts',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='last_error',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='sent_at',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='status',
        ),
    ]
