"""Give roles the routing models' permissions (rules, shifts)."""

from django.db import migrations

from foundation.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0003_roles_integration"),
        ("agents", "0002_agent_last_assigned_at_agent_performance_score_and_more"),
        ("tickets", "0003_category_team_ticket_assigned_at_and_more"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
