"""The supervisors' What-if pages: the runs (newest first), a new run, one run with its progress and result, its CSV.

Supervisors only (``supervisor_view``: agents get 403, anonymous users the sign-in page). Runs
are the desk's, not their author's: every supervisor sees every run (the list says who asked),
as they plan the same desk. A run is played by the worker (``escalation_engine.whatif_runs``);
its page polls with htmx while it is queued or running (the same view renders the fragment)
and, once done, shows baseline and scenario side by side with server-drawn SVG charts. The
numbers are the stored result, which is what ``manage.py whatif --json`` prints.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import EmptyPage, Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from agents.models import Agent
from analytics.export import safe_cell
from console.views import HtmxHttpRequest, supervisor_view
from escalation_engine import whatif_runs
from escalation_engine.models import WhatIfRun
from escalation_engine.whatif import ScenarioError, parse_day
from foundation.parsing import InputError, loads_json, parse_int

PAGE_SIZE = 20
SCENARIO_MAX_CHARS = 20_000
MAX_CHART_AGENTS = 40  # beyond this a per-agent chart is unreadable; the table still lists every agent


class WhatIfForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}), help_text="Tickets created from this day …")
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}), help_text="… up to this day (exclusive), UTC.")
    scenario = forms.CharField(
        max_length=SCENARIO_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
        help_text="A JSON object; every key optional (README: What-if on your own history).",
    )
    seed = forms.IntegerField(min_value=0, max_value=whatif_runs.MAX_SEED, initial=1)

    def clean_scenario(self) -> Any:
        try:
            return loads_json(self.cleaned_data["scenario"], field="scenario")
        except InputError as error:
            raise forms.ValidationError(error.message) from None

    def period(self) -> tuple[datetime, datetime]:
        """The days as the command reads ``--from``/``--to``: midnight UTC."""
        start: date = self.cleaned_data["start"]
        end: date = self.cleaned_data["end"]
        return parse_day(start.isoformat()), parse_day(end.isoformat())


def example_scenario() -> str:
    """A scenario that runs on this desk as it is: one more agent like the first one."""
    first = Agent.objects.select_related("user").order_by("pk").first()
    example: dict[str, Any] = {"name": "as it is"}
    if first is not None:
        example = {"name": f"one more like {first.user.get_username()}", "add_agents": [{"like": first.user.get_username(), "count": 1}]}
    return json.dumps(example, indent=2)


@supervisor_view
@require_GET
def whatif_list(request: HtmxHttpRequest) -> HttpResponse:
    raw = request.GET.get("page", "1")
    number = parse_int(raw, minimum=1, maximum=1_000_000)
    if number is None:
        return HttpResponseBadRequest("page must be a whole number from 1.", content_type="text/plain")
    paginator = Paginator(whatif_runs.recent_runs(), PAGE_SIZE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        raise Http404("No such page of what-if runs.") from None
    return render(request, "agents/whatif_list.html", {"page": page})


@supervisor_view
@require_http_methods(["GET", "POST"])
def whatif_new(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the form (the last two weeks, an example scenario); POST: checked like the command, queued, then its page."""
    if request.method != "POST":
        today = timezone.now().date()
        initial = {"start": today - timedelta(days=14), "end": today, "scenario": example_scenario(), "seed": 1}
        return render(request, "agents/whatif_new.html", {"form": WhatIfForm(initial=initial)})
    form = WhatIfForm(request.POST)
    if form.is_valid():
        since, until = form.period()
        try:
            run = whatif_runs.request_run(
                by=request.user, since=since, until=until, scenario=form.cleaned_data["scenario"], seed=form.cleaned_data["seed"]
            )
        except ScenarioError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"What-if run {run.pk} queued: the worker plays it now.")
            return redirect("console-whatif", run.pk)
    return render(request, "agents/whatif_new.html", {"form": form}, status=400)


@supervisor_view
@require_GET
def whatif_run(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(WhatIfRun.objects.select_related("requested_by"), pk=pk)
    context: dict[str, Any] = {
        "run": run,
        "rows": whatif_runs.result_rows(run),
        "charts": charts(run),
        "scenario_json": json.dumps(run.scenario, indent=2, ensure_ascii=False),
    }
    if request.htmx:
        return render(request, "agents/whatif_run.html#status", context)
    return render(request, "agents/whatif_run.html", context)


@supervisor_view
@require_GET
def whatif_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The page's table as CSV: measure, baseline, scenario (raw numbers; empty where there is none)."""
    run = get_object_or_404(WhatIfRun, pk=pk)
    if run.status != WhatIfRun.Status.DONE:
        return HttpResponse(f"What-if run {run.pk} is {run.status}: no result yet.", status=409, content_type="text/plain")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["measure", "baseline", "scenario"])
    for measure, base, other in whatif_runs.result_rows(run):
        writer.writerow([safe_cell(measure), safe_cell(base), safe_cell(other)])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="whatif-{run.pk}.csv"'
    return response


def charts(run: WhatIfRun) -> list[dict[str, Any]]:
    """The result's charts as (label, baseline, scenario) groups; ``console_tags.paired_bars`` draws them."""
    if run.status != WhatIfRun.Status.DONE or not run.result:
        return []
    base, other = run.result["baseline"], run.result["scenario_result"]
    priorities = sorted(set(base["by_priority"]) | set(other["by_priority"]))

    def per_priority(read: Any) -> list[tuple[str, Any, Any]]:
        return [(p, read(base["by_priority"].get(p, {})), read(other["by_priority"].get(p, {}))) for p in priorities]

    def per(scope: str) -> list[tuple[str, Any, Any]]:
        names = sorted(set(base["utilization"][scope]) | set(other["utilization"][scope]))
        return [(n, base["utilization"][scope].get(n), other["utilization"][scope].get(n)) for n in names]

    found = [
        {"title": "First-response compliance per priority", "groups": per_priority(lambda g: g.get("first_response_compliance")),
         "percent": True},
        {"title": "Median first-response wait per priority (minutes)",
         "groups": per_priority(lambda g: g.get("first_response_wait_minutes", {}).get("median")), "percent": False},
        {"title": "Median resolution wait per priority (minutes)",
         "groups": per_priority(lambda g: g.get("resolution_wait_minutes", {}).get("median")), "percent": False},
        {"title": "Utilization per team", "groups": per("teams"), "percent": True},
    ]  # fmt: skip
    agents = per("agents")
    if len(agents) <= MAX_CHART_AGENTS:
        found.append({"title": "Utilization per agent", "groups": agents, "percent": True})
    return found
