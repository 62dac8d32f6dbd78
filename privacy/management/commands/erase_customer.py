"""``manage.py erase_customer EMAIL [--yes]``: remove or pseudonymise every personal string of a customer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from privacy import services


class Command(BaseCommand):
    help = "Erase a customer's personal data everywhere (their tickets stay, anonymous, so the figures do not change)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        customer = services.find_customer(options["email"])
        if customer is None:
            raise CommandError(f"No customer with the e-mail address {options['email']!r}.")
        if not options["yes"] and input(f"Erase customer {customer.pk} for good? Type 'erase': ").strip() != "erase":
            raise CommandError("Nothing erased.")
        record = services.erase_customer(customer=customer)
        erased = ", ".join(f"{count} {name}" for name, count in record.counts.items() if count)
        self.stdout.write(f"Erased customer {customer.pk} (privacy request {record.pk}): {erased}.")
