"""Django's model backend with each user's permission set cached per process.

Every console page and API call asks ``has_perm``; the stock backend loads the user's and
their groups' permissions with two queries per request. Here the sets are kept in the
``auth`` section of ``foundation.config_cache``: changing a user's groups or direct
permissions, or a group's permissions (admin, role sync, shell), takes effect on the next
request in every process. Whether the user is active is read from the request's own user
row, as before.

Sign-in names are compared as ``foundation.identity.normalize_username`` spells them (NFKC,
case-folded), the same spelling the sign-in lockout counts failures under: ``OSCAR``,
``ｏｓｃａｒ`` and ``ᵒscar`` are all the account ``oscar``, so no look-alike spelling gets a
fresh set of guesses. Two accounts whose names normalize alike are refused, never guessed.
"""

from __future__ import annotations

import logging
import unicodedata
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Q
from django.http import HttpRequest

from foundation import config_cache
from foundation.identity import normalize_username

logger = logging.getLogger(__name__)


class CachedPermissionBackend(ModelBackend):
    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        user_model = get_user_model()
        if username is None:
            username = kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = self._user_named(str(username))
        if user is None:
            # Hash once anyway, so an unknown name takes as long as a wrong password (Django #20760).
            user_model().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    async def aauthenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)

    @staticmethod
    def _user_named(username: str) -> Any:
        """The one account whose name normalizes to ``username``'s, or ``None`` (none, or more than one)."""
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        wanted = normalize_username(username)
        if not wanted:
            return None
        # iexact finds the stored spellings that differ by case; the typed NFKC form also finds a stored
        # "straße" that folding turned into "strasse". The exact comparison below decides.
        typed = unicodedata.normalize("NFKC", username).strip()
        lookup = Q(**{f"{field}__iexact": wanted}) | Q(**{f"{field}__iexact": typed})
        found = [user for user in user_model._default_manager.filter(lookup)[:10] if normalize_username(user.get_username()) == wanted]
        if len(found) > 1:
            logger.warning("sign-in refused: %d accounts share the normalized name %r; rename all but one", len(found), wanted)
            return None
        return found[0] if found else None

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
