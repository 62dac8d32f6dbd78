from django.contrib import admin

from foundation.models import BusinessCalendar, BusinessHours, Heartbeat, Holiday


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
