from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (``manage.py seed_demo``): a desk with teams, agents, articles and a day of tickets."""

    name = "demo"
    verbose_name = "Demo data"
