from django.urls import path

from agents import api

urlpatterns = [
    path("api/v1/routing-rules/", api.RoutingRuleListCreate.as_view(), name="api-routing-rules"),
    path("api/v1/tickets/<id:pk>/assign", api.TicketAssign.as_view(), name="api-ticket-assign"),
    path("api/v1/agents/me/availability", api.MyAvailability.as_view(), name="api-my-availability"),
]
