"""The help centre's articles, and its self-service records: deflected contacts, article votes, searches."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone

from tickets.models import Category


class KnowledgeArticle(models.Model):
    """A help-centre article: shown to customers, searched, suggested by triage and sent as an auto-reply."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    body = models.TextField(help_text="Markdown (rendered to sanitised HTML in the help centre).")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    is_published = models.BooleanField(default=True, help_text="Drafts are hidden from customers and never suggested.")
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "tickets_knowledgearticle"  # created by the tickets app; moved here in state only
        ordering = ["title"]
        indexes = [models.Index(fields=["is_published", "category"], name="article_published_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("help-article", args=[self.slug])

    @property
    def helpfulness(self) -> float | None:
        votes = self.helpful_count + self.not_helpful_count
        return self.helpful_count / votes if votes else None


class Deflection(models.Model):
    """A customer said a suggested article solved the problem: no ticket was created."""

    article = models.ForeignKey(KnowledgeArticle, null=True, on_delete=models.SET_NULL, related_name="deflections")
    subject = models.CharField(max_length=200, blank=True, help_text="What the customer had typed (trimmed).")
    channel = models.CharField(max_length=16, default="web_form")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="deflection_created_idx")]

    def __str__(self) -> str:
        return f"deflected by {self.article_id} at {self.created_at:%Y-%m-%d %H:%M}"


class ArticleVote(models.Model):
    """Helpful or not: one vote per article and visitor (a hash of the session), changeable."""

    article = models.ForeignKey(KnowledgeArticle, on_delete=models.CASCADE, related_name="votes")
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
