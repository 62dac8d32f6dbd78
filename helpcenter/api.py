"""Macro endpoints: the macros you may use, and applying one to a ticket."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from foundation import api_pagination
from foundation.api_input import IdField
from foundation.api_pagination import Key
from helpcenter import macros
from helpcenter.models import Macro
from tickets.api import HasPermission
from tickets.selectors import visible_tickets
from tickets.serializers import TicketOutput
from tickets.services import MAX_BODY


class MacroOutput(serializers.ModelSerializer):
    scope = serializers.CharField(read_only=True)
    team: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    owner = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Macro
        fields = ["id", "name", "body", "scope", "team", "owner", "actions", "usage_count", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, macro: Macro) -> str | None:
        return macro.owner.user.get_username() if macro.owner else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, macro: Macro) -> list[str]:
        return macro.action_summary()


class ApplyMacroInput(serializers.Serializer):
    macro_id = IdField()
    body = serializers.CharField(
        max_length=MAX_BODY,
        required=False,
        trim_whitespace=False,
        help_text="The reply as the agent edited it; without it the macro's body is rendered for the ticket.",
    )

    def validate_body(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("body must not be blank; leave it out to send the macro's own reply.")
        if "\x00" in value:
            raise serializers.ValidationError("body must not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise serializers.ValidationError("body must be valid Unicode text (no lone surrogates).") from None
        return value


class ApplyMacroOutput(serializers.Serializer):
    ticket = TicketOutput()
    reply_id = serializers.IntegerField(allow_null=True)
    actions = serializers.ListField(child=serializers.CharField())


class MacroFilters(serializers.Serializer):
    """The macro list's filters; a bad value is 400 naming the parameter."""

    scope = serializers.ChoiceField(choices=["global", "team", "personal"], required=False)
    team = serializers.SlugField(max_length=64, required=False, help_text="Macros shared with this team (slug).")


MACRO_PARAMETERS = [
    OpenApiParameter("scope", str, OpenApiParameter.QUERY, required=False, enum=["global", "team", "personal"]),
    OpenApiParameter("team", str, OpenApiParameter.QUERY, required=False, description="Macros shared with this team (slug)."),
]
SCOPES = {
    "global": Q(owner__isnull=True, team__isnull=True),
    "team": Q(owner__isnull=True, team__isnull=False),
    "personal": Q(owner__isnull=False),
}
MACRO_KEYS = (Key("name", kind="str"), Key("id"))


class MacroList(APIView):
    """Active macros you may use: global ones, your own, your teams' (supervisors: all). By name, filters ``scope`` and
    ``team``, cursor-paginated."""

    permission_classes = [HasPermission]
    required_permissions = {"GET": "tickets.view_ticket"}

    @extend_schema(
        operation_id="v1_macros_list",
        parameters=[*MACRO_PARAMETERS, *api_pagination.PARAMETERS],
        responses=api_pagination.paginated(MacroOutput(many=True), "By name."),
    )
    def get(self, request: Request) -> Response:
        filters = MacroFilters(data={key: request.query_params.get(key) for key in request.query_params if key not in ("limit", "cursor")})
        filters.is_valid(raise_exception=True)
        given = filters.validated_data
        found = macros.usable_macros(user=request.user)
        if "scope" in given:
            found = found.filter(SCOPES[given["scope"]])
        if "team" in given:
            found = found.filter(team__slug=given["team"])
        rows, next_url = api_pagination.keyset_page(request, found, keys=MACRO_KEYS)
        return api_pagination.respond(MacroOutput(rows, many=True).data, next_url)


class ApplyMacro(APIView):
    """Apply a macro to a ticket you may see: its reply (or your edit of it) is e-mailed, its actions applied as your changes."""

    permission_classes = [HasPermission]
    required_permissions = {"POST": "tickets.change_ticket"}

    @extend_schema(request=ApplyMacroInput, responses=ApplyMacroOutput)
    def post(self, request: Request, pk: int) -> Response:
        ticket = get_object_or_404(visible_tickets(user=request.user), pk=pk)
        payload = ApplyMacroInput(data=request.data)
        payload.is_valid(raise_exception=True)
        macro = macros.usable_macro(user=request.user, macro_id=payload.validated_data["macro_id"])
        if macro is None:
            return Response({"macro_id": ["No such macro, or not one you may use."]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            applied = macros.apply_macro(macro=macro, ticket=ticket, by=request.user, body=payload.validated_data.get("body"))
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except DjangoValidationError as exc:
            # The ticket's state refused an action (a status it cannot move to, a closed ticket's team): nothing was applied.
            return Response({"detail": "; ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        data = {
            # Its state after the macro, even if a team change took it out of the caller's sight.
            "ticket": TicketOutput(applied.ticket).data,
            "reply_id": applied.reply.pk if applied.reply else None,
            "actions": applied.actions,
        }
        return Response(data)
