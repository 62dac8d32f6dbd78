"""Business calendars now belong to the platform (foundation 0002): state only; their content types follow,
so permissions and admin history stay attached."""

import django.db.models.deletion
from django.db import migrations, models


MODELS = ("businesscalendar", "businesshours", "holiday")


def move_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_type.objects.filter(app_label="foundation", model=model).exists():
            content_type.objects.filter(app_label="escalation", model=model).update(app_label="foundation")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('escalation', '0014_satisfactionmodel'),
        ('foundation', '0002_calendars_from_engine'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
            migrations.AlterField(
                model_name='slapolicy',
                name='calendar',
                field=models.ForeignKey(blank=True, help_text='Empty = the default calendar.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='foundation.businesscalendar'),
            ),
            migrations.RemoveField(
                model_name='businesshours',
                name='calendar',
            ),
            migrations.DeleteModel(
                name='Holiday',
            ),
            migrations.DeleteModel(
                name='BusinessCalendar',
            ),
            migrations.DeleteModel(
                name='BusinessHours',
            ),
            ],
        ),
        migrations.RunPython(move_content_types, reverse_code=migrations.RunPython.noop),
    ]
