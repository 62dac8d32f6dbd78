"""The public support form: no login, CSRF-protected, rate-limited per client address."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from foundation import ratelimit
from foundation.parsing import parse_id
from helpcenter.markdown import excerpt
from helpcenter.models import KnowledgeArticle
from helpcenter.services import record_deflection
from helpcenter.suggestions import article_index
from tickets.forms import SupportRequestForm
from tickets.models import Channel
from tickets.services import receive_contact

THANKS_SALT = "tickets.support-thanks"


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _over_rate_limit(request: HttpRequest) -> bool:
    """Fixed windows per minute and per hour; counted only for submissions."""
    address = _client_address(request)
    for window, limit in ((60, settings.WEB_FORM_RATE_PER_MINUTE), (3600, settings.WEB_FORM_RATE_PER_HOUR)):
        if ratelimit.hit(f"webform:{window}:{address}", window=window) > limit:
            return True
    return False


@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest) -> HttpResponse:
    form = SupportRequestForm(request.POST or None)
    if request.method == "POST":
        if _over_rate_limit(request):
            return render(request, "tickets/support_new.html", {"form": form, "rate_limited": True}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = receive_contact(
                    channel=Channel.WEB_FORM,
                    customer_email=data["email"],
                    customer_name=data["name"],
                    subject=data["subject"],
                    body=data["description"],
                    shown_articles=[pk for pk in map(parse_id, request.POST.getlist("shown")[:10]) if pk is not None],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                token = signing.dumps(result.ticket.pk, salt=THANKS_SALT)
                return redirect("support-thanks", token=token)
        return render(request, "tickets/support_new.html", {"form": form}, status=400)
    return render(request, "tickets/support_new.html", {"form": form})


def support_thanks(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket_id = signing.loads(token, salt=THANKS_SALT, max_age=3600)
    except signing.BadSignature:
        return render(request, "tickets/support_thanks.html", {"invalid": True}, status=400)
    return render(request, "tickets/support_thanks.html", {"reference": f"#{ticket_id}"})


SUGGESTION_LIMIT = 3


@require_http_methods(["GET"])
def support_suggest(request: HttpRequest) -> HttpResponse:
    """htmx: the help articles that best match what the customer has typed so far."""

    if ratelimit.hit(f"suggest:{_client_address(request)}", window=60) > settings.SUGGEST_RATE_PER_MINUTE:
        # Public and a search each: limited per address. The form still works, only without suggestions.
        return render(request, "tickets/_suggestions.html", {"suggestions": []}, status=429)
    text = f"{request.GET.get('subject', '')[:300]}\n{request.GET.get('description', '')[:3000]}"
    ids = [pk for pk, _ in article_index().suggest(text, top=SUGGESTION_LIMIT)] if len(text.strip()) >= 8 else []
    found = {a.pk: a for a in KnowledgeArticle.objects.filter(pk__in=ids, is_published=True)}
    articles = [{"article": found[pk], "excerpt": excerpt(found[pk].body)} for pk in ids if pk in found]
    return render(request, "tickets/_suggestions.html", {"suggestions": articles})


@require_http_methods(["POST"])
def support_deflected(request: HttpRequest) -> HttpResponse:
    """ "This solved my problem": counted as a deflected contact; no ticket is created."""

    if _over_rate_limit(request):
        return render(request, "tickets/support_new.html", {"form": SupportRequestForm(request.POST), "rate_limited": True}, status=429)
    deflection = record_deflection(article_id=request.POST.get("article", ""), subject=request.POST.get("subject", ""))
    if deflection is None:
        return render(request, "tickets/support_deflected.html", {"invalid": True}, status=400)
    return render(request, "tickets/support_deflected.html", {"article": deflection.article})
