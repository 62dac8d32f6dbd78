"""``manage.py import_holidays --calendar NAME FILE.ics``: add an iCalendar's all-day events as holidays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from foundation.business_time import parse_ical_holidays
from foundation.models import BusinessCalendar, Holiday


class Command(BaseCommand):
    help = "Import all-day events of an .ics file as holidays of a business calendar (existing dates are kept)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--calendar", required=True, help="business calendar name")

    def handle(self, *args: Any, **options: Any) -> None:
        calendar = BusinessCalendar.objects.filter(name=options["calendar"]).first()
        if calendar is None:
            names = ", ".join(BusinessCalendar.objects.values_list("name", flat=True))
            raise CommandError(f"No calendar named {options['calendar']!r} (have: {names}).")
        try:
            text = options["path"].read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(f"Cannot read {options['path']}: {exc}") from None
        events = parse_ical_holidays(text)
        if not events:
            raise CommandError("No all-day events (DTSTART;VALUE=DATE) found in the file.")
        created = 0
        for day, name in events:
            _, made = Holiday.objects.get_or_create(calendar=calendar, date=day, defaults={"name": name[:120]})
            created += made
        self.stdout.write(f"{created} holiday(s) added, {len(events) - created} already present.")
