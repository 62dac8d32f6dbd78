"""The errors every task retries with backoff: database or broker hiccups. Anything else fails loudly."""

from django.db import InterfaceError, OperationalError

TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
