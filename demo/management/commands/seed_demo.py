"""``python manage.py seed_demo``: demo teams, agents, customers and tickets."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo.seed import DEMO_PASSWORD, seed_demo
from tickets.models import Ticket


class Command(BaseCommand):
    help = "Create demo teams, agents with skills, customers of every tier and realistic tickets; print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=400, help="tickets to create (default 400)")
        parser.add_argument("--customers", type=int, default=80, help="customers to create (default 80)")
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for newly created demo logins")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database already has tickets")
        parser.add_argument("--force", action="store_true", help="allow running with ESCALATION_PRODUCTION on")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["force"]:
            raise CommandError("Refusing to create demo logins in production (ESCALATION_PRODUCTION is on); pass --force if you mean it.")
        if options["tickets"] < 0 or options["customers"] < 1:
            raise CommandError("--tickets must be ≥ 0 and --customers ≥ 1")
        if options["if_empty"] and Ticket.objects.exists():
            self.stdout.write("Demo data already present; nothing to do.")
            return
        result = seed_demo(tickets=options["tickets"], customers=options["customers"], password=options["password"])
        self.stdout.write(self.style.SUCCESS(f"Created {result.tickets} tickets and {result.customers} customers."))
        self.stdout.write("Demo logins (username / password / role):")
        for username, password, role in result.logins:
            self.stdout.write(f"  {username:<12} {password:<18} {role}")
