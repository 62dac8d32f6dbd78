"""The customer portal: sign in by e-mailed link, then the customer's own tickets only.

Every page below the sign-in pages needs a customer session (``customer_required``); a
ticket is looked up by id *and* the session's customer, so another customer's id answers
404 like a ticket that does not exist. Refusals are pages with a 4xx status, never a 500.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from analytics import csat
from foundation import ratelimit
from foundation.parsing import parse_id, parse_int
from foundation.queue import enqueue
from portal import selectors, services
from portal.models import CustomerSession
from tickets import links
from tickets.forms import SupportRequestForm
from tickets.models import Channel
from tickets.services import receive_contact

COOKIE = "escalation_portal"
COOKIE_PATH = "/portal/"
View = Callable[..., HttpResponse]


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "unknown")


def _problem(request: HttpRequest, message: str, status: int, *, title: str = "") -> HttpResponse:
    return render(request, "portal/problem.html", {"problem": message, "status": status, "title": title}, status=status)


def _session(request: HttpRequest) -> CustomerSession | None:
    return services.session_for_key(request.COOKIES.get(COOKIE))


def customer_required(view: View) -> View:
    """The view runs only with a live customer session (``request.portal``); otherwise the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        session = _session(request)
        if session is None:
            return redirect("portal-sign-in")
        request.portal = session  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped


def _over(key: str, limit: int) -> bool:
    return ratelimit.hit(key, window=3600) > limit


@require_http_methods(["GET", "POST"])
def sign_in_request(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. The answer is the same whether or not the address is known."""
    template = "portal/sign_in.html"
    if request.method == "GET":
        if _session(request) is not None:
            return redirect("portal-home")
        return render(request, template, {})
    raw = request.POST.get("email", "")
    try:
        email = services.normalize_email(raw)
    except ValidationError as error:
        return render(request, template, {"error": " ".join(error.messages), "email": str(raw)[:254]}, status=400)
    # Both limits count every request, known address or not, so neither tells which addresses exist.
    address_key = hashlib.sha256(email.encode()).hexdigest()
    over_client = _over(f"portal-link:client:{_client_address(request)}", settings.PORTAL_LINK_RATE_PER_CLIENT)
    over_address = _over(f"portal-link:address:{address_key}", settings.PORTAL_LINK_RATE_PER_ADDRESS)
    if over_client or over_address:
        message = "Too many sign-in links were asked for in the last hour. Please wait a while, then use the newest link you received."
        return render(request, template, {"error": message, "email": email, "rate_limited": True}, status=429)
    # The look-up happens in the task: known or not, this request does the same work.
    enqueue("portal.send_sign_in_link", email)
    return render(request, template, {"sent": True, "email": email})


@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (opening a link records nothing: mail scanners prefetch); POST signs in, once."""
    try:
        link = services.link_for_token(token) if request.method == "GET" else None
        if link is not None:
            return render(request, "portal/confirm.html", {"customer": link.customer})
        _session_row, key = services.sign_in(token=token)
    except links.LinkError as problem:
        return _problem(request, str(problem), problem.status)
    response = redirect("portal-home")
    response.set_cookie(
        COOKIE, key, max_age=settings.PORTAL_SESSION_HOURS * 3600, path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
    )  # fmt: skip
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session = _session(request)
    if session is not None:
        services.sign_out(session=session)
    response = redirect("portal-sign-in")
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
    return response


@customer_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """The customer's tickets, open and closed, newest first, with the last public message."""
    customer = request.portal.customer  # type: ignore[attr-defined]
    page_number = parse_int(request.GET.get("page"), minimum=1, maximum=100_000) or 1
    paginator = Paginator(selectors.customer_tickets(customer=customer), selectors.PAGE_SIZE)
    page = paginator.get_page(page_number)
    organization = selectors.administered_organization(customer=customer)
    return render(request, "portal/home.html", {"customer": customer, "page": page, "organization": organization})


def _ticket_or_404(request: HttpRequest, pk: Any) -> Any:
    return selectors.customer_ticket(customer=request.portal.customer, ticket_id=parse_id(pk))  # type: ignore[attr-defined]


NOT_FOUND = "There is no such request among yours."


def _ticket_page(request: HttpRequest, ticket: Any, *, status: int = 200, **extra: Any) -> HttpResponse:
    survey = selectors.survey_of(ticket=ticket)
    context = {
        "customer": request.portal.customer,  # type: ignore[attr-defined]
        "ticket": ticket,
        "messages_public": selectors.public_conversation(ticket=ticket),
        "survey": survey,
        "scale": range(5, 0, -1),
        "sent": request.GET.get("sent") == "1",
        "created": request.GET.get("created") == "1",
        "rated": request.GET.get("rated") == "1",
        **extra,
    }
    return render(request, "portal/ticket.html", context, status=status)


@customer_required
@require_http_methods(["GET"])
def ticket(request: HttpRequest, pk: int) -> HttpResponse:
    found = _ticket_or_404(request, pk)
    if found is None:
        return _problem(request, NOT_FOUND, 404)
    return _ticket_page(request, found)


@customer_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the customer's message through intake: threads on, reopens a resolved ticket, the SLA clock follows."""
    found = _ticket_or_404(request, pk)
    if found is None:
        return _problem(request, NOT_FOUND, 404)
    body = request.POST.get("body", "")
    customer = request.portal.customer  # type: ignore[attr-defined]
    if _over(f"portal-reply:{customer.pk}", settings.PORTAL_REPLIES_PER_HOUR):
        error = "You have sent many messages in the last hour; please wait a little. Nothing was lost."
        return _ticket_page(request, found, status=429, reply_error=error, body=body[:50_000])
    try:
        receive_contact(
            channel=Channel.WEB_FORM, customer_email=customer.email, subject=f"Re: {found.subject}", body=body, thread_onto=found
        )
    except ValidationError as error:
        return _ticket_page(request, found, status=400, reply_error=" ".join(error.messages), body=body[:50_000])
    return redirect(reverse("portal-ticket", args=[found.pk]) + "?sent=1")


@customer_required
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    """Answer the ticket's satisfaction survey through the CSAT flow (a low rating is followed up)."""
    found = _ticket_or_404(request, pk)
    if found is None:
        return _problem(request, NOT_FOUND, 404)
    survey = selectors.survey_of(ticket=found)
    if survey is None:
        return _ticket_page(request, found, status=409, rate_error="This request can be rated once it is resolved.")
    try:
        csat.answer(token=links.survey_token(survey), rating=request.POST.get("rating"), comment=request.POST.get("comment", ""))
    except csat.SurveyLinkError as problem:
        return _ticket_page(request, found, status=problem.status, rate_error=str(problem))
    except ValidationError as error:
        return _ticket_page(request, found, status=400, rate_error=" ".join(error.messages))
    return redirect(reverse("portal-ticket", args=[found.pk]) + "?rated=1")


def _new_form(request: HttpRequest, customer: Any) -> SupportRequestForm:
    form = SupportRequestForm(request.POST or None, initial={"name": customer.name, "email": customer.email})
    form.fields["email"].disabled = True  # always the signed-in customer's address, whatever is posted
    return form


@customer_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    """The web form (with its article suggestions and deflection), prefilled; the ticket is the signed-in customer's."""
    customer = request.portal.customer  # type: ignore[attr-defined]
    form = _new_form(request, customer)
    context: dict[str, Any] = {"form": form, "form_action": request.path, "portal": True}
    if request.method == "GET":
        return render(request, "tickets/support_new.html", context)
    if _over(f"portal-new:{customer.pk}", settings.WEB_FORM_RATE_PER_HOUR):
        return render(request, "tickets/support_new.html", {**context, "rate_limited": True}, status=429)
    if form.is_valid():
        data = form.cleaned_data
        shown = [pk for pk in map(parse_id, request.POST.getlist("shown")[:10]) if pk is not None]
        try:
            result = receive_contact(
                channel=Channel.WEB_FORM, customer_email=customer.email, customer_name=data["name"],
                subject=data["subject"], body=data["description"], shown_articles=shown,
            )  # fmt: skip
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            return redirect(reverse("portal-ticket", args=[result.ticket.pk]) + "?created=1")
    return render(request, "tickets/support_new.html", context, status=400)


@customer_required
@require_http_methods(["GET"])
def organization(request: HttpRequest) -> HttpResponse:
    """A customer admin of a verified organization: the tickets of everyone at its verified domains."""
    customer = request.portal.customer  # type: ignore[attr-defined]
    found = selectors.administered_organization(customer=customer)
    if found is None:
        message = "This page is for the customer admins of an organization whose e-mail domain we have verified."
        return _problem(request, message, 403, title="No organization view")
    page_number = parse_int(request.GET.get("page"), minimum=1, maximum=100_000) or 1
    page = Paginator(selectors.organization_tickets(organization=found), selectors.PAGE_SIZE).get_page(page_number)
    return render(request, "portal/organization.html", {"customer": customer, "organization": found, "page": page})
