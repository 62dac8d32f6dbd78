"""API input and output shapes for tickets. Validation only; no business logic."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from foundation.api_input import IdField, WholeNumberField
from foundation.parsing import PRIORITY_RANGE
from tickets.models import Channel, Interaction, Ticket, TicketEvent, TicketStatus

# Longer than this is refused; between the stored limits and these, intake cuts the text and
# attaches the whole original (tickets.services.MAX_SUBJECT / MAX_BODY).
INTAKE_SUBJECT_LIMIT = 5_000
INTAKE_BODY_LIMIT = 1_000_000
# The web form is the help centre's own channel: integrations may not claim it (it would skew
# the self-service metrics).
INTEGRATION_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.WEB_FORM]


class TicketCreateInput(serializers.Serializer):
    customer_email = serializers.EmailField(max_length=254)
    customer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=INTAKE_SUBJECT_LIMIT)
    body = serializers.CharField(max_length=INTAKE_BODY_LIMIT)
    channel = serializers.ChoiceField(choices=INTEGRATION_CHANNELS, default=Channel.API)


class WebhookCustomer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WebhookInput(serializers.Serializer):
    id = serializers.CharField(max_length=200, help_text="The sender's event id; the same id twice creates one ticket.")
    customer = WebhookCustomer()
    subject = serializers.CharField(max_length=INTAKE_SUBJECT_LIMIT)
    body = serializers.CharField(max_length=INTAKE_BODY_LIMIT)
    channel = serializers.ChoiceField(choices=INTEGRATION_CHANNELS, default=Channel.API)


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


class TicketReceipt(serializers.Serializer):
    """What any intake caller learns about the ticket its delivery landed on."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()


class IntakeOutput(serializers.Serializer):
    """What every intake endpoint answers: the ticket's receipt, whether this delivery created it, and the
    whole ticket only for a caller who may read it (an intake-only integration gets the receipt)."""

    ticket = TicketReceipt()
    detail = TicketOutput(required=False, help_text="The whole ticket; present only when the caller may read it.")
    created = serializers.BooleanField(help_text="False for a duplicate delivery or a reply threaded onto an existing ticket.")
    threaded = serializers.BooleanField()
    rejected_attachments = serializers.ListField(child=serializers.CharField(), required=False)


class InteractionOutput(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = ["id", "author_kind", "author", "channel", "body", "is_internal", "sentiment_score", "created_at"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.CharField(allow_null=True, help_text="Username of the staff author; null for customers and the system.")
    )
    def get_author(self, interaction: Interaction) -> Any:
        return interaction.author.get_username() if interaction.author else None


class TicketEventOutput(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "actor", "detail", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_actor(self, event: TicketEvent) -> Any:
        return event.actor.get_username() if event.actor else None


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(max_length=INTAKE_BODY_LIMIT, help_text="The answer, e-mailed to the customer unless internal.")
    internal = serializers.BooleanField(default=False, help_text="An internal note: never shown or sent to the customer.")
    seen_message_id = IdField(
        required=False,
        help_text="The newest message of the conversation your client showed: a colleague's public reply after it holds "
        "this reply with a 409 (as the console does). Without it only a colleague replying right now holds it.",
    )
    override_collision = serializers.BooleanField(
        default=False, help_text="Send even though a colleague replied or is replying (after the 409 showed you theirs)."
    )


class CollisionOutput(serializers.Serializer):
    name = serializers.CharField(help_text="The colleague.")
    sent = serializers.BooleanField(help_text="True: their reply went out already; false: they are typing one now.")
    preview = serializers.CharField(allow_blank=True, help_text="The start of their reply (or draft).")
    at = serializers.DateTimeField()


class ReplyCollisionOutput(serializers.Serializer):
    detail = serializers.CharField()
    collision = CollisionOutput()


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class PriorityInput(serializers.Serializer):
    priority = WholeNumberField(min_value=PRIORITY_RANGE[0], max_value=PRIORITY_RANGE[1], help_text="0 = P0 (most urgent) … 3 = P3.")


class TagsInput(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=40), max_length=20, help_text="The whole new list of tags.")


class MergeInput(serializers.Serializer):
    into = IdField(help_text="The open ticket of the same customer that receives this ticket's messages.")


class SplitInput(serializers.Serializer):
    messages = serializers.ListField(
        child=IdField(), min_length=1, max_length=500, help_text="Ids of this ticket's messages to move (at least one from the customer)."
    )
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="", help_text="Default: this ticket's.")


class SplitOutput(serializers.Serializer):
    ticket = TicketReceipt(help_text="The new ticket; it is triaged and routed as new, so it may land in another team.")
    split_from = serializers.IntegerField()


class FollowerInput(serializers.Serializer):
    email = serializers.EmailField(max_length=254, help_text="Who to copy on the agents' replies (a customer on first contact).")


class FollowerOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="The customer's id (remove with DELETE …/followers/{id}).")
    email = serializers.EmailField()
    name = serializers.CharField()
