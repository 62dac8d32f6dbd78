"""The open ticket workspace, live: what happened since the page (or the last poll) showed it.

htmx polls ``/console/ticket/<id>/live?m=<last message id>&e=<last event id>`` every 5 s.
The answer appends only the new messages and audit events to the timeline and replaces the
SLA panel and the status/assignee line out of band, rendered from the workspace's own
partials (``agents/ticket.html#item``, ``#sla``, ``#meta``), and a poller with the new
marker. The reply/note form is never part of the answer, so a half-typed draft stays. A
fixed number of queries however much is new.

The answer also replaces the presence line (who else is viewing or replying, and the soft
claim; ``foundation/presence.py``), which the workspace's heartbeat (``ticket_presence``, a POST
every 10 s and while typing) and the "I'm on it" button (``ticket_claim``) keep up to date.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from console.views import HtmxHttpRequest, _ticket_or_404, agent_view
from foundation import outbox, presence
from foundation.parsing import parse_id
from tickets import services as ticket_services


def _marker(raw: str | None) -> int | None:
    return 0 if raw in (None, "", "0") else parse_id(raw)


@agent_view
@require_GET
def ticket_live(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    since_message, since_event = _marker(request.GET.get("m")), _marker(request.GET.get("e"))
    if since_message is None or since_event is None:
        field = "m" if since_message is None else "e"
        return HttpResponse(f"{field}: must be the id of the last message or event shown (a whole number)", status=400)
    interactions = list(ticket.interactions.filter(pk__gt=since_message).select_related("author").prefetch_related("attachments"))
    public = [i.pk for i in interactions if not i.is_internal]
    deliveries = outbox.delivery_of(ref_kind=ticket_services.REPLY_REF, ref_ids=public) if public else {}
    for interaction in interactions:
        interaction.delivery = deliveries.get(interaction.pk)  # type: ignore[attr-defined]
    events = list(ticket.events.filter(pk__gt=since_event).select_related("actor"))
    timeline = sorted(
        [("message", i.created_at, i) for i in interactions] + [("event", e.created_at, e) for e in events], key=lambda item: item[1]
    )
    context = {
        "ticket": ticket,
        "timeline": timeline,
        "now": timezone.now(),
        "oob": True,
        "since_message": max((i.pk for i in interactions), default=since_message),
        "since_event": max((e.pk for e in events), default=since_event),
        "presence": presence.others_on(ticket_id=ticket.pk, user=request.user),
        "claim": presence.current_claim(ticket_id=ticket.pk),
    }
    return render(request, "agents/ticket_live.html", context)


@agent_view
@require_POST
def ticket_presence(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The heartbeat: ``state`` is viewing or replying; ``body`` (the reply box) gives the draft's preview."""
    ticket = _ticket_or_404(request, pk)
    state = request.POST.get("state", "")
    if state not in presence.STATES:
        return HttpResponse(f"state: must be one of {', '.join(presence.STATES)}", status=400)
    presence.beat(ticket_id=ticket.pk, user=request.user, state=state, draft=request.POST.get("body", ""))
    return HttpResponse(status=204)


@agent_view
@require_POST
def ticket_claim(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "I'm on it" (``action=claim``, the default) or let it go (``action=release``): a soft claim others see."""
    ticket = _ticket_or_404(request, pk)
    action = request.POST.get("action", "claim")
    if action == "release":
        released = presence.release(ticket_id=ticket.pk, user=request.user)
        messages.success(request, "Claim released." if released else "You had no claim on this ticket.")
    elif action == "claim":
        claim = presence.claim(ticket_id=ticket.pk, user=request.user)
        messages.success(request, f"You are on it until {timezone.localtime(claim.until):%H:%M} (renewed while you reply).")
    else:
        return HttpResponse("action: must be claim or release", status=400)
    return redirect("console-ticket", ticket.pk)
