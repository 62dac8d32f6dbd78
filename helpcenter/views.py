"""Public help centre (search, categories, articles, votes) and the customer's signed pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from foundation import ratelimit
from foundation.parsing import clean_text
from helpcenter import markdown, search, services
from helpcenter.models import KnowledgeArticle
from tickets import links
from tickets import services as services_tickets
from tickets.models import Category

STATUS_REPLIES_PER_HOUR = 20


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    categories = (
        Category.objects.annotate(published=Count("articles", filter=Q(articles__is_published=True)))
        .filter(published__gt=0)
        .order_by("name")
    )
    helpful = search.published().order_by("-helpful_count", "title")[:6]
    return render(request, "helpcenter/home.html", {"categories": categories, "helpful": helpful})


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    query = clean_text(request.GET.get("q"), max_length=10 * search.MAX_QUERY).strip()
    results = search.search(query) if query else []
    rows = [{"article": a, "excerpt": markdown.excerpt(a.body)} for a in results]
    return render(request, "helpcenter/search.html", {"query": query[: search.MAX_QUERY], "results": rows})


@require_GET
def category(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(Category, slug=slug)
    articles = [{"article": a, "excerpt": markdown.excerpt(a.body)} for a in search.published().filter(category=found)]
    if not articles:
        raise Http404("No published articles in this category.")
    return render(request, "helpcenter/category.html", {"category": found, "articles": articles})


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(search.published(), slug=slug)
    return render(
        request, "helpcenter/article.html", {"article": found, "html": markdown.render(found.body), "voted": request.GET.get("voted")}
    )


@require_POST
def vote(request: HttpRequest, slug: str) -> HttpResponse:
    found = get_object_or_404(KnowledgeArticle, slug=slug, is_published=True)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        return render(request, "helpcenter/article.html", {"article": found, "html": markdown.render(found.body),
                                                           "vote_error": "Choose yes or no."}, status=400)  # fmt: skip
    if not request.session.session_key:
        request.session.save()
    services.vote(article=found, voter=services.voter_id(request.session.session_key or ""), helpful=answer == "yes")
    return redirect(f"{found.get_absolute_url()}?voted={answer}")


def _problem(request: HttpRequest, problem: links.LinkError) -> HttpResponse:
    return render(request, "helpcenter/link_problem.html", {"problem": str(problem), "status": problem.status}, status=problem.status)


@require_http_methods(["GET", "POST"])
def ticket_status(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's request by signed link: status, the public conversation, a reply box, the survey."""
    try:
        ticket = links.ticket_for_status(token)
    except links.LinkError as problem:
        return _problem(request, problem)
    error = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        if ratelimit.hit(f"status-reply:{ticket.pk}", window=3600) > STATUS_REPLIES_PER_HOUR:
            error = "You have sent many messages in the last hour; please wait a little. Nothing was lost."
        else:
            try:
                services_tickets.receive_contact(channel=ticket.channel, customer_email=ticket.customer.email,
                                                 subject=f"Re: {ticket.subject}", body=body, thread_onto=ticket)  # fmt: skip
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                return redirect(request.path + "?sent=1")
    survey = getattr(ticket, "survey", None) if ticket.status in ("resolved", "closed") else None
    survey_url = None
    if survey is not None and survey.answered_at is None:
        survey_url = links.survey_url(survey)
    context = {"ticket": ticket, "messages": services.public_conversation(ticket), "error": error, "body": request.POST.get("body", ""),
               "sent": request.GET.get("sent"), "survey_url": survey_url}  # fmt: skip
    return render(request, "helpcenter/status.html", context, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
def auto_reply_answer(request: HttpRequest, token: str, answer: str) -> HttpResponse:
    """GET asks to confirm (mail scanners open links); POST records yes (resolves) or no (stays with agents)."""
    try:
        links.auto_reply_payload(token)
    except links.LinkError as problem:
        return _problem(request, problem)
    if answer not in ("yes", "no"):
        raise Http404("Unknown answer.")
    if request.method == "GET":
        return render(request, "helpcenter/auto_reply.html", {"answer": answer, "confirm": True})
    try:
        result = services.answer_auto_reply(token=token, answer=answer)
    except links.LinkError as problem:
        return _problem(request, problem)
    return render(request, "helpcenter/auto_reply.html", {"answer": answer, "outcome": result.outcome,
                                                          "status_url": links.status_url(result.ticket)})  # fmt: skip
