"""escalation: the Django project package and the escalation engine app."""

from escalation.celery import app as celery_app

__all__ = ["celery_app"]
