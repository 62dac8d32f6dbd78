from django import forms
from django.contrib import admin
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone

from agents import routing_core
from agents.models import Agent, AgentReservation, AgentShift, AgentSkill, CapacityProfile, RoutingRule, RoutingRuleSkill, Skill, Team
from agents.services import in_business_hours, rule_spec
from foundation import patterns
from tickets.models import Category, Channel, CustomerTier, Priority


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "queue_order", "remind_pending_after_business_days", "close_resolved_after_days")
    list_filter = ("queue_order",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "queue_order")}),
        (
            "Auto-close",
            {
                "fields": ("remind_pending_after_business_days", "resolve_pending_after_business_days", "close_resolved_after_days"),
                "description": "Pending the customer: one reminder, then resolved with a note; resolved: closed later. "
                "Tickets with an open escalation are left alone.",
            },
        ),
    )
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1


class AgentShiftInline(admin.TabularInline):
    model = AgentShift
    extra = 0


@admin.register(CapacityProfile)
class CapacityProfileAdmin(admin.ModelAdmin):
    """Units per agent, a weight per channel and a multiplier per priority (validated in ``clean``)."""

    list_display = ("name", "total_units", "channel_weights", "priority_multipliers", "pending_frees_units")
    search_fields = ("name",)


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "availability", "capacity", "capacity_profile", "seniority", "time_zone")
    list_filter = ("availability", "seniority", "teams", "capacity_profile")
    list_select_related = ("user", "capacity_profile")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    filter_horizontal = ("teams",)
    inlines = [AgentSkillInline, AgentShiftInline]


@admin.register(AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ("agent", "skill", "level")
    list_filter = ("skill", "level")
    list_select_related = ("agent__user", "skill")
    search_fields = ("agent__user__username", "skill__name")


class RulePreviewForm(forms.Form):
    subject = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.P2)
    tier = forms.ChoiceField(choices=CustomerTier.choices, initial=CustomerTier.BRONZE)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.EMAIL)
    language = forms.CharField(max_length=8, required=False)


class RoutingRuleSkillInline(admin.TabularInline):
    """Skills beyond the category's: required, or optional with a priority and a timeout after which it is dropped."""

    model = RoutingRuleSkill
    extra = 0
    fields = ("skill", "min_level", "required", "priority", "relax_after_seconds")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """Rules are validated on save (a bad regex is a form error); "Test this rule" previews a match."""

    list_display = (
        "order", "name", "enabled", "continue_matching", "team", "required_skill", "set_priority", "mark_for_escalation", "pattern_status",
    )  # fmt: skip
    readonly_fields = ("disabled_reason",)
    list_display_links = ("name",)
    list_editable = ("order", "enabled")
    list_filter = ("enabled", "team")
    list_select_related = ("team", "required_skill")
    search_fields = ("name", "keyword_pattern")
    filter_horizontal = ("categories",)
    raw_id_fields = ("assign_agent",)
    inlines = [RoutingRuleSkillInline]
    fieldsets = (
        (None, {"fields": ("name", "order", "enabled", "disabled_reason", "continue_matching")}),
        (
            "Conditions (empty means any)",
            {"fields": ("categories", "priorities", "customer_tiers", "channels", "languages", "keyword_pattern", "business_hours")},
        ),
        (
            "Actions",
            {
                "fields": (
                    "team",
                    "required_skill",
                    "min_skill_level",
                    "set_priority",
                    "raise_priority_by",
                    "add_tags",
                    "assign_agent",
                    "mark_for_escalation",
                )
            },
        ),
    )
    change_form_template = "admin/agents/routingrule/change_form.html"

    @admin.display(description="pattern")
    def pattern_status(self, rule: RoutingRule) -> str:
        """A pattern written straight into the database is checked here too: such a rule never matches."""
        if rule.disabled_reason:
            return rule.disabled_reason
        return (patterns.pattern_problem(rule.keyword_pattern) or "ok") if rule.keyword_pattern else "—"

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [path("<int:pk>/preview/", preview, name="agents_routingrule_preview"), *super().get_urls()]

    def preview_view(self, request, pk):
        from django.core.exceptions import PermissionDenied

        rule = get_object_or_404(RoutingRule.objects.prefetch_related("categories"), pk=pk)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        form = RulePreviewForm(request.POST or None)
        result = None
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            facts = routing_core.TicketFacts(
                priority=data["priority"],
                category=data["category"].slug if data["category"] else None,
                tier=data["tier"],
                lifetime_value=0.0,
                channel=data["channel"],
                language=data["language"],
                subject=data["subject"],
                body=data["body"],
                in_business_hours=in_business_hours(timezone.now()),
            )
            try:
                mismatch = routing_core.rule_mismatch(rule_spec(rule, [c.slug for c in rule.categories.all()]), facts)
                result = {"matches": mismatch is None, "why": mismatch or "every condition holds"}
            except Exception as exc:  # noqa: BLE001 - a rule saved before validation existed
                result = {"matches": False, "why": f"rule cannot be evaluated: {exc}"}
        context = {
            **self.admin_site.each_context(request),
            "rule": rule,
            "form": form,
            "result": result,
            "opts": self.model._meta,
            "title": f"Test rule: {rule.name}",
        }
        template = (
            "admin/agents/routingrule/preview_result.html"
            if request.htmx and result is not None
            else "admin/agents/routingrule/preview.html"
        )
        return render(request, template, context)


@admin.register(AgentReservation)
class AgentReservationAdmin(admin.ModelAdmin):
    """Who routing holds for which urgent waiting ticket; deleting a row frees the agent at once."""

    list_display = ("agent", "ticket", "created_at")
    raw_id_fields = ("agent", "ticket")
    readonly_fields = ("agent", "ticket", "created_at")

    def has_add_permission(self, request: object) -> bool:
        return False  # holds are routing's decision
