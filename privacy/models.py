"""The record of each privacy request: who exported or erased which customer row, when, and how much (no personal data)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class PrivacyRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", "Export"
        ERASE = "erase", "Erasure"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The customer row's id only: after an erasure it is all that identifies them, and it names no one.
    customer_id = models.BigIntegerField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    counts = models.JSONField(default=dict, blank=True, help_text="Rows exported or erased per kind of data.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer_id", "created_at"], name="privacyrequest_customer_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(kind__in=["export", "erase"]), name="privacyrequest_kind_valid")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of customer {self.customer_id}"
