"""``/api/v1/analytics/<dashboard>``: the numbers of each dashboard as JSON (supervisors and admins)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from tickets.api import HasPermission

PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description="First day (default: 29 days before end)."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive (default: today)."),
    OpenApiParameter("team", OpenApiTypes.INT, description="Only this team (default: all teams)."),
    OpenApiParameter("by", OpenApiTypes.STR, description="Breakdown dimension; see each dashboard."),
]


class DashboardData(serializers.Serializer):
    filters = serializers.DictField()
    totals = serializers.DictField()
    breakdown = serializers.ListField(child=serializers.DictField())
    trend = serializers.ListField(child=serializers.DictField())


class AnalyticsView(APIView):
    permission_classes = [HasPermission]
    required_permissions = {"GET": "analytics.view_dashboards"}
    dashboard = "sla"

    def get(self, request: Request) -> Response:
        try:
            filters = selectors.parse_filters(request.query_params, self.dashboard)
        except ValidationError as error:
            raise ApiValidationError(error.message_dict) from None
        _, build = selectors.DASHBOARDS[self.dashboard]
        data: dict[str, Any] = {"filters": {**filters.as_query(), "team": filters.team or None}, **build(filters)}
        return Response(data)


def view_for(name: str) -> Any:
    """A documented view class per dashboard (the schema lists each with its breakdowns)."""
    choices = ", ".join(selectors.BREAKDOWNS[name])

    class DashboardView(AnalyticsView):
        dashboard = name

        @extend_schema(
            operation_id=f"analytics_{name}",
            summary=f"{selectors.DASHBOARDS[name][0]} dashboard numbers",
            description=f"Same numbers as the console dashboard. `by`: {choices}.",
            parameters=PARAMETERS,
            responses=DashboardData,
        )
        def get(self, request: Request) -> Response:  # one function per class: the schema is stored on it
            return super().get(request)

    DashboardView.__name__ = DashboardView.__qualname__ = f"{name.title()}Analytics"
    return DashboardView
