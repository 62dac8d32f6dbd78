"""Admins (by role) may open agents' notifications and e-mail preferences in Django admin."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("escalation", "0016_notifications_to_outbox"),
        ("helpcenter", "0003_knowledgearticle_from_tickets"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
