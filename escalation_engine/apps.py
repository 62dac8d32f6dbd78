from django.apps import AppConfig


class EscalationEngineConfig(AppConfig):
    """SLA policies and clocks, escalation signals, rules, the sweep, incidents and notifications.

    The label stays ``escalation`` (tables, permissions, migrations and task names are unchanged
    from when the engine lived in the project package).
    """

    name = "escalation_engine"
    label = "escalation"
    verbose_name = "Escalation engine"
