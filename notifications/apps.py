from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Agents' notifications (the bell) and their e-mail preferences; created only by listeners of lower layers' events."""

    name = "notifications"
    verbose_name = "Agent notifications"
