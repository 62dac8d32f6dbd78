"""REST endpoints for intake: tickets, raw inbound e-mail and signed webhooks."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, ParseError, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from foundation import api_pagination
from foundation.api_input import WholeNumberField
from foundation.parsing import PRIORITY_RANGE, InputError, loads_json
from tickets import followers, mail, webhooks
from tickets.models import Interaction, TicketEvent, TicketStatus
from tickets.selectors import reply_collision, visible_tickets
from tickets.serializers import (
    CollisionOutput,
    FollowerInput,
    FollowerOutput,
    IntakeOutput,
    InteractionOutput,
    MergeInput,
    PriorityInput,
    ReplyCollisionOutput,
    ReplyInput,
    SplitInput,
    SplitOutput,
    StatusInput,
    TagsInput,
    TicketCreateInput,
    TicketEventOutput,
    TicketOutput,
    WebhookInput,
)
from tickets.services import (
    IntakeResult,
    add_agent_reply,
    change_status,
    merge_tickets,
    receive_contact,
    reprioritize_ticket,
    set_tags,
    split_ticket,
)


class HasPermission(permissions.BasePermission):
    """Allow users holding one Django permission (set per view as ``required_permission``)."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = getattr(view, "required_permissions", {}).get(request.method, "tickets.view_ticket")
        return bool(request.user and request.user.is_authenticated and request.user.has_perm(needed))


class RawBodyParser(BaseParser):
    """Accept any content type and keep the raw bytes (mail relays post message/rfc822)."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return stream.read() if stream is not None else b""


def _intake_response(result: IntakeResult, user: Any) -> Response:
    """Never more than the caller may read: the receipt always, the ticket only if they could open it anyway."""
    ticket = result.ticket
    data: dict[str, Any] = {
        "ticket": {"id": ticket.pk, "reference": ticket.reference, "status": ticket.status},
        "created": result.created,
        "threaded": result.threaded,
    }
    if user is not None and user.is_authenticated and visible_tickets(user=user).filter(pk=ticket.pk).exists():
        data["detail"] = TicketOutput(ticket).data
    if result.rejected_attachments:
        data["rejected_attachments"] = result.rejected_attachments
    code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
    response = Response(data, status=code)
    if not result.created and not result.threaded:
        response["Idempotent-Replayed"] = "true"
    return response


class TicketFilters(serializers.Serializer):
    """The ticket list's filters; a bad value is 400 naming the parameter."""

    status = serializers.MultipleChoiceField(choices=TicketStatus.choices, required=False, help_text="Repeat for several.")
    priority = WholeNumberField(min_value=PRIORITY_RANGE[0], max_value=PRIORITY_RANGE[1], required=False, help_text="0 = P0 … 3 = P3")
    team = serializers.SlugField(max_length=64, required=False)
    category = serializers.SlugField(max_length=64, required=False)
    assignee = serializers.CharField(max_length=150, required=False, help_text="Username; 'none' for unassigned.")
    customer_email = serializers.EmailField(max_length=254, required=False)
    needs_triage = serializers.BooleanField(required=False, allow_null=True, default=None)
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


FILTER_PARAMETERS = [
    OpenApiParameter("status", str, OpenApiParameter.QUERY, required=False, many=True, enum=[value for value, _ in TicketStatus.choices]),
    OpenApiParameter("priority", int, OpenApiParameter.QUERY, required=False, description="0 = P0 … 3 = P3"),
    OpenApiParameter("team", str, OpenApiParameter.QUERY, required=False, description="Team slug."),
    OpenApiParameter("category", str, OpenApiParameter.QUERY, required=False, description="Category slug."),
    OpenApiParameter("assignee", str, OpenApiParameter.QUERY, required=False, description="Username; 'none' for unassigned."),
    OpenApiParameter("customer_email", str, OpenApiParameter.QUERY, required=False),
    OpenApiParameter("needs_triage", bool, OpenApiParameter.QUERY, required=False),
    OpenApiParameter("created_after", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=False),
    OpenApiParameter("created_before", OpenApiTypes.DATETIME, OpenApiParameter.QUERY, required=False),
]


def filtered_tickets(request: Request) -> Any:
    data = {key: request.query_params.getlist(key) if key == "status" else request.query_params.get(key) for key in request.query_params}
    data.pop("limit", None)
    data.pop("cursor", None)
    filters = TicketFilters(data=data)
    filters.is_valid(raise_exception=True)
    given = filters.validated_data
    tickets = visible_tickets(user=request.user)
    if given.get("status"):
        tickets = tickets.filter(status__in=sorted(given["status"]))
    if "priority" in given:
        tickets = tickets.filter(priority=given["priority"])
    if "team" in given:
        tickets = tickets.filter(team__slug=given["team"])
    if "category" in given:
        tickets = tickets.filter(category__slug=given["category"])
    if "assignee" in given:
        assignee = given["assignee"]
        tickets = tickets.filter(assignee__isnull=True) if assignee == "none" else tickets.filter(assignee__user__username=assignee)
    if "customer_email" in given:
        tickets = tickets.filter(customer__email__iexact=given["customer_email"])
    if given.get("needs_triage") is not None:
        tickets = tickets.filter(needs_triage=given["needs_triage"])
    if "created_after" in given:
        tickets = tickets.filter(created_at__gte=given["created_after"])
    if "created_before" in given:
        tickets = tickets.filter(created_at__lt=given["created_before"])
    return tickets


class TicketListCreate(APIView):
    """List the tickets you may see (filters, newest first, cursor-paginated); create a ticket (idempotent with an
    ``Idempotency-Key`` header)."""

    permission_classes = [HasPermission]
    required_permissions = {"GET": "tickets.view_ticket", "POST": "tickets.add_ticket"}

    @extend_schema(
        operation_id="v1_tickets_list",
        parameters=[*FILTER_PARAMETERS, *api_pagination.PARAMETERS],
        responses=api_pagination.paginated(TicketOutput(many=True), "The tickets, newest first."),
    )
    def get(self, request: Request) -> Response:
        rows, next_url = api_pagination.page(request, filtered_tickets(request), ordering=("-created_at", "-id"), view=self)
        return api_pagination.respond(TicketOutput(rows, many=True).data, next_url)

    @extend_schema(
        request=TicketCreateInput,
        responses={201: IntakeOutput, 200: IntakeOutput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False)],
    )
    def post(self, request: Request) -> Response:
        payload = TicketCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        result = receive_contact(
            channel=data["channel"],
            customer_email=data["customer_email"],
            customer_name=data["customer_name"],
            organization=data["organization"],
            subject=data["subject"],
            body=data["body"],
            idempotency_source=f"api:{request.user.pk}",
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        return _intake_response(result, request.user)


class TicketDetail(APIView):
    permission_classes = [HasPermission]

    @extend_schema(responses=TicketOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TicketOutput(get_object_or_404(visible_tickets(user=request.user), pk=pk)).data)


class TicketConversation(APIView):
    """The ticket's conversation, oldest first: customer messages, replies and (for staff) internal notes."""

    permission_classes = [HasPermission]

    @extend_schema(
        operation_id="v1_tickets_conversation_list",
        parameters=api_pagination.PARAMETERS,
        responses=api_pagination.paginated(InteractionOutput(many=True), "Oldest first."),
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = get_object_or_404(visible_tickets(user=request.user).select_related(None).only("id"), pk=pk)
        interactions = Interaction.objects.filter(ticket=ticket).select_related("author")
        rows, next_url = api_pagination.page(request, interactions, ordering=("created_at", "id"), view=self)
        return api_pagination.respond(InteractionOutput(rows, many=True).data, next_url)


class TicketEvents(APIView):
    """The ticket's audit trail, oldest first: created, triaged, routed, assigned, status and priority changes, …"""

    permission_classes = [HasPermission]
    required_permissions = {"GET": "tickets.view_ticketevent"}

    @extend_schema(
        operation_id="v1_tickets_events_list",
        parameters=api_pagination.PARAMETERS,
        responses=api_pagination.paginated(TicketEventOutput(many=True), "Oldest first."),
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = get_object_or_404(visible_tickets(user=request.user).select_related(None).only("id"), pk=pk)
        events = TicketEvent.objects.filter(ticket=ticket).select_related("actor")
        rows, next_url = api_pagination.page(request, events, ordering=("created_at", "id"), view=self)
        return api_pagination.respond(TicketEventOutput(rows, many=True).data, next_url)


def _workable(request: Request, pk: int) -> Any:
    return get_object_or_404(visible_tickets(user=request.user), pk=pk)


def _detail(request: Request, pk: int) -> Response:
    return Response(TicketOutput(visible_tickets(user=request.user).get(pk=pk)).data)


class TicketWork(APIView):
    """Base of the ticket actions: agents of the ticket's team (or anyone seeing all tickets) with change_ticket."""

    permission_classes = [HasPermission]
    required_permissions = {"POST": "tickets.change_ticket"}


class TicketReply(TicketWork):
    """A public reply (e-mailed through the outbox, stops the response clocks) or an internal note.

    A public reply is held once (409 with the other reply's preview) when a colleague replied after
    ``seen_message_id`` or is typing one in the console now; ``override_collision`` sends it anyway."""

    @extend_schema(
        request=ReplyInput,
        responses={
            201: InteractionOutput,
            409: OpenApiResponse(
                ReplyCollisionOutput,
                description="Held once: a colleague replied after seen_message_id, or is replying now. Nothing was sent; "
                "send again with override_collision true to reply anyway.",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = ReplyInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = _workable(request, pk)
        data = payload.validated_data
        if not data["internal"] and not data["override_collision"]:
            collision = reply_collision(ticket=ticket, user=request.user, seen_id=data.get("seen_message_id"))
            if collision is not None:
                verb = "replied" if collision["sent"] else "is replying"
                detail = (
                    f"{collision['name']} {verb} on this ticket; nothing was sent. Send again with override_collision true to reply anyway."
                )
                return Response({"detail": detail, "collision": CollisionOutput(collision).data}, status=status.HTTP_409_CONFLICT)
        interaction = add_agent_reply(
            ticket=ticket, body=payload.validated_data["body"], by=request.user, internal=payload.validated_data["internal"]
        )
        return Response(InteractionOutput(interaction).data, status=status.HTTP_201_CREATED)


class TicketStatusChange(TicketWork):
    """Move the ticket through its life cycle (pending the customer pauses the SLA; reopening restarts resolution)."""

    @extend_schema(request=StatusInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        payload = StatusInput(data=request.data)
        payload.is_valid(raise_exception=True)
        change_status(ticket=_workable(request, pk), status=payload.validated_data["status"], by=request.user)
        return _detail(request, pk)


class TicketPriority(TicketWork):
    """Correct the priority: the SLA clocks follow, and the correction becomes a training label."""

    @extend_schema(request=PriorityInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        payload = PriorityInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reprioritize_ticket(ticket=_workable(request, pk), priority=payload.validated_data["priority"], by=request.user)
        return _detail(request, pk)


class TicketTags(TicketWork):
    """Replace the ticket's tags (lower-cased, de-duplicated), audited."""

    @extend_schema(request=TagsInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        payload = TagsInput(data=request.data)
        payload.is_valid(raise_exception=True)
        set_tags(ticket=_workable(request, pk), tags=payload.validated_data["tags"], by=request.user)
        return _detail(request, pk)


class TicketMerge(TicketWork):
    """Fold this duplicate into another open ticket of the same customer (messages move, this one closes)."""

    @extend_schema(request=MergeInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        payload = MergeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        source = _workable(request, pk)
        target = visible_tickets(user=request.user).filter(pk=payload.validated_data["into"]).first()
        if target is None:
            raise ValidationError({"into": ["No such ticket, or not one you may see."]})
        try:
            merged = merge_tickets(source=source, target=target, by=request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"into": exc.messages}) from None
        return _detail(request, merged.pk)


class TicketSplit(TicketWork):
    """Move chosen messages into a new ticket of the same customer, triaged and routed as new (audited on both)."""

    @extend_schema(request=SplitInput, responses={201: SplitOutput})
    def post(self, request: Request, pk: int) -> Response:
        payload = SplitInput(data=request.data)
        payload.is_valid(raise_exception=True)
        source = _workable(request, pk)
        try:
            new = split_ticket(
                ticket=source,
                interaction_ids=payload.validated_data["messages"],
                by=request.user,
                subject=payload.validated_data["subject"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"messages": exc.messages}) from None
        receipt = {"id": new.pk, "reference": new.reference, "status": new.status}
        return Response({"ticket": receipt, "split_from": source.pk}, status=status.HTTP_201_CREATED)


class TicketFollowers(TicketWork):
    """People in Cc of the ticket: they may write into it and get every public reply in Cc."""

    required_permissions = {"POST": "tickets.change_ticket"}

    @extend_schema(operation_id="v1_tickets_followers_list", responses=FollowerOutput(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response(FollowerOutput(followers.followers_of(ticket=_workable(request, pk)), many=True).data)

    @extend_schema(request=FollowerInput, responses={201: FollowerOutput(many=True)})
    def post(self, request: Request, pk: int) -> Response:
        payload = FollowerInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = _workable(request, pk)
        try:
            followers.add_follower(ticket=ticket, email=payload.validated_data["email"], by=request.user)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"email": exc.messages}) from None
        return Response(FollowerOutput(followers.followers_of(ticket=ticket), many=True).data, status=status.HTTP_201_CREATED)


class TicketFollowerRemove(TicketWork):
    """Stop copying one follower (their later mail no longer threads onto the ticket)."""

    required_permissions = {"DELETE": "tickets.change_ticket"}

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int, customer_id: int) -> Response:
        ticket = _workable(request, pk)
        if not followers.remove_follower(ticket=ticket, customer_id=customer_id, by=request.user):
            raise NotFound("This customer does not follow the ticket.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class InboundEmail(APIView):
    """A mail relay posts one raw RFC 822 message; replies thread, duplicates are no-ops."""

    permission_classes = [HasPermission]
    required_permissions = {"POST": "tickets.add_ticket"}
    parser_classes = [RawBodyParser]

    @extend_schema(request={"message/rfc822": bytes}, responses={201: IntakeOutput, 200: IntakeOutput})
    def post(self, request: Request) -> Response:
        raw = request.data if isinstance(request.data, bytes) else b""
        try:
            result = mail.receive_email(raw)
        except mail.MailError as exc:
            raise ParseError(str(exc)) from None
        return _intake_response(result, request.user)


class InboundWebhook(APIView):
    """Signed JSON from another system (HMAC-SHA256, see tickets/webhooks.py)."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [RawBodyParser]

    @extend_schema(request=WebhookInput, responses={201: IntakeOutput, 200: IntakeOutput})
    def post(self, request: Request, source: str) -> Response:
        secret = settings.WEBHOOK_SECRETS.get(source)
        if not secret:
            return Response({"detail": f"Unknown webhook source {source!r}."}, status=status.HTTP_404_NOT_FOUND)
        raw = request.data if isinstance(request.data, bytes) else b""
        try:
            webhooks.verify(
                secret=secret,
                timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
                signature=request.headers.get(webhooks.SIGNATURE_HEADER),
                body=raw,
                now=time.time(),
                max_age_seconds=settings.WEBHOOK_MAX_AGE_SECONDS,
            )
        except webhooks.WebhookRejected as exc:
            return Response({"detail": exc.message}, status=exc.status)
        try:
            body = loads_json(raw)
        except InputError as error:  # not UTF-8, not JSON, or nested too deep
            raise ParseError(error.message) from None
        payload = WebhookInput(data=body)
        if not payload.is_valid():
            raise ValidationError(payload.errors)
        data = payload.validated_data
        result = receive_contact(
            channel=data["channel"],
            customer_email=data["customer"]["email"],
            customer_name=data["customer"]["name"],
            subject=data["subject"],
            body=data["body"],
            idempotency_source=f"webhook:{source}",
            idempotency_key=data["id"],
        )
        return _intake_response(result, None)
