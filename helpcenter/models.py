"""Self-service records: deflected contacts, article votes, help-centre searches."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Deflection(models.Model):
    """A customer said a suggested article solved the problem: no ticket was created."""

    article = models.ForeignKey("tickets.KnowledgeArticle", null=True, on_delete=models.SET_NULL, related_name="deflections")
    subject = models.CharField(max_length=200, blank=True, help_text="What the customer had typed (trimmed).")
    channel = models.CharField(max_length=16, default="web_form")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="deflection_created_idx")]

    def __str__(self) -> str:
        return f"deflected by {self.article_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ArticleVote(models.Model):
    """Helpful or not: one vote per article and visitor (a hash of the session), changeable."""

    article = models.ForeignKey("tickets.KnowledgeArticle", on_delete=models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "voter"], name="articlevote_once")]
        indexes = [models.Index(fields=["created_at"], name="articlevote_created_idx")]

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'}: {self.article_id}"


class SearchLog(models.Model):
    """One help-centre search; those with no results are the content gaps."""

    query = models.CharField(max_length=200)
    results = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="searchlog_created_idx")]

    def __str__(self) -> str:
        return f"{self.query!r}: {self.results}"
