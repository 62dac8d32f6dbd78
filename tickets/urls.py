from django.urls import path

from tickets import api

urlpatterns = [
    path("api/v1/tickets/", api.TicketListCreate.as_view(), name="api-tickets"),
    path("api/v1/tickets/<id:pk>/", api.TicketDetail.as_view(), name="api-ticket"),
    path("api/v1/inbound/email", api.InboundEmail.as_view(), name="api-inbound-email"),
    path("api/v1/inbound/webhook/<slug:source>", api.InboundWebhook.as_view(), name="api-inbound-webhook"),
]
