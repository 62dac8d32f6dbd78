"""The console's bell: an agent's notifications (count, dropdown, list), marking them read, e-mail preferences,
and the note box's @-mention suggestions.

The bell's count is a tiny fragment htmx polls (one count query); the list renders from the
same template (``notifications/bell.html`` partials). Every action is a plain POST form too.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from agents.models import Agent
from console.views import HtmxHttpRequest, agent_view
from foundation.parsing import InputError, strict_text
from notifications import selectors, services
from notifications.models import AgentNotification, Kind
from tickets.selectors import visible_tickets


def _agent(request: HtmxHttpRequest) -> Agent:
    agent = Agent.objects.filter(user_id=request.user.pk or 0).select_related("user").first()  # agent_view: signed in
    if agent is None:
        raise PermissionDenied("Notifications are for agents: your account has no agent profile.")
    return agent


@agent_view
@require_GET
def bell(request: HtmxHttpRequest) -> HttpResponse:
    """The unread count (polled every 10 s) or, with ``?part=list``, the dropdown's newest notifications."""
    agent = _agent(request)
    if request.GET.get("part") == "list":
        context = {"notifications": selectors.latest(agent=agent, limit=8)}
        return render(request, "notifications/bell.html#list", context)
    return render(request, "notifications/bell.html#count", {"unread": selectors.unread_count(agent=agent)})


@agent_view
@require_GET
def notification_list(request: HtmxHttpRequest) -> HttpResponse:
    agent = _agent(request)
    context = {
        "notifications": selectors.latest(agent=agent, limit=100),
        "unread": selectors.unread_count(agent=agent),
        "kinds": Kind.choices,
        "email_kinds": selectors.email_kinds(agent=agent),
        "email": agent.user.email,
    }
    return render(request, "notifications/list.html", context)


@agent_view
@require_POST
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and open its ticket (if the agent may still see it)."""
    agent = _agent(request)
    row = AgentNotification.objects.filter(recipient=agent, pk=pk).only("id", "ticket_id").first()
    if row is None:
        messages.error(request, "No such notification.")
        return redirect("console-notifications")
    services.mark_read(agent=agent, notification_id=row.pk)
    if not visible_tickets(user=request.user).filter(pk=row.ticket_id).exists():
        messages.error(request, "That ticket is no longer one of your teams'.")
        return redirect("console-notifications")
    return redirect(reverse("console-ticket", args=[row.ticket_id]))


@agent_view
@require_POST
def notification_read(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    services.mark_read(agent=_agent(request), notification_id=pk)
    return redirect("console-notifications")


@agent_view
@require_POST
def notifications_read_all(request: HtmxHttpRequest) -> HttpResponse:
    count = services.mark_all_read(agent=_agent(request))
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("console-notifications")


@agent_view
@require_POST
def notification_preferences(request: HtmxHttpRequest) -> HttpResponse:
    """Which kinds the agent also gets by e-mail (checkboxes named ``email``)."""
    agent = _agent(request)
    try:
        services.set_email_kinds(agent=agent, kinds=request.POST.getlist("email"))
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    messages.success(request, "E-mail preferences saved.")
    return redirect("console-notifications")


@agent_view
@require_GET
def mention_suggestions(request: HtmxHttpRequest) -> HttpResponse:
    """Agents matching ``q`` for the internal-note box: username and name only, for signed-in agents."""
    try:
        query = strict_text(request.GET.get("q", ""), field="q", max_length=50)
    except InputError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    return render(
        request, "notifications/mentions.html", {"agents": selectors.mention_candidates(query=query, user=request.user), "query": query}
    )
