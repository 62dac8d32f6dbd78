from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


def _converge_roles(sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
    # Data migrations create the roles; this keeps them complete when later migrations add
    # models, without one more data migration per model.
    from escalation.roles import sync_roles

    if apps is not None:
        sync_roles(apps)


class EscalationConfig(AppConfig):
    name = "escalation"
    verbose_name = "Escalation engine"

    def ready(self) -> None:
        from escalation import login_guard  # noqa: F401 - connects the sign-in failure counters

        post_migrate.connect(_converge_roles, sender=self, dispatch_uid="escalation.converge_roles")
        # Calendars are cached per process; an edit here takes effect at once (elsewhere within a minute).
        from escalation import config_cache
        from escalation.sla import clear_calendar_cache

        config_cache.connect_signals()  # settings, rules, policies and the active model, cached per process
        post_migrate.connect(config_cache.changed_everything, sender=self, dispatch_uid="escalation.config_cache.migrated")

        for name in ("BusinessCalendar", "BusinessHours", "Holiday"):
            model = self.get_model(name)
            post_save.connect(clear_calendar_cache, sender=model, dispatch_uid=f"escalation.calendar_saved.{name}")
            post_delete.connect(clear_calendar_cache, sender=model, dispatch_uid=f"escalation.calendar_deleted.{name}")
