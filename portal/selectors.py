"""What a signed-in customer may read: their own tickets, and only the public side of each."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from analytics.models import SatisfactionSurvey
from portal.models import Organization
from tickets.models import Customer, Interaction, Ticket

PAGE_SIZE = 25


def _last_public(field: str) -> Subquery:
    rows = Interaction.objects.filter(ticket=OuterRef("pk"), is_internal=False).order_by("-created_at", "-id")
    return Subquery(rows.values(field)[:1])


def customer_tickets(*, customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets, newest first, open and closed, each with its last public message (one query)."""
    return (
        Ticket.objects.filter(customer=customer)
        .only("id", "subject", "status", "created_at", "updated_at", "customer_id")
        .annotate(
            last_message_body=_last_public("body"),
            last_message_at=_last_public("created_at"),
            last_message_author=_last_public("author_kind"),
        )
        .order_by("-created_at", "-id")
    )


def customer_ticket(*, customer: Customer, ticket_id: Any) -> Ticket | None:
    """The ticket with this id if it is this customer's, else ``None`` (someone else's looks like no ticket)."""
    if not isinstance(ticket_id, int):
        return None
    return Ticket.objects.filter(pk=ticket_id, customer=customer).select_related("customer").first()


def public_conversation(*, ticket: Ticket) -> list[Interaction]:
    """The messages the customer may see: never an internal note."""
    return list(ticket.interactions.filter(is_internal=False).order_by("created_at", "id"))


def survey_of(*, ticket: Ticket) -> SatisfactionSurvey | None:
    """The ticket's satisfaction survey (answered or not) while it is resolved or closed."""
    if ticket.status not in ("resolved", "closed"):
        return None
    return SatisfactionSurvey.objects.filter(ticket=ticket).first()


def administered_organization(*, customer: Customer) -> Organization | None:
    """The organization this customer is a customer admin of, if their own address is at one of its verified domains."""
    domain = customer.email.rsplit("@", 1)[-1]
    return (
        Organization.objects.filter(admins__customer=customer, domains__domain=domain, domains__verified_at__isnull=False)
        .distinct()
        .first()
    )


def organization_tickets(*, organization: Organization) -> QuerySet[Ticket]:
    """The tickets of every customer at the organization's verified domains (never by the free-text organization)."""
    domains = list(organization.domains.filter(verified_at__isnull=False).values_list("domain", flat=True))
    if not domains:
        return Ticket.objects.none()
    at_domains = Q()
    for domain in domains:
        at_domains |= Q(customer__email__endswith=f"@{domain}")
    return (
        Ticket.objects.filter(at_domains)
        .select_related("customer")
        .only("id", "subject", "status", "created_at", "customer__email", "customer__name")
        .annotate(last_message_body=_last_public("body"), last_message_at=_last_public("created_at"))
        .order_by("-created_at", "-id")
    )
