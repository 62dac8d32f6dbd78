"""Supervisor endpoints for escalations: the inbox, accept, dismiss, de-escalate, override."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Value, When
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent
from agents.services import AssignmentError
from escalation_engine import services
from escalation_engine.models import Escalation, EscalationTier
from foundation.api_input import IdField, WholeNumberField
from foundation.parsing import PRIORITY_RANGE
from tickets.api import HasPermission
from tickets.selectors import visible_tickets


class EscalationOutput(serializers.ModelSerializer):
    ticket_subject = serializers.CharField(source="ticket.subject", read_only=True)
    ticket_priority = serializers.IntegerField(source="ticket.priority", read_only=True)
    sla_status = serializers.CharField(source="ticket.sla_status", read_only=True)

    class Meta:
        model = Escalation
        fields = [
            "id", "ticket", "ticket_subject", "ticket_priority", "sla_status", "tier", "status", "score", "recommendation",
            "signals", "weights", "contributions", "actions", "sla_breached_at_escalation", "created_at", "decided_at", "decision_reason",
        ]  # fmt: skip
        read_only_fields = fields


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OverrideInput(serializers.Serializer):
    tier = serializers.ChoiceField(choices=EscalationTier.choices, required=False)
    priority = WholeNumberField(min_value=PRIORITY_RANGE[0], max_value=PRIORITY_RANGE[1], required=False)
    assignee_id = IdField(required=False)


class SupervisorOnly(HasPermission):
    message = "Only supervisors act on escalations."


class EscalationInbox(APIView):
    """Open escalations of tickets you may see, most urgent first (immediate, then score, then SLA)."""

    permission_classes = [SupervisorOnly]
    required_permissions = {"GET": "escalation.change_escalation"}

    @extend_schema(responses=EscalationOutput(many=True))
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status", Escalation.Status.OPEN)
        if wanted not in Escalation.Status.values:
            return Response({"status": [f"Must be one of {', '.join(Escalation.Status.values)}."]}, status=status.HTTP_400_BAD_REQUEST)
        visible = visible_tickets(user=request.user).values("id")
        rows = (
            Escalation.objects.filter(status=wanted, ticket_id__in=visible)
            .select_related("ticket")
            .annotate(urgency=Case(When(recommendation="immediate", then=Value(0)), default=Value(1)))
            .order_by("urgency", "-score", "ticket__sla_resolution_due_at")[:200]
        )
        return Response(EscalationOutput(rows, many=True).data)


class EscalationAction(APIView):
    permission_classes = [SupervisorOnly]
    required_permissions = {"POST": "escalation.change_escalation"}
    action = "accept"

    def _escalation(self, request: Request, pk: int) -> Escalation | None:
        return Escalation.objects.filter(pk=pk, ticket_id__in=visible_tickets(user=request.user).values("id")).first()

    @extend_schema(request=ReasonInput, responses=EscalationOutput)
    def post(self, request: Request, pk: int) -> Response:
        if self._escalation(request, pk) is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        payload = ReasonInput(data=request.data)
        payload.is_valid(raise_exception=True)
        reason = payload.validated_data["reason"]
        try:
            if self.action == "accept":
                escalation = services.accept_escalation(escalation_id=pk, by=request.user)
            elif self.action == "dismiss":
                escalation = services.dismiss_escalation(escalation_id=pk, by=request.user, reason=reason)
            else:
                escalation = services.deescalate(escalation_id=pk, by=request.user, reason=reason)
        except services.EscalationConflict as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(EscalationOutput(escalation).data)


class EscalationOverride(EscalationAction):
    @extend_schema(request=OverrideInput, responses=EscalationOutput)
    def post(self, request: Request, pk: int) -> Response:
        if self._escalation(request, pk) is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        payload = OverrideInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data: dict[str, Any] = payload.validated_data
        assignee = None
        if "assignee_id" in data:
            assignee = Agent.objects.filter(pk=data["assignee_id"]).first()
            if assignee is None:
                return Response({"assignee_id": ["No such agent."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            escalation = services.override_escalation(
                escalation_id=pk, by=request.user, tier=data.get("tier"), priority=data.get("priority"), assignee=assignee
            )
        except (services.EscalationConflict, AssignmentError) as exc:
            message = exc.messages[0] if isinstance(exc, AssignmentError) else str(exc)
            return Response({"detail": message}, status=status.HTTP_409_CONFLICT)
        escalation.refresh_from_db()
        return Response(EscalationOutput(escalation).data)
