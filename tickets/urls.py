from django.urls import path

from tickets import api

urlpatterns = [
    path("api/v1/tickets/", api.TicketListCreate.as_view(), name="api-tickets"),
    path("api/v1/tickets/<id:pk>/", api.TicketDetail.as_view(), name="api-ticket"),
    path("api/v1/tickets/<id:pk>/conversation", api.TicketConversation.as_view(), name="api-ticket-conversation"),
    path("api/v1/tickets/<id:pk>/events", api.TicketEvents.as_view(), name="api-ticket-events"),
    path("api/v1/tickets/<id:pk>/replies", api.TicketReply.as_view(), name="api-ticket-reply"),
    path("api/v1/tickets/<id:pk>/status", api.TicketStatusChange.as_view(), name="api-ticket-status"),
    path("api/v1/tickets/<id:pk>/priority", api.TicketPriority.as_view(), name="api-ticket-priority"),
    path("api/v1/tickets/<id:pk>/tags", api.TicketTags.as_view(), name="api-ticket-tags"),
    path("api/v1/tickets/<id:pk>/merge", api.TicketMerge.as_view(), name="api-ticket-merge"),
    path("api/v1/tickets/<id:pk>/split", api.TicketSplit.as_view(), name="api-ticket-split"),
    path("api/v1/tickets/<id:pk>/followers", api.TicketFollowers.as_view(), name="api-ticket-followers"),
    path("api/v1/tickets/<id:pk>/followers/<id:customer_id>", api.TicketFollowerRemove.as_view(), name="api-ticket-follower"),
    path("api/v1/inbound/email", api.InboundEmail.as_view(), name="api-inbound-email"),
    path("api/v1/inbound/webhook/<slug:source>", api.InboundWebhook.as_view(), name="api-inbound-webhook"),
]
