"""Admins (by role) manage the portal's organizations and see its sign-in links and sessions in Django admin."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
        ("privacy", "0002_roles"),
        ("imports", "0002_roles"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
