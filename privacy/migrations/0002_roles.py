"""Admins (by role) may read the privacy requests in Django admin."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("notifications", "0002_roles"),
        ("helpcenter", "0005_macro_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
