"""REST endpoints for intake: tickets, raw inbound e-mail and signed webhooks."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from foundation.parsing import InputError, loads_json, strict_int
from tickets import mail, webhooks
from tickets.selectors import visible_tickets
from tickets.serializers import IntakeOutput, TicketCreateInput, TicketOutput, WebhookInput
from tickets.services import IntakeResult, receive_contact


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


class TicketListCreate(APIView):
    """List the tickets you may see; create a ticket (idempotent with an ``Idempotency-Key`` header)."""

    permission_classes = [HasPermission]
    required_permissions = {"GET": "tickets.view_ticket", "POST": "tickets.add_ticket"}

    @extend_schema(responses=TicketOutput(many=True))
    def get(self, request: Request) -> Response:
        try:
            limit = strict_int(request.query_params.get("limit", "50"), field="limit", minimum=1, maximum=200)
        except InputError as error:
            raise ValidationError({error.field: [error.message]}) from None
        tickets = visible_tickets(user=request.user).order_by("-created_at", "-id")[:limit]
        return Response(TicketOutput(tickets, many=True).data)

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
