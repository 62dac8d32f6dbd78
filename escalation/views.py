"""Project-level views: health check and the signed-in home page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation.health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when database, broker and worker are up, 503 otherwise; JSON says which."""
    healthy, checks = health_report()
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Agents and supervisors start in the console; other accounts see what they may do."""
    if request.user.has_perm("tickets.view_ticket"):
        return redirect("console-home")
    return render(request, "escalation/home.html")
