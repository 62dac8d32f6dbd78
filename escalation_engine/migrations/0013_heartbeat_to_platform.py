"""The heartbeat table now belongs to the platform (foundation 0001): state only, the table stays; its content type follows."""

from django.db import migrations


def move_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="foundation", model="heartbeat").exists():
        content_type.objects.filter(app_label="escalation", model="heartbeat").update(app_label="foundation")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("escalation", "0012_escalation_sla_target"),
        ("foundation", "0001_heartbeat_from_engine"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Heartbeat")], database_operations=[]),
        migrations.RunPython(move_content_type, reverse_code=migrations.RunPython.noop),
    ]
