from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _converge_roles(sender: AppConfig, apps: Any = None, **kwargs: Any) -> None:
    # Data migrations create the roles; this keeps them complete when later migrations add
    # models, without one more data migration per model.
    from foundation.roles import sync_roles

    if apps is not None:
        sync_roles(apps)


class FoundationConfig(AppConfig):
    """The platform every app stands on: env config, config cache, roles, sign-in guard, events, outbox, heartbeats."""

    name = "foundation"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.urls import register_converter

        from foundation import login_guard  # noqa: F401 - connects the sign-in failure counters
        from foundation.parsing import IdConverter

        # ``<id:pk>`` in every URLconf: 1-18 digits, so an id too long for the database is a 404, not a 500.
        register_converter(IdConverter, "id")

        post_migrate.connect(_converge_roles, sender=self, dispatch_uid="foundation.converge_roles")
        # Settings, rules, policies, calendars, the active model and permission sets are cached per
        # process; a change anywhere reaches every process on its next task or request.
        from foundation import config_cache

        config_cache.connect_signals()
        post_migrate.connect(config_cache.changed_everything, sender=self, dispatch_uid="foundation.config_cache.migrated")
