"""The help centre's articles, its self-service records (deflected contacts, article votes, searches), and macros."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent, Team
from foundation import placeholders
from tickets.models import Category, Priority, TicketStatus


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


MAX_MACRO_TAGS = 10
# The statuses a person sets by hand (new, triaged and assigned are routing's).
MACRO_STATUSES = [
    (status.value, status.label)
    for status in (TicketStatus.IN_PROGRESS, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED)
]
MAX_TAG_LENGTH = 50


def clean_macro_body(body: str) -> str:
    """The body if every placeholder is allowed; else ``ValidationError`` on ``body`` with the renderer's messages."""
    problems = placeholders.validate(body)
    if problems:
        raise ValidationError({"body": problems})
    return body


def clean_macro_tags(tags: object) -> list[str]:
    """Tags to add: a list of short strings, deduplicated and sorted, or ``ValidationError`` on ``add_tags``."""
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ValidationError({"add_tags": "Tags must be a list of words."})
    cleaned = sorted({tag.strip() for tag in tags if tag.strip()})
    if len(cleaned) > MAX_MACRO_TAGS:
        raise ValidationError({"add_tags": f"At most {MAX_MACRO_TAGS} tags."})
    if any(len(tag) > MAX_TAG_LENGTH or not tag.isprintable() for tag in cleaned):
        raise ValidationError({"add_tags": f"Each tag is printable text of at most {MAX_TAG_LENGTH} characters."})
    return cleaned


class Macro(models.Model):
    """A canned reply with placeholders, plus actions applied with it (through the same services as a manual change).

    Who may use it: ``owner`` set = personal (only that agent); ``team`` set = that team's
    members; neither = everyone. Supervisors may use and edit every macro.
    """

    name = models.CharField(max_length=120)
    body = models.TextField(
        blank=True,
        help_text="The reply. Placeholders: " + ", ".join(f"{{{{ {name} }}}}" for name in sorted(placeholders.MACRO_PLACEHOLDERS)) + ".",
    )
    owner = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="macros", help_text="Set: a personal macro of this agent."
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="macros", help_text="Set: shared with this team's members."
    )
    # Actions (empty = leave as it is).
    set_status = models.CharField(max_length=20, blank=True, choices=MACRO_STATUSES)
    set_priority = models.PositiveSmallIntegerField(null=True, blank=True, choices=Priority.choices)
    set_category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    add_tags = models.JSONField(default=list, blank=True)
    set_team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What the workspace's suggestion matches on.
    for_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="Suggested for tickets triaged into it."
    )
    for_article = models.ForeignKey(
        KnowledgeArticle,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Suggested when this article is the ticket's top suggestion.",
    )
    is_active = models.BooleanField(default=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["is_active", "team"], name="macro_active_team_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(team__isnull=True),
                name="macro_personal_or_team",
                violation_error_message="A macro is personal (an owner) or shared with a team, not both.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        if self.owner_id:
            return "personal"
        return "team" if self.team_id else "global"

    def clean(self) -> None:
        super().clean()
        clean_macro_body(self.body)
        self.add_tags = clean_macro_tags(self.add_tags)
        if not self.body.strip() and not self.has_actions:
            raise ValidationError("A macro needs a reply or at least one action.")

    @property
    def has_actions(self) -> bool:
        return bool(self.set_status or self.set_priority is not None or self.set_category_id or self.add_tags or self.set_team_id)

    def action_summary(self) -> list[str]:
        """What applying it changes besides the reply, in words (the picker shows it)."""
        done = []
        if self.set_category_id:
            done.append(f"category → {self.set_category}")
        if self.set_priority is not None:
            done.append(f"priority → P{self.set_priority}")
        if self.add_tags:
            done.append("tags + " + ", ".join(self.add_tags))
        if self.set_team_id:
            done.append(f"team → {self.set_team}")
        if self.set_status:
            done.append(f"status → {self.get_set_status_display()}")
        return done
