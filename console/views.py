"""The agent and supervisor console: queues, the ticket workspace, the escalation inbox, the team board.

Server-rendered; htmx swaps fragments rendered by the same views (``request.htmx``), and
every action is a plain POST form too (progressive enhancement). Each view checks the role
and that the ticket is among the tickets the user may see.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from agents.models import Agent, Availability
from agents.services import AssignmentError, assign_ticket, route_ticket, set_availability
from console import selectors
from escalation_engine import services as escalation_services
from escalation_engine.models import BreachForecast, Escalation, EscalationTier
from foundation import outbox, presence
from foundation.parsing import PRIORITY_RANGE, InputError, clean_text, parse_id, parse_int, strict_text
from helpcenter import macros as macro_services
from helpcenter.models import KnowledgeArticle
from tickets import followers as follower_services
from tickets import services as ticket_services
from tickets.models import Attachment, Category, Channel, CustomerTier, Priority, Ticket, TicketStatus
from tickets.selectors import customer_history, reply_collision, visible_tickets

View = Callable[..., HttpResponseBase]


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def staff_role(permission: str) -> Callable[[View], View]:
    """Signed in and holding ``permission`` (agents: view_ticket; supervisors: assign_ticket)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_perm(permission):
                raise PermissionDenied("Your role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


agent_view = staff_role("tickets.view_ticket")
supervisor_view = staff_role("tickets.assign_ticket")
MACRO_NOT_A_NOTE = "A macro's reply goes to the customer; untick “Internal note” or clear the macro."
REASON_MAX_LENGTH = 300  # Escalation.decision_reason, and the API's ReasonInput


def _ticket_or_404(request: HtmxHttpRequest, pk: int) -> Ticket:
    ticket = visible_tickets(user=request.user).filter(pk=pk).first()
    if ticket is None:
        raise Http404("No such ticket, or not one of your teams'.")
    return ticket


def _done(request: HtmxHttpRequest, ticket: Ticket, message: str) -> HttpResponse:
    """After an action: htmx re-renders the workspace, a plain form post redirects back (PRG)."""
    messages.success(request, message)
    url = reverse("console-ticket", args=[ticket.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _failed(request: HtmxHttpRequest, ticket: Ticket, error: Exception) -> HttpResponse:
    text = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
    messages.error(request, text)
    return (
        redirect("console-ticket", ticket.pk)
        if not request.htmx
        else HttpResponseClientRedirect(reverse("console-ticket", args=[ticket.pk]))
    )


@agent_view
@require_GET
def console_home(request: HtmxHttpRequest) -> HttpResponse:
    return redirect("console-queue", "mine" if hasattr(request.user, "agent") else "unassigned")


@agent_view
@require_GET
def queue(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    if slug not in selectors.QUEUE_SLUGS:
        raise Http404("Unknown queue.")
    page = selectors.queue_page(user=request.user, queue=slug, filters=request.GET.dict(), cursor=request.GET.get("cursor", ""))
    counts = selectors.queue_counts(user=request.user)
    marks = presence.for_tickets([t.pk for t in page.tickets], user=request.user)  # one cache round trip, no query
    for t in page.tickets:
        t.presence = marks[t.pk]  # type: ignore[attr-defined]
    context = {
        "queues": selectors.QUEUES,
        "queue_list": [(q, counts[q.slug.replace("-", "_")]) for q in selectors.QUEUES],
        "current": slug,
        "page": page,
        "now": timezone.now(),
        "priorities": Priority.choices,
        "categories": Category.objects.filter(is_active=True).only("slug", "name"),
        "channels": Channel.choices,
        "tiers": CustomerTier.choices,
        "filter_query": urlencode(page.filters),
        "risk_sort_query": urlencode({**page.filters, "sort": "risk"}),
    }
    fragment = request.GET.get("fragment")
    if request.htmx and fragment in ("rows", "counts"):
        return render(request, f"agents/queue.html#{fragment}", context)
    return render(request, "agents/queue.html", context)


@agent_view
@require_GET
def attachment_download(request: HtmxHttpRequest, pk: int) -> FileResponse:
    """An attachment of a visible ticket, always as a download (never rendered by the browser)."""
    attachment = (
        Attachment.objects.filter(pk=pk, interaction__ticket__in=visible_tickets(user=request.user).values("pk"))
        .only("filename", "file")
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment, or not on one of your teams' tickets.")
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file of this attachment is missing from storage.") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename, content_type="application/octet-stream")
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@agent_view
@require_GET
def ticket_workspace(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    return render(request, "agents/ticket.html", _workspace_context(request, ticket))


def _workspace_context(request: HtmxHttpRequest, ticket: Ticket) -> dict[str, Any]:
    interactions = list(ticket.interactions.select_related("author", "follower").prefetch_related("attachments"))
    deliveries = outbox.delivery_of(ref_kind=ticket_services.REPLY_REF, ref_ids=[i.pk for i in interactions if not i.is_internal])
    for interaction in interactions:
        interaction.delivery = deliveries.get(interaction.pk)  # type: ignore[attr-defined]  # the reply e-mail's state, one query
    events = list(ticket.events.select_related("actor"))
    timeline = sorted(
        [("message", i.created_at, i) for i in interactions] + [("event", e.created_at, e) for e in events], key=lambda item: item[1]
    )
    customer = ticket.customer
    history, history_elsewhere = customer_history(customer=customer, user=request.user, exclude_id=ticket.pk)
    article_ids = [item.get("id") for item in ticket.suggested_articles if isinstance(item, dict)]
    articles = {a.pk: a for a in KnowledgeArticle.objects.filter(pk__in=article_ids)}
    context = {
        "ticket": ticket,
        "followers": follower_services.followers_of(ticket=ticket),
        "timeline": timeline,
        "history": history,
        "history_elsewhere": history_elsewhere,
        "open_tickets": customer.tickets.filter(status__in=[s for s in TicketStatus.values if s not in ("resolved", "closed")]).count(),
        "articles": [
            (articles[i], item.get("score")) for i, item in zip(article_ids, ticket.suggested_articles, strict=False) if i in articles
        ],
        "escalations": list(ticket.escalations.order_by("-created_at")[:5]),
        "forecast": BreachForecast.objects.filter(ticket=ticket).first(),
        "categories": Category.objects.filter(is_active=True).only("slug", "name"),
        "priorities": Priority.choices,
        "statuses": TicketStatus.choices,
        "agents": Agent.objects.select_related("user").filter(availability=Availability.ONLINE)
        if request.user.has_perm("tickets.assign_ticket")
        else [],
        "now": timezone.now(),
        "can_assign": request.user.has_perm("tickets.assign_ticket"),
        # The live fragment's since-marker: what this page already shows (console/live.py).
        "since_message": max((i.pk for i in interactions), default=0),
        "since_event": max((e.pk for e in events), default=0),
    }
    rendered = macro_services.rendered_macros(ticket=ticket, user=request.user)
    context["macros"] = rendered
    context["suggested_macro"] = macro_services.suggest_macro(ticket=ticket, macros=[macro for macro, _ in rendered])
    context["presence"] = presence.others_on(ticket_id=ticket.pk, user=request.user)
    context["claim"] = presence.current_claim(ticket_id=ticket.pk)
    context["draft"] = "" if ticket.first_response_at else ticket.auto_reply_draft
    return context


@agent_view
@require_POST
def ticket_reply(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    internal = request.POST.get("internal") == "1"
    body = request.POST.get("body", "")
    if not internal and request.POST.get("confirm") != "1" and request.POST.get("seen"):
        # Held once: someone else answered since the page was opened, or is answering now.
        seen = parse_id(request.POST.get("seen"))
        if seen is None:
            return _failed(request, ticket, ValidationError("seen: must be the id of the last message shown (a whole number)."))
        collision = reply_collision(ticket=ticket, user=request.user, seen_id=seen)
        if collision is not None:
            context = _workspace_context(request, ticket)
            context.update(collision=collision, draft=body, held_macro=request.POST.get("macro", ""))
            return render(request, "agents/ticket.html", context, status=409)
    if request.POST.get("macro"):
        # Chosen in the picker: what the agent edited is sent, and the macro's actions apply with it.
        macro = macro_services.usable_macro(user=request.user, macro_id=parse_id(request.POST.get("macro")))
        if macro is None:
            return _failed(request, ticket, ValidationError("Choose a macro you may use."))
        if internal:
            return _failed(
                request, ticket, ValidationError("A macro's reply goes to the customer; untick “Internal note” or clear the macro.")
            )
        try:
            macro_services.apply_macro(macro=macro, ticket=ticket, by=request.user, body=body)
        except (ValidationError, PermissionDenied) as exc:
            return _failed(request, ticket, exc)
        return _done(request, ticket, f"Reply saved with macro “{macro.name}”; e-mailing it to the customer.")
    try:
        ticket_services.add_agent_reply(ticket=ticket, body=body, by=request.user, internal=internal)
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    # E-mailed by the worker: the conversation shows when it was sent, or why it failed.
    return _done(request, ticket, "Note added." if internal else "Reply saved; e-mailing it to the customer.")


@agent_view
@require_POST
def ticket_status(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    try:
        ticket_services.change_status(ticket=ticket, status=request.POST.get("status", ""), by=request.user)
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    return _done(request, ticket, "Status changed.")


@agent_view
@require_POST
def ticket_category(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    category = Category.objects.filter(slug=clean_text(request.POST.get("category"), max_length=64)).first()
    if category is None:
        return _failed(request, ticket, ValidationError("Choose a category."))
    ticket_services.recategorize_ticket(ticket=ticket, category=category, by=request.user)
    route_ticket(ticket=ticket)  # out of Needs triage: to the category's team and its best available agent now
    return _done(request, ticket, f"Category set to {category.name}; the model will learn from it.")


@agent_view
@require_POST
def ticket_priority(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    value = request.POST.get("priority", "")
    try:
        priority = parse_int(value, minimum=PRIORITY_RANGE[0], maximum=PRIORITY_RANGE[1])
        # -1: the service refuses it with the message that names the range.
        ticket_services.reprioritize_ticket(ticket=ticket, priority=-1 if priority is None else priority, by=request.user)
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    return _done(request, ticket, "Priority changed.")


@agent_view
@require_POST
def ticket_escalate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    try:
        reason = strict_text(request.POST.get("reason", ""), field="reason", max_length=REASON_MAX_LENGTH)
    except InputError as error:
        return _failed(request, ticket, ValidationError(error.message))
    escalation = escalation_services.request_escalation(ticket=ticket, by=request.user, reason=reason)
    return _done(request, ticket, f"Escalated to {escalation.get_tier_display()}." if escalation else "Already escalated at that tier.")


@agent_view
@require_POST
def ticket_merge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    target_id = parse_id(request.POST.get("into", "").lstrip("#"))
    target = visible_tickets(user=request.user).filter(pk=target_id).first() if target_id else None
    if target is None:
        return _failed(request, ticket, ValidationError("Give the number of a ticket you can see to merge into."))
    try:
        ticket_services.merge_tickets(source=ticket, target=target, by=request.user)
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    return _done(request, target, f"Ticket #{ticket.pk} merged into #{target.pk}.")


@agent_view
@require_POST
def ticket_followers(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """``action=add``: copy ``email`` on the ticket's replies; ``action=remove``: stop copying follower ``customer`` (an id)."""
    ticket = _ticket_or_404(request, pk)
    if request.POST.get("action") == "remove":
        customer_id = parse_id(request.POST.get("customer"))
        if customer_id is None or not follower_services.remove_follower(ticket=ticket, customer_id=customer_id, by=request.user):
            return _failed(request, ticket, ValidationError("This person does not follow the ticket."))
        return _done(request, ticket, "Follower removed: later replies no longer copy them.")
    try:
        customer = follower_services.add_follower(
            ticket=ticket, email=clean_text(request.POST.get("email", ""), max_length=254), by=request.user
        )
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    return _done(request, ticket, f"{customer.email} follows the ticket: replies copy them.")


@agent_view
@require_POST
def ticket_split(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Move the ticked messages into a new ticket of the same customer (triaged and routed as new)."""
    ticket = _ticket_or_404(request, pk)
    ids = [parse_id(value) for value in request.POST.getlist("messages")]
    if None in ids:
        return _failed(request, ticket, ValidationError("Tick the messages to move to a new ticket."))
    try:
        new = ticket_services.split_ticket(
            ticket=ticket,
            interaction_ids=[i for i in ids if i is not None],
            by=request.user,
            subject=clean_text(request.POST.get("subject", ""), max_length=300),
        )
    except ValidationError as exc:
        return _failed(request, ticket, exc)
    # Back to this ticket: the new one may belong to another team once routing has seen it.
    return _done(request, ticket, f"{len(ids)} message(s) moved to the new ticket #{new.pk}; it is triaged and routed as new.")


@supervisor_view
@require_POST
def ticket_assign(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    agent_id = parse_id(request.POST.get("agent"))
    agent = Agent.objects.filter(pk=agent_id).first() if agent_id else None
    if agent is None:
        return _failed(request, ticket, ValidationError("Choose an agent."))
    try:
        assign_ticket(ticket=ticket, agent=agent, by=request.user)
    except AssignmentError as exc:
        return _failed(request, ticket, exc)
    return _done(request, ticket, f"Assigned to {agent}.")


@agent_view
@require_POST
def availability(request: HtmxHttpRequest) -> HttpResponse:
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise PermissionDenied("Only agents have an availability.")
    try:
        set_availability(agent=agent, availability=request.POST.get("availability", ""), by=request.user)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    next_url = request.POST.get("next") or reverse("console-home")
    return redirect(next_url if next_url.startswith("/") and not next_url.startswith("//") else reverse("console-home"))


@supervisor_view
@require_GET
def escalation_inbox(request: HtmxHttpRequest) -> HttpResponse:
    visible = visible_tickets(user=request.user).values("id")
    rows = list(
        Escalation.objects.filter(status=Escalation.Status.OPEN, ticket_id__in=visible)
        .select_related("ticket", "ticket__customer", "ticket__assignee__user")
        .order_by("-score", "ticket__sla_resolution_due_at")[:100]
    )
    context = {
        "escalations": rows,
        "tiers": EscalationTier.choices,
        "priorities": Priority.choices,
        "now": timezone.now(),
        "open_count": len(rows),
    }
    if request.htmx and request.GET.get("fragment") == "rows":
        return render(request, "agents/inbox.html#rows", context)
    return render(request, "agents/inbox.html", context)


@supervisor_view
@require_POST
def escalation_decide(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    visible = visible_tickets(user=request.user).values("id")
    if not Escalation.objects.filter(pk=pk, ticket_id__in=visible).exists():
        raise Http404("No such escalation.")
    action = request.POST.get("action", "")
    try:
        if action == "accept":
            escalation_services.accept_escalation(escalation_id=pk, by=request.user)
        elif action in ("dismiss", "deescalate"):
            try:
                reason = strict_text(request.POST.get("reason", ""), field="reason", max_length=REASON_MAX_LENGTH)
            except InputError as error:
                raise ValidationError(error.message) from None
            decide = escalation_services.dismiss_escalation if action == "dismiss" else escalation_services.deescalate
            decide(escalation_id=pk, by=request.user, reason=reason)
        elif action == "override":
            tier = request.POST.get("tier") or None
            priority_value = request.POST.get("priority", "")
            assignee_value = request.POST.get("assignee", "")
            assignee = Agent.objects.filter(pk=parse_id(assignee_value) or 0).first() if assignee_value else None
            if assignee_value and assignee is None:
                raise ValidationError("assignee must be one of the agents listed.")
            priority = parse_int(priority_value, minimum=PRIORITY_RANGE[0], maximum=PRIORITY_RANGE[1])
            if priority_value and priority is None:
                raise ValidationError(f"priority must be a whole number from {PRIORITY_RANGE[0]} to {PRIORITY_RANGE[1]}.")
            escalation_services.override_escalation(escalation_id=pk, by=request.user, tier=tier, priority=priority, assignee=assignee)
        else:
            raise ValidationError("Unknown action.")
        messages.success(request, f"Escalation {pk}: {action} done.")
    except (escalation_services.EscalationConflict, ValidationError, AssignmentError) as exc:
        messages.error(request, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    if request.htmx:
        return HttpResponseClientRedirect(reverse("console-inbox"))
    return redirect("console-inbox")


@supervisor_view
@require_GET
def team(request: HtmxHttpRequest) -> HttpResponse:
    board = selectors.team_board(user=request.user)
    online = [row["agent"] for row in board if row["agent"].availability == Availability.ONLINE]
    return render(request, "agents/team.html", {"board": board, "online": online, "now": timezone.now()})


@supervisor_view
@require_POST
def team_reassign(request: HtmxHttpRequest) -> HttpResponse:
    """Select a ticket and an agent, press the button: the same checks as any assignment."""
    ticket_id, agent_id = parse_id(request.POST.get("ticket")), parse_id(request.POST.get("agent"))
    ticket = visible_tickets(user=request.user).filter(pk=ticket_id).first() if ticket_id else None
    agent = Agent.objects.filter(pk=agent_id).first() if agent_id else None
    if ticket is None or agent is None:
        messages.error(request, "Choose a ticket and an agent.")
    else:
        try:
            assign_ticket(ticket=ticket, agent=agent, by=request.user, note="team board")
            messages.success(request, f"#{ticket.pk} reassigned to {agent}.")
        except AssignmentError as exc:
            messages.error(request, "; ".join(exc.messages))
    return redirect("console-team")
