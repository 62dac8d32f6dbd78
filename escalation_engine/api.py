"""Supervisor endpoints for escalations: the inbox, accept, dismiss, de-escalate, override."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from django.db.models import Case, DateTimeField, IntegerField, Value, When
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent
from agents.services import AssignmentError
from escalation_engine import services
from escalation_engine.models import Escalation, EscalationTier, Recommendation
from foundation import api_pagination
from foundation.api_input import IdField, WholeNumberField
from foundation.api_pagination import Key
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


class InboxFilters(serializers.Serializer):
    """The inbox's filters; a bad value is 400 naming the parameter."""

    status = serializers.ChoiceField(choices=Escalation.Status.choices, default=Escalation.Status.OPEN)
    tier = serializers.ChoiceField(choices=EscalationTier.choices, required=False)
    recommendation = serializers.ChoiceField(choices=Recommendation.choices, required=False)
    team = serializers.SlugField(max_length=64, required=False)
    min_score = serializers.FloatField(min_value=0.0, max_value=1.0, required=False)

    def validate_min_score(self, value: float) -> float:
        if not math.isfinite(value):  # NaN passes both bounds
            raise serializers.ValidationError("min_score must be a number from 0 to 1.")
        return value


INBOX_PARAMETERS = [
    OpenApiParameter("status", str, OpenApiParameter.QUERY, required=False, enum=Escalation.Status.values, description="Default: open."),
    OpenApiParameter("tier", str, OpenApiParameter.QUERY, required=False, enum=EscalationTier.values),
    OpenApiParameter("recommendation", str, OpenApiParameter.QUERY, required=False, enum=Recommendation.values),
    OpenApiParameter("team", str, OpenApiParameter.QUERY, required=False, description="The ticket's team (slug)."),
    OpenApiParameter("min_score", float, OpenApiParameter.QUERY, required=False, description="Score at least this (0-1)."),
]
# Immediate first, then the highest score, then the nearest resolution target (none: last), then the oldest:
# (urgency, score, due, id) in a signed keyset cursor.
INBOX_KEYS = (Key("urgency"), Key("score", descending=True, kind="float"), Key("sla_due", kind="datetime"), Key("id"))
NO_TARGET = datetime(9999, 12, 31, tzinfo=UTC)


class EscalationInbox(APIView):
    """Escalations of tickets you may see (open by default), most urgent first: immediate, then score, then the
    nearest SLA resolution target, then oldest.

    Filters: ``status``, ``tier``, ``recommendation``, ``team`` (slug), ``min_score``; cursor-paginated
    (``limit``, ``cursor`` from the ``Link`` header)."""

    permission_classes = [SupervisorOnly]
    required_permissions = {"GET": "escalation.change_escalation"}

    @extend_schema(
        operation_id="v1_escalations_list",
        parameters=[*INBOX_PARAMETERS, *api_pagination.PARAMETERS],
        responses=api_pagination.paginated(EscalationOutput(many=True), "Most urgent first."),
    )
    def get(self, request: Request) -> Response:
        filters = InboxFilters(data={key: request.query_params.get(key) for key in request.query_params if key not in ("limit", "cursor")})
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        visible = visible_tickets(user=request.user).values("id")
        rows = Escalation.objects.filter(status=given["status"], ticket_id__in=visible)
        if "tier" in given:
            rows = rows.filter(tier=given["tier"])
        if "recommendation" in given:
            rows = rows.filter(recommendation=given["recommendation"])
        if "team" in given:
            rows = rows.filter(ticket__team__slug=given["team"])
        if "min_score" in given:
            rows = rows.filter(score__gte=given["min_score"])
        rows = rows.select_related("ticket").annotate(
            urgency=Case(When(recommendation="immediate", then=Value(0)), default=Value(1), output_field=IntegerField()),
            sla_due=Coalesce("ticket__sla_resolution_due_at", Value(NO_TARGET), output_field=DateTimeField()),
        )
        page, next_url = api_pagination.keyset_page(request, rows, keys=INBOX_KEYS)
        return api_pagination.respond(EscalationOutput(page, many=True).data, next_url)


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
