"""Roles get the SLA and escalation models' permissions."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("escalation", "0007_escalationsettings_escalationrule_escalation")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
