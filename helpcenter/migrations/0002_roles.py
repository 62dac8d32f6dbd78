"""Admins hold every permission of the help-centre models."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("helpcenter", "0001_initial")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
