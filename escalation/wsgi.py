"""WSGI entry point (gunicorn escalation.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
application = get_wsgi_application()
