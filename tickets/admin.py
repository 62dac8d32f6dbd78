from django.contrib import admin

from tickets.models import Category, Customer, Interaction, Ticket, TicketEvent


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "organization", "tier", "lifetime_value", "created_at")
    list_filter = ("tier",)
    search_fields = ("name", "email", "organization")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "skill", "is_active")
    list_filter = ("is_active", "skill")
    list_select_related = ("skill",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class InteractionInline(admin.TabularInline):
    model = Interaction
    extra = 0
    fields = ("created_at", "author_kind", "channel", "is_internal", "body")
    readonly_fields = ("created_at",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "status", "priority", "category", "channel", "customer", "team", "assignee", "created_at")
    list_filter = ("status", "priority", "channel", "category", "team")
    list_select_related = ("category", "customer", "team", "assignee__user")
    search_fields = ("=id", "subject", "customer__email")
    raw_id_fields = ("customer", "assignee")
    date_hierarchy = "created_at"
    show_full_result_count = False  # an exact count of millions of rows costs more than the page
    inlines = [InteractionInline]


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "author_kind", "channel", "is_internal", "created_at")
    list_filter = ("author_kind", "channel", "is_internal")
    list_select_related = ("ticket",)
    search_fields = ("=ticket__id", "external_message_id")
    raw_id_fields = ("ticket", "author")
    show_full_result_count = False


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
