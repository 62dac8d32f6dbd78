"""Sign-in lockout: too many failed passwords lock the account name (and a flooding address).

Failures are counted from Django's ``user_login_failed`` signal, so the console sign-in,
the admin sign-in and any other password check all count. While locked, even the right
password is refused with a clear message and HTTP 429; the lock lifts by itself after
``LOGIN_LOCKOUT_SECONDS``. A successful sign-in clears the account's failures.

The account is keyed by ``foundation.identity.normalize_username`` (NFKC, case-folded), as
``foundation.auth_backend`` authenticates: five failures for ``oscar`` also lock ``OSCAR``,
``ｏｓｃａｒ`` and ``ᵒscar``, which would otherwise each get five fresh guesses at oscar's password.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from foundation import ratelimit
from foundation.identity import normalize_username

LOCKED_CODE = "locked"


def _client_address(request: HttpRequest | None) -> str:
    return request.META.get("REMOTE_ADDR", "unknown") if request is not None else "unknown"


def _account_key(username: str) -> str:
    """One key per account, however the name is spelled: the same normalization that authentication uses."""
    return hashlib.sha256(normalize_username(username).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _keys(username: str, request: HttpRequest | None) -> dict[str, tuple[str, int]]:
    """Counter key → (lock key, limit) for the account name and the client address."""
    account, address = _account_key(username), _client_address(request)
    return {
        f"login:fail:user:{account}": (f"login:lock:user:{account}", settings.LOGIN_FAILURE_LIMIT),
        f"login:fail:addr:{address}": (f"login:lock:addr:{address}", settings.LOGIN_ADDRESS_FAILURE_LIMIT),
    }


def is_locked(username: str, request: HttpRequest | None) -> bool:
    return any(ratelimit.count(lock) for lock, _ in _keys(username, request).values())


@receiver(user_login_failed, dispatch_uid="escalation.count_login_failure")
def count_failure(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    window = settings.LOGIN_LOCKOUT_SECONDS
    for counter, (lock, limit) in _keys(str(credentials.get("username", "")), request).items():
        if ratelimit.hit(counter, window=window) >= limit:
            ratelimit.mark(lock, seconds=window)


@receiver(user_logged_in, dispatch_uid="escalation.clear_login_failures")
def clear_failures(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    ratelimit.reset(next(iter(_keys(user.get_username(), request))))


class LockoutMixin:
    """Refuse before checking the password while the account name or address is locked."""

    request: HttpRequest | None

    def clean(self) -> dict[str, Any]:
        username = str(getattr(self, "data", {}).get("username", ""))
        if username and is_locked(username, self.request):
            minutes = max(1, settings.LOGIN_LOCKOUT_SECONDS // 60)
            raise forms.ValidationError(
                f"Too many failed sign-in attempts. Try again in {minutes} minutes, or ask an administrator.",
                code=LOCKED_CODE,
            )
        return super().clean()  # type: ignore[misc]


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Please try again.",
    }


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass


def _locked(form: forms.Form) -> bool:
    return any(error.code == LOCKED_CODE for error in form.non_field_errors().as_data())


class LoginView(auth_views.LoginView):
    """The console sign-in: 429 while locked, so scripts and proxies see a rate limit."""

    form_class = LockoutAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if _locked(form):
            response.status_code = 429
        return response
