from typing import Any

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from foundation import outbox
from foundation.models import WEBHOOK_EVENTS, BusinessCalendar, BusinessHours, Heartbeat, Holiday, OutboxMessage, WebhookSubscription


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Every outgoing message (replies, notifications, surveys, auto-replies): delivery state, and *send again* for failed ones."""

    list_display = ("id", "kind", "channel", "recipient", "subject", "status", "attempts", "short_error", "created_at", "sent_at")
    list_filter = ("kind", "status", "channel")
    search_fields = ("=recipient", "=dedupe_key")  # e.g. "reply:123", "survey:45"
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    show_full_result_count = False
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="last error")
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error[:80]

    @admin.action(description="Send the selected failed messages again", permissions=["change"])
    def send_again(self, request, queryset):
        selected = list(queryset.values_list("pk", flat=True))
        queued = outbox.send_again(message_ids=selected)
        skipped = len(selected) - len(queued)
        self.message_user(
            request, f"{len(queued)} message(s) queued again" + (f"; {skipped} skipped (not failed)." if skipped else "."), messages.SUCCESS
        )


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https", help_text=WebhookSubscription._meta.get_field("url").help_text)
    events = forms.MultipleChoiceField(choices=WEBHOOK_EVENTS, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "events", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Outgoing webhooks: a URL, the events it is told of, and its signing secret (made at creation, shown here)."""

    form = WebhookSubscriptionForm
    list_display = ("name", "url", "is_active", "event_list", "deliveries")
    list_filter = ("is_active",)
    readonly_fields = ("secret", "created_at", "deliveries")

    def get_fields(self, request: Any, obj: WebhookSubscription | None = None) -> Any:
        fields = ["name", "url", "events", "is_active"]
        return fields + (["secret", "created_at", "deliveries"] if obj is not None else [])

    @admin.display(description="events")
    def event_list(self, obj: WebhookSubscription) -> str:
        return ", ".join(obj.events)

    @admin.display(description="delivery log")
    def deliveries(self, obj: WebhookSubscription) -> str:
        url = reverse("admin:foundation_outboxmessage_changelist")
        return format_html('<a href="{}?kind=webhook&amp;ref_id={}">deliveries</a>', url, obj.pk)
