from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """A new ticket's steps (triage, SLA clock, routing, incidents, escalation check) and every event's listeners."""

    name = "pipeline"
    verbose_name = "Ticket pipeline"

    def ready(self) -> None:
        from pipeline import listeners

        listeners.connect()
