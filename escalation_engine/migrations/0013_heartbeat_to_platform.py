"""The heartbeat table now belongs to the platform (foundation 0001): state only, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("escalation", "0012_escalation_sla_target"), ("foundation", "0001_heartbeat_from_engine")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Heartbeat")], database_operations=[]),
    ]
