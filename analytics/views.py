"""The public CSAT survey (signed link, no login)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from analytics import csat


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
