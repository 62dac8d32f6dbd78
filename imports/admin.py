from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join

from imports import services
from imports.models import ImportedTicket, ImportFormat, ImportRun
from imports.sources import SourceError, load_mapping


class ImportRunForm(forms.ModelForm):
    format = forms.ChoiceField(
        choices=[c for c in ImportFormat.choices if c[0] != ImportFormat.HELPDESK],
        help_text="A django-helpdesk database is imported with: manage.py import_tickets URL --format helpdesk",
    )

    class Meta:
        model = ImportRun
        fields = ("format", "file", "mapping", "source_name", "dry_run")

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not upload:
            raise forms.ValidationError("Upload the export file.")
        return upload

    def clean_mapping(self) -> str:
        text = self.cleaned_data.get("mapping") or ""
        try:
            load_mapping(text)
        except SourceError as error:
            raise forms.ValidationError(str(error)) from None
        return text


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Upload an export; a worker imports it in the background. Reload the page to follow its progress."""

    list_display = ("__str__", "status", "progress", "created", "updated", "unchanged", "failed", "dry_run", "created_at")
    list_filter = ("status", "format", "dry_run")
    readonly_fields = ("status", "progress", "total", "processed", "created", "updated", "unchanged", "failed", "bad_rows",
                       "message", "started_by", "created_at", "finished_at")  # fmt: skip
    exclude = ("errors",)

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ImportRunForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is None:
            return ["format", "file", "mapping", "source_name", "dry_run"]
        return ["format", "file", "source_name", "dry_run", *self.readonly_fields]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return ("format", "file", "source_name", "dry_run", "mapping", *self.readonly_fields)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    @admin.display(description="progress")
    def progress(self, obj: ImportRun) -> str:
        return format_html('<progress max="100" value="{}"></progress> {} % ({} / {})', obj.percent, obj.percent, obj.processed,
                           obj.total or "?")  # fmt: skip

    @admin.display(description="bad rows (line: reason)")
    def bad_rows(self, obj: ImportRun) -> str:
        if not obj.errors:
            return "none"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>line {}: {} ({})</li>",
                           ((e.get("line"), e.get("reason"), e.get("id")) for e in obj.errors)))  # fmt: skip

    def save_model(self, request: Any, obj: ImportRun, form: Any, change: bool) -> None:
        if not change:
            obj.started_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            services.queue_import(run=obj)


@admin.register(ImportedTicket)
class ImportedTicketAdmin(admin.ModelAdmin):
    """Which source id became which ticket (read-only: it is what makes a re-run idempotent)."""

    list_display = ("source", "external_id", "ticket", "imported_at", "updated_at")
    list_filter = ("source",)
    search_fields = ("=external_id", "=ticket__id")
    raw_id_fields = ("ticket",)
    show_full_result_count = False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
