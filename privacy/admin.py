"""Admin: *Export personal data* and *Erase personal data* on customers, and the list of privacy requests."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from privacy import services
from privacy.models import PrivacyRequest
from tickets.admin import CustomerAdmin
from tickets.models import Customer


@admin.action(description="Export personal data (ZIP)", permissions=["view"])
def export_personal_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse | None:
    if queryset.count() != 1:
        modeladmin.message_user(request, "Choose exactly one customer to export.", messages.ERROR)
        return None
    customer = queryset.get()
    response = HttpResponse(services.export_customer(customer=customer, by=request.user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-export.zip"'
    return response


@admin.action(description="Erase personal data…", permissions=["delete"])
def erase_personal_data(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Customer]) -> TemplateResponse | None:
    if request.POST.get("confirm") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": "Erase personal data?",
            "customers": list(queryset),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        }
        return TemplateResponse(request, "privacy/confirm_erase.html", context)
    for customer in queryset:
        services.erase_customer(customer=customer, by=request.user)
    modeladmin.message_user(request, f"Erased the personal data of {len(queryset)} customer(s).", messages.SUCCESS)
    return None


admin.site.unregister(Customer)


@admin.register(Customer)
class PrivacyCustomerAdmin(CustomerAdmin):
    """The customers' admin (``tickets.admin``) with the two privacy actions; registered here, the layer that reaches every table."""

    actions = [export_personal_data, erase_personal_data]


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "customer_id", "by")
    list_filter = ("kind",)
    readonly_fields = ("kind", "customer_id", "by", "counts", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
