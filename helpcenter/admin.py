from django.contrib import admin

from helpcenter.models import ArticleVote, Deflection, KnowledgeArticle, Macro, SearchLog


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    """Articles in markdown; drafts (not published) are hidden from customers and never suggested."""

    list_display = ("title", "category", "is_published", "helpful_count", "not_helpful_count", "updated_at")
    list_filter = ("is_published", "category")
    list_select_related = ("category",)
    search_fields = ("title", "body")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = ("helpful_count", "not_helpful_count")


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "article", "subject", "channel")
    list_select_related = ("article",)
    readonly_fields = ("article", "subject", "channel", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(SearchLog)
class SearchLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "query", "results")
    list_filter = ("results",)
    search_fields = ("query",)
    readonly_fields = ("query", "results", "created_at")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("created_at", "article", "helpful")
    list_filter = ("helpful",)
    list_select_related = ("article",)
    readonly_fields = ("article", "voter", "helpful", "created_at")

    def has_add_permission(self, request):
        return False


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin):
    """Canned replies; the body is checked at save (only allowed placeholders, no template tags)."""

    list_display = ("name", "scope", "team", "owner", "is_active", "usage_count", "updated_at")
    list_filter = ("is_active", "team")
    list_select_related = ("team", "owner__user")
    search_fields = ("name", "body")
    readonly_fields = ("usage_count", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "body", "is_active")}),
        ("Who may use it", {"fields": ("owner", "team"), "description": "An owner: personal. A team: its members. Neither: everyone."}),
        ("Actions", {"fields": ("set_status", "set_priority", "set_category", "add_tags", "set_team")}),
        ("Suggested for", {"fields": ("for_category", "for_article")}),
        ("Usage", {"fields": ("usage_count", "created_at", "updated_at")}),
    )
