from django.apps import AppConfig
from django.db.models.signals import pre_delete


class AgentsConfig(AppConfig):
    name = "agents"
    verbose_name = "Agents and routing"

    def ready(self) -> None:
        from agents.models import Agent
        from agents.services import return_tickets_before_delete

        # The agents layer's own integrity (like a trigger), not a cross-layer event.
        pre_delete.connect(return_tickets_before_delete, sender=Agent, dispatch_uid="agents.return_tickets_before_delete")
