from django.urls import path

from analytics import api, selectors, views

urlpatterns = [
    path("survey/<str:token>/", views.survey, name="csat-survey"),
    path("console/dashboards/", views.dashboards_home, name="console-dashboards"),
    path("console/dashboards/<slug:name>/", views.dashboard, name="console-dashboard"),
    *(path(f"api/v1/analytics/{name}", api.view_for(name).as_view(), name=f"api-analytics-{name}") for name in selectors.DASHBOARDS),
]
