"""REST endpoints for routing: rules (admins), manual assignment (supervisors), own availability (agents)."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import Agent, Availability, CapacityProfile, RoutingRule, RoutingRuleSkill, Skill, Team
from agents.services import AssignmentError, assign_ticket, route_ticket, set_availability
from foundation import api_pagination, audit
from foundation.api_input import IdField
from foundation.api_pagination import Key
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


class RoutingRuleFilters(serializers.Serializer):
    """The rule list's filters; a bad value is 400 naming the parameter."""

    enabled = serializers.BooleanField(required=False, allow_null=True, default=None)
    team = serializers.SlugField(max_length=64, required=False, help_text="Rules that send to this team (slug).")
    category = serializers.SlugField(max_length=64, required=False, help_text="Rules with this category among their conditions.")


RULE_PARAMETERS = [
    OpenApiParameter("enabled", bool, OpenApiParameter.QUERY, required=False),
    OpenApiParameter("team", str, OpenApiParameter.QUERY, required=False, description="Rules that send to this team (slug)."),
    OpenApiParameter("category", str, OpenApiParameter.QUERY, required=False, description="Rules with this category condition (slug)."),
]
RULE_KEYS = (Key("order"), Key("id"))


def _filters(serializer_class: Any, request: Request) -> dict[str, Any]:
    data = {key: request.query_params.get(key) for key in request.query_params if key not in ("limit", "cursor")}
    filters = serializer_class(data=data)
    filters.is_valid(raise_exception=True)
    return dict(filters.validated_data)


class RoutingRuleListCreate(APIView):
    """Routing rules in the order they run (filters ``enabled``, ``team``, ``category``; cursor-paginated); admins add rules."""

    permission_classes = [IsAdminRole]

    @extend_schema(
        operation_id="v1_routing_rules_list",
        parameters=[*RULE_PARAMETERS, *api_pagination.PARAMETERS],
        responses=api_pagination.paginated(RoutingRuleSerializer(many=True), "In the order they run."),
    )
    def get(self, request: Request) -> Response:
        given = _filters(RoutingRuleFilters, request)
        rules = RoutingRule.objects.prefetch_related("categories", "skills__skill")
        if given.get("enabled") is not None:
            rules = rules.filter(enabled=given["enabled"])
        if "team" in given:
            rules = rules.filter(team__slug=given["team"])
        if "category" in given:
            rules = rules.filter(categories__slug=given["category"])
        rows, next_url = api_pagination.keyset_page(request, rules, keys=RULE_KEYS)
        return api_pagination.respond(RoutingRuleSerializer(rows, many=True).data, next_url)

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


class CapacityProfileFilters(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False, help_text="Profiles whose name contains this (any case).")
    pending_frees_units = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate_name(self, value: str) -> str:
        if "\x00" in value:
            raise serializers.ValidationError("name must not contain NUL characters.")
        return value


PROFILE_PARAMETERS = [
    OpenApiParameter("name", str, OpenApiParameter.QUERY, required=False, description="Name contains (any case)."),
    OpenApiParameter("pending_frees_units", bool, OpenApiParameter.QUERY, required=False),
]
PROFILE_KEYS = (Key("name", kind="str"), Key("id"))


class CapacityProfileListCreate(APIView):
    """Capacity profiles (units, channel weights, priority multipliers, hand-out rate): admins, like routing rules.

    The list is by name (filters ``name``, ``pending_frees_units``; cursor-paginated)."""

    permission_classes = [IsAdminRole]

    @extend_schema(
        operation_id="v1_capacity_profiles_list",
        parameters=[*PROFILE_PARAMETERS, *api_pagination.PARAMETERS],
        responses=api_pagination.paginated(CapacityProfileSerializer(many=True), "By name."),
    )
    def get(self, request: Request) -> Response:
        given = _filters(CapacityProfileFilters, request)
        profiles = CapacityProfile.objects.all()
        if given.get("name"):
            profiles = profiles.filter(name__icontains=given["name"])
        if given.get("pending_frees_units") is not None:
            profiles = profiles.filter(pending_frees_units=given["pending_frees_units"])
        rows, next_url = api_pagination.keyset_page(request, profiles, keys=PROFILE_KEYS)
        return api_pagination.respond(CapacityProfileSerializer(rows, many=True).data, next_url)

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
