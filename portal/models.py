"""The customer portal's sign-in links and sessions.

A customer session is its own row and its own cookie (``PORTAL_COOKIE``, path ``/portal/``),
never a Django auth session: it names one customer, carries no user and no permission, and
signing in or out of the staff console leaves it alone (and the other way round).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
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


# Addresses anyone can get: such a domain never makes an organization.
FREE_MAIL_DOMAINS = frozenset(
    {"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "me.com", "aol.com",
     "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com", "mail.com", "yandex.ru", "qq.com", "163.com"}
)  # fmt: skip


class Organization(models.Model):
    """A customer organization, created by staff in admin (never from what intake callers send)."""

    name = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationDomain(models.Model):
    """An e-mail domain of an organization; it counts only once staff verified it (``verified_at``)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True, help_text="e.g. example.com (lower case, no @)")
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return f"{self.domain} ({'verified' if self.verified_at else 'not verified'})"

    def clean(self) -> None:
        self.domain = (self.domain or "").strip().lower().lstrip("@")
        if "." not in self.domain or "@" in self.domain or " " in self.domain:
            raise ValidationError({"domain": "Enter a domain such as example.com."})
        if self.domain in FREE_MAIL_DOMAINS:
            raise ValidationError({"domain": "A free mail provider's domain cannot belong to an organization."})


class OrganizationAdmin(models.Model):
    """A customer who sees the tickets of everyone at the organization's verified domains."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="admins")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "organization's customer admin"
        constraints = [models.UniqueConstraint(fields=["organization", "customer"], name="portal_org_admin_unique")]

    def __str__(self) -> str:
        return f"{self.customer} for {self.organization}"
