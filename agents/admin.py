from django.contrib import admin

from agents.models import Agent, AgentSkill, Skill, Team


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
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


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "availability", "capacity", "seniority", "time_zone")
    list_filter = ("availability", "seniority", "teams")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    filter_horizontal = ("teams",)
    inlines = [AgentSkillInline]


@admin.register(AgentSkill)
class AgentSkillAdmin(admin.ModelAdmin):
    list_display = ("agent", "skill", "level")
    list_filter = ("skill", "level")
    list_select_related = ("agent__user", "skill")
    search_fields = ("agent__user__username", "skill__name")
