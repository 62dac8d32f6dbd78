"""Django's model backend with each user's permission set cached per process.

Every console page and API call asks ``has_perm``; the stock backend loads the user's and
their groups' permissions with two queries per request. Here the sets are kept in the
``auth`` section of ``escalation.config_cache``: changing a user's groups or direct
permissions, or a group's permissions (admin, role sync, shell), takes effect on the next
request in every process. Whether the user is active is read from the request's own user
row, as before.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from escalation import config_cache


class CachedPermissionBackend(ModelBackend):
    def _get_permissions(self, user_obj: Any, obj: Any, from_name: str) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        attribute = f"_{from_name}_perm_cache"
        if not hasattr(user_obj, attribute):
            key = f"{from_name}:{user_obj.pk}:{int(user_obj.is_superuser)}"
            stock = super()._get_permissions  # type: ignore[misc]  # private in django-stubs
            perms = config_cache.cached("auth", key, lambda: frozenset(stock(user_obj, obj, from_name)))
            setattr(user_obj, attribute, set(perms))
        found: set[str] = getattr(user_obj, attribute)
        return found
