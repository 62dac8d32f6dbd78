from django.contrib import admin

from notifications.models import AgentNotification, EmailPreference


@admin.register(AgentNotification)
class AgentNotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "text", "read_at")
    list_filter = ("kind",)
    raw_id_fields = ("recipient", "ticket", "actor")
    readonly_fields = ("dedupe_key",)


@admin.register(EmailPreference)
class EmailPreferenceAdmin(admin.ModelAdmin):
    list_display = ("agent", "kind")
    list_filter = ("kind",)
