from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from tickets import mailboxes

        mailboxes.register_health_check()  # /healthz shows each polled mailbox's last error
