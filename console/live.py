"""The open ticket workspace, live: what happened since the page (or the last poll) showed it.

htmx polls ``/console/ticket/<id>/live?m=<last message id>&e=<last event id>`` every 5 s.
The answer appends only the new messages and audit events to the timeline and replaces the
SLA panel and the status/assignee line out of band, rendered from the workspace's own
partials (``agents/ticket.html#item``, ``#sla``, ``#meta``), and a poller with the new
marker. The reply/note form is never part of the answer, so a half-typed draft stays. A
fixed number of queries however much is new.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from console.views import HtmxHttpRequest, _ticket_or_404, agent_view
from foundation import outbox
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
    }
    return render(request, "agents/ticket_live.html", context)
