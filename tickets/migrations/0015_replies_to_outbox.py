"""Replies' and auto-replies' delivery state moves to the platform outbox, then the reply columns go.

Queued and failed replies are rendered into outbox messages with the app's own
``reply_message`` (they are sent, or can be sent again, after the upgrade); sent replies and
sent auto-replies become sent rows that record when. Safe to run twice (unique dedupe keys).
"""

from django.db import migrations

BATCH = 2000


def copy_to_outbox(apps, schema_editor):
    from tickets.services import new_message_id, reply_message

    Interaction = apps.get_model("tickets", "Interaction")
    Ticket = apps.get_model("tickets", "Ticket")
    OutboxMessage = apps.get_model("foundation", "OutboxMessage")

    rows = []

    def flush(force=False):
        if rows and (force or len(rows) >= BATCH):
            OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
            rows.clear()

    replies = (
        Interaction.objects.filter(is_internal=False, email_status__in=["queued", "failed", "sent"])
        .select_related("ticket__customer")
        .order_by("pk")
    )
    for reply in replies.iterator(chunk_size=BATCH):
        ticket = reply.ticket
        state = {
            "status": reply.email_status,
            "attempts": reply.email_attempts,
            "last_error": reply.email_error,
            "created_at": reply.created_at,
            "next_attempt_at": reply.created_at,
        }
        if reply.email_status == "sent":
            headers = {"Message-ID": reply.external_message_id} if reply.external_message_id else {}
            rows.append(
                OutboxMessage(
                    kind="reply", dedupe_key=f"reply:{reply.pk}", recipient=ticket.customer.email,
                    subject=f"Re: [#{ticket.pk}] {ticket.subject}"[:998], headers=headers,
                    ref_kind="tickets.interaction", ref_id=reply.pk, sent_at=reply.email_sent_at or reply.created_at, **state,
                )  # fmt: skip
            )
        else:
            if not reply.external_message_id:
                reply.external_message_id = new_message_id(ticket.pk)
                Interaction.objects.filter(pk=reply.pk).update(external_message_id=reply.external_message_id)
            previous = list(
                Interaction.objects.filter(ticket_id=ticket.pk, created_at__lte=reply.created_at)
                .exclude(external_message_id="")
                .exclude(pk=reply.pk)
                .order_by("created_at", "id")
                .values_list("external_message_id", flat=True)
            )
            message = reply_message(
                interaction=reply, ticket=ticket, customer_email=ticket.customer.email, previous=previous,
                message_id=reply.external_message_id,
            )  # fmt: skip
            rows.append(OutboxMessage(**message, **state))
        flush()

    auto_replied = Ticket.objects.filter(auto_reply_sent_at__isnull=False).select_related("customer").order_by("pk")
    for ticket in auto_replied.iterator(chunk_size=BATCH):
        rows.append(
            OutboxMessage(
                kind="auto_reply", dedupe_key=f"auto_reply:{ticket.pk}", recipient=ticket.customer.email,
                subject=f"Re: [#{ticket.pk}] {ticket.subject}"[:998], ref_kind="tickets.ticket", ref_id=ticket.pk,
                status="sent", attempts=1, created_at=ticket.auto_reply_sent_at, next_attempt_at=ticket.auto_reply_sent_at,
                sent_at=ticket.auto_reply_sent_at,
            )  # fmt: skip
        )
        flush()
    flush(force=True)


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0014_ticket_churn_score'),
        ('foundation', '0003_outbox'),
    ]

    operations = [
        # Going back restores empty columns; the outbox keeps what it holds.
        migrations.RunPython(copy_to_outbox, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name='interaction',
            name='interaction_email_outbox_idx',
        ),
        migrations.RemoveField(
            model_name='interaction',
            name='email_attempts',
        ),
        migrations.RemoveField(
            model_name='interaction',
            name='email_error',
        ),
        migrations.RemoveField(
            model_name='interaction',
            name='email_sent_at',
        ),
        migrations.RemoveField(
            model_name='interaction',
            name='email_status',
        ),
    ]
