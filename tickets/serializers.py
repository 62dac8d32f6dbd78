"""API input and output shapes for tickets. Validation only; no business logic."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tickets.models import Channel, Ticket
from tickets.services import MAX_BODY, MAX_SUBJECT


class TicketCreateInput(serializers.Serializer):
    customer_email = serializers.EmailField(max_length=254)
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=MAX_SUBJECT)
    body = serializers.CharField(max_length=MAX_BODY)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class WebhookCustomer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookInput(serializers.Serializer):
    id = serializers.CharField(max_length=200, help_text="The sender's event id; the same id twice creates one ticket.")
    customer = WebhookCustomer()
    subject = serializers.CharField(max_length=MAX_SUBJECT)
    body = serializers.CharField(max_length=MAX_BODY)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class CustomerBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    tier = serializers.CharField()


class TicketOutput(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    priority = serializers.SerializerMethodField()
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    customer = CustomerBrief(read_only=True)
    team: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "id", "reference", "subject", "body", "channel", "status", "priority", "priority_score", "priority_reasons",
            "category", "category_confidence", "category_alternatives", "needs_triage", "sentiment_score", "frustration_score",
            "urgency_score", "legal_score", "entities", "suggested_articles", "auto_reply_draft", "customer", "team", "assignee",
            "repeat_of", "repeat_count", "created_at", "triaged_at", "first_response_at", "resolved_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_priority(self, ticket: Ticket) -> str:
        return f"P{ticket.priority}"

    def get_assignee(self, ticket: Ticket) -> Any:
        return ticket.assignee.user.get_username() if ticket.assignee else None
