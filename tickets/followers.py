"""A ticket's followers: people in Cc of its mail, who may write into it and get the agents' replies in Cc.

Inbound mail adds its Cc addresses (``services.keep_cc_followers``); agents add or remove
followers in the workspace and through the API with the services below. Each change is a
``TicketEvent`` on the ticket's audit timeline.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tickets.models import Customer, Ticket, TicketEvent, TicketFollower
from tickets.services import MAX_FOLLOWERS, desk_addresses, get_or_create_customer


def followers_of(*, ticket: Ticket) -> list[Customer]:
    """The ticket's followers, in the order they joined (one query)."""
    return [link.customer for link in TicketFollower.objects.filter(ticket=ticket).select_related("customer").order_by("added_at", "id")]


def add_follower(*, ticket: Ticket, email: str, by: Any) -> Customer:
    """An agent copies someone on the ticket (a customer on first contact); adding a follower again changes nothing."""
    address = (email or "").strip().lower()
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        try:
            customer = get_or_create_customer(email=address)
        except ValidationError:
            raise ValidationError({"email": "A valid e-mail address is required."}) from None
        if customer.pk == ticket.customer_id:
            raise ValidationError({"email": "This is the ticket's requester; they get every reply already."})
        if address in desk_addresses():
            raise ValidationError({"email": "This is one of the desk's own addresses."})
        if TicketFollower.objects.filter(ticket=ticket, customer=customer).exists():
            return customer
        if TicketFollower.objects.filter(ticket=ticket).count() >= MAX_FOLLOWERS:
            raise ValidationError({"email": f"A ticket has at most {MAX_FOLLOWERS} followers."})
        TicketFollower.objects.create(ticket=ticket, customer=customer, added_by=by)
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="follower_added", detail={"customer": customer.pk})
    return customer


def remove_follower(*, ticket: Ticket, customer_id: int, by: Any) -> bool:
    """Stop copying someone on the ticket: later replies no longer go to them and their mail no longer threads on.

    Returns whether they were a follower.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        removed, _ = TicketFollower.objects.filter(ticket=ticket, customer_id=customer_id).delete()
        if removed:
            TicketEvent.objects.create(ticket=ticket, actor=by, kind="follower_removed", detail={"customer": customer_id})
    return bool(removed)
