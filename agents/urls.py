from django.urls import path

from agents import api

urlpatterns = [
    path("api/v1/routing-rules/", api.RoutingRuleListCreate.as_view(), name="api-routing-rules"),
    path("api/v1/routing-rules/<id:pk>", api.RoutingRuleDetail.as_view(), name="api-routing-rule"),
    path("api/v1/tickets/<id:pk>/category", api.TicketCategory.as_view(), name="api-ticket-category"),
    path("api/v1/capacity-profiles/", api.CapacityProfileListCreate.as_view(), name="api-capacity-profiles"),
    path("api/v1/teams/<id:pk>/queue-order", api.TeamQueueOrder.as_view(), name="api-team-queue-order"),
    path("api/v1/tickets/<id:pk>/assign", api.TicketAssign.as_view(), name="api-ticket-assign"),
    path("api/v1/agents/me/availability", api.MyAvailability.as_view(), name="api-my-availability"),
]
