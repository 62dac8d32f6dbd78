"""``manage.py export_customer EMAIL [--output FILE]``: everything stored about a customer, as a ZIP (JSON + attachments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import services


class Command(BaseCommand):
    help = "Export everything stored about a customer (tickets, messages, attachments, events, surveys, outbox) as a ZIP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--output", help="Where to write the ZIP (default: customer-<id>-export.zip here).")

    def handle(self, *args: Any, **options: Any) -> None:
        customer = services.find_customer(options["email"])
        if customer is None:
            raise CommandError(f"No customer with the e-mail address {options['email']!r}.")
        output = Path(options["output"] or f"customer-{customer.pk}-export.zip")
        output.write_bytes(services.export_customer(customer=customer))
        self.stdout.write(f"Wrote {output} (customer {customer.pk}).")
