from django.contrib import admin

from escalation.models import (
    BusinessCalendar,
    BusinessHours,
    Escalation,
    EscalationRule,
    EscalationSettings,
    Heartbeat,
    Holiday,
    SlaPolicy,
)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("component", "hostname", "last_seen_at")
    list_filter = ("component",)
    readonly_fields = ("component", "hostname", "last_seen_at")

    def has_add_permission(self, request):
        return False


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    """Weekly hours (several rows per day for split shifts) and holidays; import holidays with `manage.py import_holidays`."""

    list_display = ("name", "time_zone", "is_24x7", "is_default")
    inlines = [BusinessHoursInline, HolidayInline]


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
