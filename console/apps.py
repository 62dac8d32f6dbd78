from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console: queues, the ticket workspace, the escalation inbox, the team board, the audit log."""

    name = "console"
    verbose_name = "Staff console"
