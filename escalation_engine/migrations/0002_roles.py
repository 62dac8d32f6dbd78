"""Create the agent / supervisor / admin groups with their permissions."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0001_initial"),
        ("tickets", "0001_initial"),
        ("agents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
