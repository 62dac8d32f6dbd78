"""The heartbeat table moves from the escalation engine to the platform: state only, no data moves."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("escalation", "0012_escalation_sla_target")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Heartbeat",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("component", models.CharField(choices=[("worker", "Celery worker"), ("scheduler", "Celery beat")], max_length=16)),
                        ("hostname", models.CharField(max_length=255)),
                        ("last_seen_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "escalation_heartbeat",
                        "indexes": [models.Index(fields=["component", "-last_seen_at"], name="heartbeat_recent_idx")],
                        "constraints": [models.UniqueConstraint(fields=("component", "hostname"), name="heartbeat_component_host_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
