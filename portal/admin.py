from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from portal.models import Organization, OrganizationAdmin, OrganizationDomain


class DomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1
    readonly_fields = ("verified_at", "verified_by")


class CustomerAdminInline(admin.TabularInline):
    model = OrganizationAdmin
    extra = 1
    raw_id_fields = ("customer",)


@admin.register(Organization)
class OrganizationModelAdmin(admin.ModelAdmin):
    """Organizations for the customer portal: only verified domains count, only the listed customer admins see them."""

    list_display = ("name", "created_at")
    search_fields = ("name", "domains__domain")
    inlines = [DomainInline, CustomerAdminInline]


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(admin.ModelAdmin):
    list_display = ("domain", "organization", "verified_at", "verified_by")
    list_filter = ("verified_at",)
    list_select_related = ("organization", "verified_by")
    search_fields = ("domain",)
    readonly_fields = ("verified_at", "verified_by")
    actions = ["verify"]

    @admin.action(description="Mark the selected domains verified (you checked the organization owns them)")
    def verify(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.filter(verified_at__isnull=True).update(verified_at=timezone.now(), verified_by=request.user)
        self.message_user(request, f"{count} domain(s) verified.", messages.SUCCESS)
