from django.contrib import admin

from escalation_engine import notifications
from escalation_engine.models import (
    Escalation,
    EscalationRule,
    EscalationSettings,
    ForecastCalibration,
    Notification,
    SlaPolicy,
    WhatIfRun,
)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "priority",
        "customer_tier",
        "team",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "calendar",
        "is_active",
    )
    list_filter = ("priority", "is_active", "calendar")
    list_select_related = ("team", "calendar")


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "enabled", "recommendation", "tier", "reassign_team", "raise_priority_to", "notify")
    list_display_links = ("name",)
    list_editable = ("order", "enabled")
    list_filter = ("enabled", "recommendation", "tier")
    list_select_related = ("reassign_team",)
    filter_horizontal = ("categories",)


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "tier", "status", "score", "recommendation", "sla_breached_at_escalation", "created_at")
    list_filter = ("status", "tier", "recommendation")
    list_select_related = ("ticket",)
    raw_id_fields = ("ticket", "decided_by")
    search_fields = ("=ticket__id",)
    show_full_result_count = False


@admin.register(EscalationSettings)
class EscalationSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "immediate_threshold", "priority_threshold", "recheck_minutes")

    def has_add_permission(self, request):
        return not EscalationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Who was told about each escalation, with the delivery state from the outbox (*send again* is in *Outgoing messages*)."""

    list_display = ("id", "escalation", "channel", "target", "delivery", "attempts", "short_error", "created_at", "sent_at")
    list_filter = ("channel",)
    list_select_related = ("escalation",)
    raw_id_fields = ("escalation",)
    readonly_fields = ("escalation", "channel", "target", "created_at")
    search_fields = ("=escalation__ticket_id", "target")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return notifications.with_delivery(super().get_queryset(request))

    @admin.display(description="status", ordering="delivery_status")
    def delivery(self, obj: Notification) -> str:
        return getattr(obj, "delivery_status", None) or "—"

    @admin.display(description="attempts")
    def attempts(self, obj: Notification) -> int:
        return getattr(obj, "delivery_attempts", None) or 0

    @admin.display(description="last error")
    def short_error(self, obj: Notification) -> str:
        return (getattr(obj, "delivery_error", None) or "")[:80]

    @admin.display(description="sent at")
    def sent_at(self, obj: Notification) -> object:
        return getattr(obj, "delivery_sent_at", None)


from escalation_engine.models import SatisfactionModel  # noqa: E402


class WrittenByTasksAdmin(admin.ModelAdmin):
    """Read-only for everyone, admins too: rows a task writes (add, change, delete: refused)."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SatisfactionModel)
class SatisfactionModelAdmin(WrittenByTasksAdmin):
    """Satisfaction models trained from answered surveys (the newest predicts); written only by the training task."""

    list_display = ("id", "trained_at", "trained_on", "intercept")
    readonly_fields = ("trained_at", "trained_on", "intercept", "weights", "means")


@admin.register(WhatIfRun)
class WhatIfRunAdmin(WrittenByTasksAdmin):
    """What-if runs kept for supervisors (asked for at /console/whatif/, played by the worker); admins may read and delete them."""

    list_display = ("id", "status", "progress", "requested_by", "period_start_at", "period_end_at", "created_at", "finished_at")
    list_filter = ("status",)
    list_select_related = ("requested_by",)
    search_fields = ("=id", "requested_by__username")
    readonly_fields = [field.name for field in WhatIfRun._meta.fields]

    def has_delete_permission(self, request, obj=None):
        return admin.ModelAdmin.has_delete_permission(self, request, obj)  # admins may clear old runs


@admin.register(ForecastCalibration)
class ForecastCalibrationAdmin(WrittenByTasksAdmin):
    """The breach forecast's calibration fits (daily task); the newest adopted one is in use. Written only by the task."""

    list_display = ("fitted_at", "adopted", "samples", "breaches", "held_out", "brier_queue", "brier_calibrated", "note")
    list_filter = ("adopted",)
    readonly_fields = [field.name for field in ForecastCalibration._meta.fields]
