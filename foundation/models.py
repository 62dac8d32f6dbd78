"""The platform's own data: business calendars (working hours, holidays) and liveness of the background processes."""

from __future__ import annotations

from django.db import models


class Component(models.TextChoices):
    WORKER = "worker", "Celery worker"
    SCHEDULER = "scheduler", "Celery beat"


class Heartbeat(models.Model):
    """The last time a worker (or the beat schedule, through a worker) proved it runs."""

    component = models.CharField(max_length=16, choices=Component.choices)
    hostname = models.CharField(max_length=255)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "escalation_heartbeat"  # the table it had in the engine app; no data moved
        constraints = [models.UniqueConstraint(fields=["component", "hostname"], name="heartbeat_component_host_unique")]
        indexes = [models.Index(fields=["component", "-last_seen_at"], name="heartbeat_recent_idx")]

    def __str__(self) -> str:
        return f"{self.component}@{self.hostname}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    """Working hours in a time zone, with holidays; SLA clocks run only while it is open."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_24x7 = models.BooleanField(default=False, verbose_name="open 24×7")
    is_default = models.BooleanField(
        default=False, help_text="Used by SLA policies without a calendar, and by routing's business-hours condition."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "escalation_businesscalendar"  # the engine's table before calendars moved to the platform
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="calendar_one_default")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.core.exceptions import ValidationError

        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"Unknown time zone {self.time_zone!r} (use e.g. Europe/Berlin)."}) from None


class BusinessHours(models.Model):
    """One opening interval; several per weekday make split shifts. An end of 00:00 means midnight."""

    Weekday = Weekday

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        db_table = "escalation_businesshours"
        ordering = ["calendar", "weekday", "opens_at"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="businesshours_weekday_valid", violation_error_message="Unknown weekday."
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")) | models.Q(closes_at="00:00"),
                name="businesshours_closes_after_opening",
                violation_error_message="Closing time must be after opening time (00:00 means midnight).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        db_table = "escalation_holiday"
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_calendar_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
