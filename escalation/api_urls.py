from django.urls import path

from escalation_engine import api

urlpatterns = [
    path("api/v1/escalations/", api.EscalationInbox.as_view(), name="api-escalations"),
    path("api/v1/escalations/<id:pk>/accept", api.EscalationAction.as_view(action="accept"), name="api-escalation-accept"),
    path("api/v1/escalations/<id:pk>/dismiss", api.EscalationAction.as_view(action="dismiss"), name="api-escalation-dismiss"),
    path("api/v1/escalations/<id:pk>/deescalate", api.EscalationAction.as_view(action="deescalate"), name="api-escalation-deescalate"),
    path("api/v1/escalations/<id:pk>/override", api.EscalationOverride.as_view(), name="api-escalation-override"),
]
