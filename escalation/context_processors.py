from __future__ import annotations

from django.http import HttpRequest

from escalation.roles import role_of


def role(request: HttpRequest) -> dict[str, str | None]:
    """Expose the signed-in user's role to templates for role-aware navigation."""
    user = getattr(request, "user", None)
    return {"user_role": role_of(user) if user is not None else None}
