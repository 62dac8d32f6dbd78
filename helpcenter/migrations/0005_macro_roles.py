"""Agents see macros; supervisors also add, change and delete them (admins hold every permission)."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0004_macro")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
