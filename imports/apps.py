from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """History from another help desk: CSV, Zendesk, Freshdesk and django-helpdesk imports."""

    name = "imports"
    verbose_name = "Imports"
