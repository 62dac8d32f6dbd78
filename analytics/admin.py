from django.contrib import admin

from analytics.models import SatisfactionSurvey


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(admin.ModelAdmin):
    """CSAT answers as customers gave them (read-only: a rating is the customer's, not ours to edit)."""

    list_display = ("ticket", "rating", "answered_at", "sent_at", "agent", "team")
    list_filter = ("rating", "team")
    list_select_related = ("ticket", "agent__user", "team")
    search_fields = ("=ticket__id", "customer__email")
    raw_id_fields = ("ticket", "customer", "agent", "team", "category")
    readonly_fields = ("ticket", "customer", "nonce", "team", "agent", "category", "priority", "channel", "signals",
                       "created_at", "sent_at", "answered_at", "rating", "comment")  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
