"""The public CSAT survey (signed link, no login) and the supervisor dashboards."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from agents.models import Team
from analytics import csat, export, selectors


@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the form (opening a link records nothing); POST records the answer once."""
    template = "analytics/survey.html"
    try:
        found = csat.survey_for_token(token)
    except csat.SurveyLinkError as problem:
        return render(request, template, {"problem": str(problem), "status": problem.status}, status=problem.status)
    context = {"survey": found, "scale": range(1, 6), "chosen": _rating(request.GET.get("rating")), "comment": ""}
    if request.method == "POST":
        try:
            answer = csat.answer(token=token, rating=request.POST.get("rating"), comment=request.POST.get("comment", ""))
        except csat.SurveyLinkError as problem:
            return render(request, template, {"problem": str(problem), "status": problem.status}, status=problem.status)
        except ValidationError as error:
            context.update(form_error=" ".join(error.messages), comment=request.POST.get("comment", "")[:2000])
            return render(request, template, context, status=400)
        thanks = {"thanks": True, "rating": answer.survey.rating, "followed_up": answer.followed_up, "ticket_id": answer.survey.ticket_id}
        return render(request, template, thanks)
    return render(request, template, context)


def _rating(value: str | None) -> int | None:
    return int(value) if value in {"1", "2", "3", "4", "5"} else None


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
@require_GET
def dashboard(request: HttpRequest, name: str) -> HttpResponse:
    """One supervisor dashboard: filters by date range, team and breakdown; ``?format=csv`` exports it."""
    if name not in selectors.DASHBOARDS:
        raise Http404("No such dashboard.")
    title, build = selectors.DASHBOARDS[name]
    context: dict[str, Any] = {
        "name": name,
        "title": title,
        "dashboards": [(key, label) for key, (label, _) in selectors.DASHBOARDS.items()],
        "breakdowns": selectors.BREAKDOWNS[name],
        "teams": Team.objects.order_by("name").values_list("pk", "name"),
        "params": request.GET,
    }
    try:
        filters = selectors.parse_filters(request.GET, name)
    except ValidationError as error:
        if request.GET.get("format") == "csv":
            return HttpResponseBadRequest("; ".join(error.messages), content_type="text/plain")
        context["errors"] = error.messages
        return render(request, "analytics/dashboard.html", context, status=400)
    data = build(filters)
    if request.GET.get("format") == "csv":
        return export.csv_response(f"{name}-{filters.start}-{filters.end}.csv", data, filters.by)
    context.update(filters=filters, data=data, csv_query=urlencode({**filters.as_query(), "format": "csv"}))
    template = "analytics/dashboard.html#content" if getattr(request, "htmx", False) else "analytics/dashboard.html"
    return render(request, template, context)


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
@require_GET
def dashboards_home(request: HttpRequest) -> HttpResponse:
    return redirect("console-dashboard", name="sla")
