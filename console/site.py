"""Project-level views: health check, the signed-in home page and the admin audit log."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from foundation import audit
from foundation.health import health_report, public_checks
from foundation.parsing import InputError, clean_text, strict_id
from tickets.selectors import ticket_changes


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, broker and worker are up, 503 otherwise; JSON says which.

    Anyone (a load balancer, a monitor) sees each check's verdict; only staff see the details
    (error texts, mailbox names, transports, heartbeat ages), which name internals an outsider
    should not learn."""
    healthy, checks = health_report()
    if not (request.user.is_authenticated and request.user.is_staff):
        checks = public_checks(checks)
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Agents and supervisors start in the console; other accounts see what they may do."""
    if request.user.has_perm("tickets.view_ticket"):
        return redirect("console-home")
    return render(request, "escalation/home.html")


def _optional_id(value: str | None, field: str) -> int | None:
    return strict_id(value, field=field) if value else None  # InputError → 400 below


@login_required
@permission_required("escalation.view_audit", raise_exception=True)
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Admins only: who changed what and when, for tickets and for configuration."""
    source = request.GET.get("source", "tickets")
    if source not in ("tickets", "config"):
        return HttpResponseBadRequest("source must be tickets or config")
    actor = clean_text(request.GET.get("actor"), max_length=150).strip()
    try:
        before = _optional_id(request.GET.get("before"), "before")
        ticket_id = _optional_id(request.GET.get("ticket"), "ticket")
    except InputError as error:
        return HttpResponseBadRequest(error.message)
    if source == "tickets":
        kind = clean_text(request.GET.get("kind"), max_length=40).strip()
        page = ticket_changes(before=before, actor=actor, kind=kind, ticket_id=ticket_id)
    else:
        kind = ""
        page = audit.config_changes(before=before, actor=actor)
    filters = {k: v for k, v in (("source", source), ("actor", actor), ("kind", kind), ("ticket", ticket_id or "")) if v}
    return render(request, "escalation/audit.html", {"source": source, "page": page, "filters": filters})
