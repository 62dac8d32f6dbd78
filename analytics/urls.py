from django.urls import path

from analytics import views

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="csat-survey"),
]
