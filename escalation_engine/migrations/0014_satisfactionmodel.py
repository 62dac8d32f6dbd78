"""The stored satisfaction model: analytics trains it, the sweep only reads the newest row."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("escalation", "0013_heartbeat_to_platform")]

    operations = [
        migrations.CreateModel(
            name="SatisfactionModel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("trained_at", models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ("trained_on", models.PositiveIntegerField(help_text="Answered surveys it was fitted on.")),
                ("intercept", models.FloatField()),
                ("weights", models.JSONField(help_text="Logistic weight of each feature.")),
                (
                    "means",
                    models.JSONField(help_text="Mean of each feature over the training rows; a factor is weight × (value − mean)."),
                ),
            ],
            options={"ordering": ["-trained_at", "-id"], "get_latest_by": "trained_at"},
        ),
    ]
