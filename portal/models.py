"""The customer portal's sign-in links and sessions.

A customer session is its own row and its own cookie (``PORTAL_COOKIE``, path ``/portal/``),
never a Django auth session: it names one customer, carries no user and no permission, and
signing in or out of the staff console leaves it alone (and the other way round).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tickets.models import Customer


class SignInLink(models.Model):
    """One e-mailed sign-in link: the signed token carries this row's id and nonce; used once."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "portal sign-in link"
        indexes = [models.Index(fields=["customer", "created_at"], name="portal_link_customer_idx")]

    def __str__(self) -> str:
        return f"sign-in link {self.pk} for customer {self.customer_id}"


class CustomerSession(models.Model):
    """A signed-in customer: the cookie holds a random key, the row only its SHA-256."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "portal session"
        indexes = [models.Index(fields=["expires_at"], condition=Q(ended_at__isnull=True), name="portal_session_live_idx")]

    def __str__(self) -> str:
        return f"portal session {self.pk} for customer {self.customer_id}"
