"""Default calendars (24×7 and weekday business hours) and the default SLA policies per priority."""

import datetime

from django.db import migrations

from foundation.roles import sync_roles

# priority: (first response, resolution) in minutes; next response = first response.
DEFAULT_TARGETS = {0: (15, 240), 1: (60, 1440), 2: (240, 4320), 3: (1440, 10080)}


def create_defaults(apps, schema_editor):
    calendar_model = apps.get_model("escalation", "BusinessCalendar")
    hours_model = apps.get_model("escalation", "BusinessHours")
    policy_model = apps.get_model("escalation", "SlaPolicy")
    always, _ = calendar_model.objects.get_or_create(name="24×7", defaults={"is_24x7": True, "time_zone": "UTC"})
    office, created = calendar_model.objects.get_or_create(
        name="Business hours (Mon–Fri 09:00–17:00)", defaults={"time_zone": "UTC", "is_default": True}
    )
    if created:
        hours_model.objects.bulk_create(
            [hours_model(calendar=office, weekday=day, opens_at=datetime.time(9), closes_at=datetime.time(17)) for day in range(5)]
        )
    if not policy_model.objects.exists():
        for priority, (first, resolution) in DEFAULT_TARGETS.items():
            policy_model.objects.create(
                name=f"P{priority} default",
                priority=priority,
                first_response_minutes=first,
                next_response_minutes=first,
                resolution_minutes=resolution,
                # Critical tickets run round the clock; the others in business hours.
                calendar=always if priority == 0 else office,
            )
    sync_roles(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("escalation", "0005_businesscalendar_businesshours_holiday_slapolicy"),
        ("tickets", "0004_ticket_next_check_at_and_more"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
