"""Never assigned or in progress without an assignee (2/2): the check constraint, after 0016 repaired the rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0016_repair_stranded_tickets")]

    operations = [
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.CheckConstraint(
                condition=models.Q(("status__in", ("assigned", "in_progress")), _negated=True) | models.Q(("assignee__isnull", False)),
                name="ticket_working_has_assignee",
                violation_error_message="An assigned or in-progress ticket needs an assignee.",
            ),
        ),
    ]
