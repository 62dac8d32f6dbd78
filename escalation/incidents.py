"""Multi-customer incidents: a burst of similar tickets from different customers opens one P0 parent.

When a ticket is triaged, its category's tickets from the last ``INCIDENT_WINDOW_MINUTES``
are compared with it (TF-IDF cosine on subject and body). If ``INCIDENT_MIN_CUSTOMERS``
different customers wrote similar tickets, one parent incident (P0, tag ``incident``) is
opened — or the open one for that category is reused — and the similar tickets are linked
to it. The category row is locked while deciding, so two workers never open two parents.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from tickets.models import OPEN_STATUSES, Category, Customer, Priority, Ticket, TicketEvent, TicketStatus

INCIDENT_CUSTOMER_EMAIL = "incidents@escalation.invalid"
MAX_COMPARED = 300


def similar_recent(ticket: Ticket, *, now: datetime) -> list[Ticket]:
    """Recent open tickets of the same category that read like this one (including it)."""
    window = now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES)
    recent = list(
        Ticket.objects.filter(category_id=ticket.category_id or 0, created_at__gte=window, is_incident=False, status__in=OPEN_STATUSES)
        .only("id", "subject", "body", "customer_id", "incident_id")
        .order_by("-created_at")[:MAX_COMPARED]
    )
    if ticket.pk not in {t.pk for t in recent}:
        recent.append(ticket)
    if len(recent) < settings.INCIDENT_MIN_CUSTOMERS:
        return []
    texts = [f"{t.subject} {t.body}" for t in recent]
    matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english").fit_transform(texts)
    index = next(i for i, t in enumerate(recent) if t.pk == ticket.pk)
    scores = cosine_similarity(matrix[index], matrix).ravel()
    return [t for t, score in zip(recent, scores, strict=True) if score >= settings.INCIDENT_SIMILARITY]


def detect_burst(*, ticket_id: int, now: datetime) -> Ticket | None:
    """Open or extend an incident if this ticket is part of a burst; returns the parent incident."""
    ticket = Ticket.objects.filter(pk=ticket_id).select_related("category").first()
    if ticket is None or ticket.category_id is None or ticket.is_incident or ticket.incident_id:
        return None
    similar = similar_recent(ticket, now=now)
    if len({t.customer_id for t in similar}) < settings.INCIDENT_MIN_CUSTOMERS:
        return None
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=ticket.category_id)  # one decider per category
        since = now - timedelta(minutes=settings.INCIDENT_WINDOW_MINUTES) - timedelta(hours=6)
        parent = (
            Ticket.objects.filter(is_incident=True, category=category, status__in=OPEN_STATUSES, created_at__gte=since)
            .order_by("-created_at")
            .first()
        )
        if parent is None:
            system, _ = Customer.objects.get_or_create(email=INCIDENT_CUSTOMER_EMAIL, defaults={"name": "Multiple customers"})
            parent = Ticket.objects.create(
                subject=f"Incident: {ticket.subject}"[:300],
                body=(
                    f"{len(similar)} similar {category.name} tickets from different customers "
                    f"within {settings.INCIDENT_WINDOW_MINUTES} minutes."
                ),
                customer=system,
                category=category,
                team=ticket.team,
                priority=Priority.P0,
                status=TicketStatus.TRIAGED,
                created_at=now,
                triaged_at=now,
                is_incident=True,
                tags=["incident"],
                next_check_at=now,
            )
            TicketEvent.objects.create(ticket=parent, kind="incident_opened", detail={"first_ticket": ticket.pk, "tickets": len(similar)})
        children = [t.pk for t in similar if t.incident_id is None]
        Ticket.objects.filter(pk__in=children, incident__isnull=True).update(incident=parent, next_check_at=now)
        TicketEvent.objects.bulk_create(
            [TicketEvent(ticket_id=pk, kind="linked_to_incident", detail={"incident": parent.pk}) for pk in children]
        )
    return parent
