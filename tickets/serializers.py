"""API input and output shapes for tickets. Validation only; no business logic."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
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
    category: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    customer = CustomerBrief(read_only=True)
    team: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
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

    @extend_schema_field(serializers.CharField())
    def get_priority(self, ticket: Ticket) -> str:
        return f"P{ticket.priority}"

    @extend_schema_field(serializers.CharField(allow_null=True, help_text="Username of the assigned agent."))
    def get_assignee(self, ticket: Ticket) -> Any:
        return ticket.assignee.user.get_username() if ticket.assignee else None


class IntakeOutput(serializers.Serializer):
    """What every intake endpoint answers: the ticket, and whether this delivery created it."""

    ticket = TicketOutput()
    created = serializers.BooleanField(help_text="False for a duplicate delivery or a reply threaded onto an existing ticket.")
    threaded = serializers.BooleanField()
    rejected_attachments = serializers.ListField(child=serializers.CharField(), required=False)
