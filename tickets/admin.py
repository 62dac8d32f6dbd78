from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.utils.html import format_html, format_html_join

from foundation.models import OutboxMessage
from tickets.models import (
    Attachment,
    Category,
    Customer,
    IntakeKey,
    Interaction,
    Mailbox,
    ModelVersion,
    Ticket,
    TicketEvent,
    TicketFollower,
    TrainingLabel,
    TriageSettings,
)
from tickets.services import REPLY_REF


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "organization", "tier", "lifetime_value", "created_at")
    list_filter = ("tier",)
    search_fields = ("name", "email", "organization")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "skill", "is_active", "allow_auto_reply")
    list_filter = ("is_active", "allow_auto_reply", "skill")
    list_select_related = ("skill",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class InteractionInline(admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ("created_at", "author_kind", "channel", "is_internal", "body")
    readonly_fields = ("created_at",)


class FollowerInline(admin.TabularInline):
    model = TicketFollower
    extra = 0
    fields = ("customer", "added_at", "added_by")
    readonly_fields = ("added_at", "added_by")
    raw_id_fields = ("customer",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "subject",
        "status",
        "priority",
        "category",
        "category_confidence",
        "channel",
        "customer",
        "team",
        "assignee",
        "created_at",
    )
    list_filter = ("status", "priority", "channel", "needs_triage", "category", "team")
    list_select_related = ("category", "customer", "team", "assignee__user")
    search_fields = ("=id", "subject", "customer__email")
    raw_id_fields = ("customer", "assignee", "repeat_of")
    date_hierarchy = "created_at"
    show_full_result_count = False  # an exact count of millions of rows costs more than the page
    inlines = [FollowerInline, InteractionInline]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    """Messages of every ticket; a reply's e-mail delivery (and *send again*) is in *Platform → Outgoing messages*."""

    list_display = ("id", "ticket", "author_kind", "channel", "is_internal", "delivery", "created_at")
    list_filter = ("author_kind", "channel", "is_internal")
    list_select_related = ("ticket",)
    search_fields = ("=ticket__id", "external_message_id")
    raw_id_fields = ("ticket", "author")
    show_full_result_count = False

    def get_queryset(self, request):
        # One subquery, not a query per row: the e-mail's state from the outbox.
        delivery = OutboxMessage.objects.filter(ref_kind=REPLY_REF, ref_id=OuterRef("pk")).values("status")[:1]
        return super().get_queryset(request).annotate(delivery_status=Subquery(delivery))

    @admin.display(description="e-mail", ordering="delivery_status")
    def delivery(self, obj: Interaction) -> str:
        return getattr(obj, "delivery_status", None) or "—"


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """Audit events are read-only here: the trail is append-only."""

    list_display = ("id", "ticket", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("ticket", "actor")
    search_fields = ("=ticket__id", "kind")
    raw_id_fields = ("ticket", "actor")
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("filename", "content_type", "size", "interaction", "created_at")
    list_select_related = ("interaction",)
    search_fields = ("filename",)
    raw_id_fields = ("interaction",)
    show_full_result_count = False


@admin.register(IntakeKey)
class IntakeKeyAdmin(admin.ModelAdmin):
    list_display = ("source", "key", "ticket", "created_at")
    list_filter = ("source",)
    search_fields = ("key",)
    raw_id_fields = ("ticket",)
    list_select_related = ("ticket",)
    show_full_result_count = False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "accuracy", "macro_f1", "training_size", "promotion", "created_at")
    list_filter = ("is_active", "kind")
    readonly_fields = (
        "name",
        "kind",
        "file_path",
        "training_size",
        "accuracy",
        "macro_f1",
        "promotion",
        "holdout_report",
        "metrics",
        "labels",
        "is_active",
        "created_at",
    )
    actions = ["activate"]

    @admin.display(description="promotion")
    def promotion(self, obj: ModelVersion) -> str:
        decision = (obj.metrics or {}).get("promotion") or {}
        if not decision:
            return "—"
        return f"{'promoted' if decision.get('promoted') else 'not promoted'}: {decision.get('reason', '')}"

    @admin.display(description="held-out report: this version vs the version active when it was judged")
    def holdout_report(self, obj: ModelVersion) -> Any:
        holdout = (obj.metrics or {}).get("holdout") or {}
        candidate = holdout.get("candidate") or {}
        active = holdout.get("active") or {}
        if not candidate:
            return "— (not judged on the desk's held-out labels)"
        mine = (candidate.get("category") or {}).get("per_class") or {}
        theirs = (active.get("category") or {}).get("per_class") or {}

        def cells(report: dict[str, Any]) -> tuple[str, str, str, str]:
            if not report:
                return ("—", "—", "—", "—")
            return (f"{report['precision']:.2f}", f"{report['recall']:.2f}", f"{report['f1']:.2f}", str(report["support"]))

        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((label, *cells(mine.get(label, {})), *cells(theirs.get(label, {}))) for label in sorted(set(mine) | set(theirs))),
        )

        def summary(report: dict[str, Any]) -> str:
            category, prio = report.get("category") or {}, report.get("priority") or {}
            if not category:
                return "—"
            text = f"accuracy {category['accuracy']:.3f}, macro-F1 {category['macro_f1']:.3f} on {category['n']}"
            if prio.get("n"):
                text += f"; priority band error {prio['mean_band_error']:.3f}, exact {prio['exact']:.2f} on {prio['n']}"
            return text

        return format_html(
            '<table class="holdout-report"><thead><tr><th rowspan="2">category</th><th colspan="4">{}</th>'
            '<th colspan="4">{}</th></tr><tr><th>precision</th><th>recall</th><th>F1</th><th>support</th>'
            "<th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead><tbody>{}</tbody>"
            '<tfoot><tr><th>overall</th><td colspan="4">{}</td><td colspan="4">{}</td></tr></tfoot></table>',
            f"{obj.name} (candidate)",
            f"{active.get('name', 'no active version')} (active then)",
            rows,
            summary(candidate),
            summary(active),
        )

    def has_add_permission(self, request):
        return False  # versions come from training (train_classifier or the nightly retrain)

    @admin.action(description="Make the selected version the active classifier")
    def activate(self, request, queryset):
        from tickets.triage_service import activate_version

        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", level="error")
            return
        activate_version(queryset.get())
        self.message_user(request, "Activated; workers switch on their next ticket.")


@admin.register(TrainingLabel)
class TrainingLabelAdmin(admin.ModelAdmin):
    list_display = ("ticket", "field", "old_value", "new_value", "source", "actor", "created_at")
    list_filter = ("field", "source")
    raw_id_fields = ("ticket", "actor")
    list_select_related = ("ticket", "actor")
    show_full_result_count = False


@admin.register(TriageSettings)
class TriageSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "confidence_threshold", "auto_reply_min_score", "updated_at")

    def has_add_permission(self, request):
        return not TriageSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    """Polled IMAP mailboxes: what to read, and how the last poll went (its error stays until a poll succeeds)."""

    list_display = ("name", "username", "host", "folder", "is_active", "from_environment", "last_polled_at", "stored_count", "error")
    list_filter = ("is_active", "from_environment")
    search_fields = ("name", "username", "host")
    readonly_fields = (
        "from_environment",
        "last_polled_at",
        "last_success_at",
        "last_error_at",
        "last_error",
        "stored_count",
        "lease_until",
    )
    fields = ("name", "host", "port", "security", "username", "password_env", "folder", "is_active", *readonly_fields)

    @admin.display(description="Last error")
    def error(self, obj: Mailbox) -> str:
        return (obj.last_error.splitlines() or [""])[0][:120]
