from django.contrib import admin

from escalation.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("component", "hostname", "last_seen_at")
    list_filter = ("component",)
    readonly_fields = ("component", "hostname", "last_seen_at")

    def has_add_permission(self, request):
        return False
