"""Add the integration role and give admins the new triage and intake models' permissions."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0002_roles"),
        ("tickets", "0002_traininglabel_triagesettings_and_more"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
