"""REST endpoints for routing: rules (admins), manual assignment (supervisors), own availability (agents)."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent, Availability, CapacityProfile, RoutingRule, RoutingRuleSkill, Skill, Team
from agents.services import AssignmentError, assign_ticket, route_ticket, set_availability
from foundation import audit
from foundation.api_input import IdField
from tickets.api import HasPermission
from tickets.models import Category
from tickets.selectors import visible_tickets
from tickets.serializers import TicketOutput, TicketReceipt
from tickets.services import recategorize_ticket


class SafeSlugField(serializers.SlugRelatedField):
    """A slug looked up only when the database can compare it: NUL characters and lone surrogates are a 400, not a 500."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or "\x00" in data or len(data) > 200:
            self.fail("invalid")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("invalid")
        return super().to_internal_value(data)


class RoutingRuleSkillSerializer(serializers.ModelSerializer):
    skill: serializers.SlugRelatedField[Any] = SafeSlugField(slug_field="slug", queryset=Skill.objects.all())

    class Meta:
        model = RoutingRuleSkill
        fields = ["skill", "min_level", "required", "priority", "relax_after_seconds"]


class RoutingRuleSerializer(serializers.ModelSerializer):
    categories: serializers.SlugRelatedField[Any] = SafeSlugField(
        slug_field="slug", many=True, queryset=Category.objects.all(), required=False
    )
    skills = RoutingRuleSkillSerializer(many=True, required=False)

    class Meta:
        model = RoutingRule
        fields = [
            "id", "name", "order", "enabled", "continue_matching", "categories", "priorities", "customer_tiers", "channels",
            "languages", "keyword_pattern", "business_hours", "team", "required_skill", "min_skill_level", "set_priority",
            "raise_priority_by", "add_tags", "assign_agent", "mark_for_escalation", "skills",
        ]  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The model's clean() holds the rules (regex compiles, known tiers/channels…): run it here too.
        from django.core.exceptions import ValidationError as DjangoValidationError

        skills = [s["skill"].pk for s in attrs.get("skills", [])]
        if len(skills) != len(set(skills)):
            raise serializers.ValidationError({"skills": ["Each skill at most once."]})
        fields = {k: v for k, v in attrs.items() if k not in ("categories", "skills")}
        if self.instance is not None:  # PATCH: the rule as it will be
            probe = copy.copy(self.instance)
            for name, value in fields.items():
                setattr(probe, name, value)
        else:
            probe = RoutingRule(**fields)
        try:
            probe.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs

    def create(self, validated_data: dict[str, Any]) -> RoutingRule:
        skills = validated_data.pop("skills", [])
        with transaction.atomic():
            rule = super().create(validated_data)
            RoutingRuleSkill.objects.bulk_create([RoutingRuleSkill(rule=rule, **skill) for skill in skills])
        return rule

    def update(self, instance: RoutingRule, validated_data: dict[str, Any]) -> RoutingRule:
        skills = validated_data.pop("skills", None)
        with transaction.atomic():
            rule = super().update(instance, validated_data)
            if skills is not None:  # the whole list replaces the old one
                RoutingRuleSkill.objects.filter(rule=rule).delete()
                RoutingRuleSkill.objects.bulk_create([RoutingRuleSkill(rule=rule, **skill) for skill in skills])
        return rule


class CapacityProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = CapacityProfile
        fields = [
            "id",
            "name",
            "total_units",
            "channel_weights",
            "priority_multipliers",
            "pending_frees_units",
            "max_assignments_per_minute",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from django.core.exceptions import ValidationError as DjangoValidationError

        try:
            CapacityProfile(**attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class TeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "queue_order"]
        read_only_fields = ["name", "slug"]


class IsAdminRole(permissions.BasePermission):
    message = "Only admins may manage routing rules."

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = "agents.view_routingrule" if request.method in permissions.SAFE_METHODS else "agents.add_routingrule"
        return bool(
            request.user
            and request.user.is_authenticated
            and request.user.has_perm(needed)
            and request.user.has_perm("agents.change_routingrule")
            and (request.method != "DELETE" or request.user.has_perm("agents.delete_routingrule"))
        )


class RoutingRuleListCreate(APIView):
    permission_classes = [IsAdminRole]

    @extend_schema(responses=RoutingRuleSerializer(many=True))
    def get(self, request: Request) -> Response:
        rules = RoutingRule.objects.prefetch_related("categories", "skills__skill").order_by("order", "id")
        return Response(RoutingRuleSerializer(rules, many=True).data)

    @extend_schema(request=RoutingRuleSerializer, responses={201: RoutingRuleSerializer})
    def post(self, request: Request) -> Response:
        serializer = RoutingRuleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = serializer.save()
        audit.log_change(request.user, rule, action=audit.ADDITION, message="Added through the API.")
        return Response(RoutingRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


def _rules() -> Any:
    return RoutingRule.objects.prefetch_related("categories", "skills__skill")


class RoutingRuleDetail(APIView):
    """One routing rule: read, change some fields (the model's checks run on the result), or delete it. Audited."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses=RoutingRuleSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RoutingRuleSerializer(get_object_or_404(_rules(), pk=pk)).data)

    @extend_schema(request=RoutingRuleSerializer(partial=True), responses=RoutingRuleSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(RoutingRule, pk=pk)
        serializer = RoutingRuleSerializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = serializer.save()
        audit.log_change(request.user, rule, action=audit.CHANGE, message=f"Changed through the API: {', '.join(sorted(request.data))}.")
        return Response(RoutingRuleSerializer(_rules().get(pk=rule.pk)).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(RoutingRule, pk=pk)
        with transaction.atomic():
            audit.log_change(request.user, rule, action=audit.DELETION, message="Deleted through the API.")
            rule.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class CategoryInput(serializers.Serializer):
    category: serializers.SlugRelatedField[Any] = SafeSlugField(slug_field="slug", queryset=Category.objects.all())


class TicketCategory(APIView):
    """Correct or confirm the category (a training label), then route the ticket as the console does."""

    permission_classes = [HasPermission]
    required_permissions = {"POST": "tickets.change_ticket"}

    @extend_schema(
        request=CategoryInput,
        responses={
            200: TicketOutput,
            202: OpenApiResponse(TicketReceipt, description="Routed to a team you do not see: the receipt only."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = CategoryInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = get_object_or_404(visible_tickets(user=request.user), pk=pk)
        ticket = recategorize_ticket(ticket=ticket, category=payload.validated_data["category"], by=request.user)
        route_ticket(ticket=ticket)  # out of Needs triage: to the category's team and its best available agent now
        found = visible_tickets(user=request.user).filter(pk=pk).first()
        if found is None:
            return Response({"id": ticket.pk, "reference": ticket.reference, "status": ticket.status}, status=status.HTTP_202_ACCEPTED)
        return Response(TicketOutput(found).data)


class CapacityProfileListCreate(APIView):
    """Capacity profiles (units, channel weights, priority multipliers, hand-out rate): admins, like routing rules."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses=CapacityProfileSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(CapacityProfileSerializer(CapacityProfile.objects.all(), many=True).data)

    @extend_schema(request=CapacityProfileSerializer, responses={201: CapacityProfileSerializer})
    def post(self, request: Request) -> Response:
        serializer = CapacityProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = serializer.save()
        audit.log_change(request.user, profile, action=audit.ADDITION, message="Added through the API.")
        return Response(CapacityProfileSerializer(profile).data, status=status.HTTP_201_CREATED)


class TeamQueueOrder(APIView):
    """A team's queue order (FIFO / priority / least SLA slack): admins read and change it."""

    permission_classes = [IsAdminRole]

    @extend_schema(responses=TeamSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TeamSerializer(get_object_or_404(Team, pk=pk)).data)

    @extend_schema(request=TeamSerializer, responses=TeamSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        team = get_object_or_404(Team, pk=pk)
        serializer = TeamSerializer(team, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        team = serializer.save()
        audit.log_change(request.user, team, action=audit.CHANGE, message=f"Queue order set to {team.queue_order} through the API.")
        return Response(TeamSerializer(team).data)


class AssignInput(serializers.Serializer):
    agent_id = IdField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TicketAssign(APIView):
    """Supervisors assign or reassign; the same capacity and availability checks as routing apply."""

    permission_classes = [HasPermission]
    required_permissions = {"POST": "tickets.assign_ticket"}

    @extend_schema(request=AssignInput, responses=TicketOutput)
    def post(self, request: Request, pk: int) -> Response:
        payload = AssignInput(data=request.data)
        payload.is_valid(raise_exception=True)
        ticket = get_object_or_404(visible_tickets(user=request.user), pk=pk)
        agent = Agent.objects.filter(pk=payload.validated_data["agent_id"]).first()
        if agent is None:
            return Response({"agent_id": ["No such agent."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            ticket = assign_ticket(ticket=ticket, agent=agent, by=request.user, note=payload.validated_data["note"])
        except AssignmentError as exc:
            return Response({"detail": exc.messages[0]}, status=status.HTTP_409_CONFLICT)
        return Response(TicketOutput(visible_tickets(user=request.user).get(pk=ticket.pk)).data)


class AvailabilityInput(serializers.Serializer):
    availability = serializers.ChoiceField(choices=Availability.choices)


class MyAvailability(APIView):
    """An agent sets their own availability (online / away / offline)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=AvailabilityInput, responses=AvailabilityInput)
    def post(self, request: Request) -> Response:
        agent = Agent.objects.filter(user_id=request.user.pk or 0).first()
        if agent is None:
            return Response({"detail": "Only agents have an availability."}, status=status.HTTP_403_FORBIDDEN)
        payload = AvailabilityInput(data=request.data)
        payload.is_valid(raise_exception=True)
        agent = set_availability(agent=agent, availability=payload.validated_data["availability"], by=request.user)
        return Response({"availability": agent.availability})
