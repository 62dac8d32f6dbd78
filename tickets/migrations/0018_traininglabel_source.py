"""How a training label was obtained: an agent confirmed the model's guess, or set or changed it.

Existing category labels whose old and new value are the same were confirmations in Needs
triage; every other existing label was a correction (the field's default).
"""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def mark_confirmations(apps, schema_editor):
    TrainingLabel = apps.get_model("tickets", "TrainingLabel")
    TrainingLabel.objects.filter(field="category", old_value=F("new_value")).update(source="confirmed")


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0017_ticket_working_has_assignee'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='traininglabel',
            name='source',
            field=models.CharField(choices=[('confirmed', "Confirmed the model's guess"), ('corrected', 'Set or changed by a person')], default='corrected', max_length=16),
        ),
        migrations.RunPython(mark_confirmations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='traininglabel',
            name='old_value',
            field=models.CharField(blank=True, help_text="What the ticket had before (the model's guess at first).", max_length=64),
        ),
        migrations.AddIndex(
            model_name='traininglabel',
            index=models.Index(fields=['field', 'ticket', 'created_at'], name='traininglabel_ticket_idx'),
        ),
        migrations.AddConstraint(
            model_name='traininglabel',
            constraint=models.CheckConstraint(condition=models.Q(('source__in', ['confirmed', 'corrected'])), name='traininglabel_source_valid', violation_error_message='Unknown label source.'),
        ),
    ]
