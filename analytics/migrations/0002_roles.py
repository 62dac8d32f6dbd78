"""Supervisors and admins get the dashboard permission."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial"), ("escalation", "0010_audit_permission")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
