"""Macros in the console: applying one to a ticket (the reply box's picker), and the supervisors' list and form.

The picker itself is the workspace page (``console.views.ticket_workspace``) plus
``static/js/console.js``; a reply sent with a macro chosen comes through ``console-reply``
with the macro's id, so the agent's edits are what is sent and the actions apply with it.
Without JavaScript each macro is a plain form that applies it as it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from console.views import HtmxHttpRequest, _done, _failed, _ticket_or_404, agent_view, supervisor_view
from foundation.parsing import parse_id
from helpcenter import macros as macro_services
from helpcenter.models import Macro, clean_macro_tags


@agent_view
@require_POST
def ticket_apply_macro(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Apply a macro as it is (the no-JavaScript path; the picker sends the edited reply through console-reply)."""
    ticket = _ticket_or_404(request, pk)
    macro = macro_services.usable_macro(user=request.user, macro_id=parse_id(request.POST.get("macro")))
    if macro is None:
        return _failed(request, ticket, ValidationError("Choose a macro you may use."))
    try:
        macro_services.apply_macro(macro=macro, ticket=ticket, by=request.user)
    except (ValidationError, PermissionDenied) as exc:
        return _failed(request, ticket, exc)
    return _done(request, ticket, f"Macro “{macro.name}” applied.")


class TagsField(forms.CharField):
    """Tags typed as ``refund, vip``; stored as a sorted list."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value)
        try:
            return clean_macro_tags(text.split(",")) if text else []
        except ValidationError as exc:  # keyed by the model field; the form puts it on this field itself
            raise ValidationError(exc.messages) from None

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


class MacroForm(forms.ModelForm):
    add_tags = TagsField(required=False, max_length=600, help_text="Comma-separated.")

    class Meta:
        model = Macro
        fields = [
            "name",
            "body",
            "is_active",
            "owner",
            "team",
            "set_status",
            "set_priority",
            "set_category",
            "add_tags",
            "set_team",
            "for_category",
            "for_article",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}


@supervisor_view
@require_http_methods(["GET"])
def macro_list(request: HtmxHttpRequest) -> HttpResponse:
    macros = Macro.objects.select_related("owner__user", "team", "set_category", "set_team").order_by("name", "pk")
    return render(request, "agents/macros.html", {"macros": macros})


@supervisor_view
@require_http_methods(["GET", "POST"])
def macro_edit(request: HtmxHttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or change a macro; the body is checked by the placeholder renderer (the model's ``clean``)."""
    macro = get_object_or_404(Macro, pk=pk) if pk is not None else None
    form = MacroForm(request.POST if request.method == "POST" else None, instance=macro)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"Macro “{saved.name}” saved.")
        return redirect("console-macros")
    return render(request, "agents/macro_form.html", {"form": form, "macro": macro}, status=400 if form.errors else 200)
