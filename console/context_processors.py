from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from agents.models import Availability
from foundation.roles import role_of


def role(request: HttpRequest) -> dict[str, Any]:
    """Expose the signed-in user's role (and availability choices) to templates for role-aware navigation."""
    user = getattr(request, "user", None)
    return {"user_role": role_of(user) if user is not None else None, "availability_choices": Availability.choices}
