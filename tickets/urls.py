from django.urls import path

from tickets import api, views

urlpatterns = [
    path("support/new/", views.support_new, name="support-new"),
    path("support/thanks/<str:token>/", views.support_thanks, name="support-thanks"),
    path("support/suggest", views.support_suggest, name="support-suggest"),
    path("support/deflected", views.support_deflected, name="support-deflected"),
    path("api/v1/tickets/", api.TicketListCreate.as_view(), name="api-tickets"),
    path("api/v1/tickets/<id:pk>/", api.TicketDetail.as_view(), name="api-ticket"),
    path("api/v1/inbound/email", api.InboundEmail.as_view(), name="api-inbound-email"),
    path("api/v1/inbound/webhook/<slug:source>", api.InboundWebhook.as_view(), name="api-inbound-webhook"),
]
