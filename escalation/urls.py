"""URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from console import site
from foundation import login_guard

admin.site.site_header = "escalation administration"
admin.site.site_title = "escalation admin"
admin.site.login_form = login_guard.LockoutAdminAuthenticationForm

urlpatterns = [
    path("", site.home, name="home"),
    path("healthz", site.healthz, name="healthz"),
    path("accounts/login/", login_guard.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("tickets.urls")),
    path("", include("agents.urls")),
    path("", include("console.urls")),
    path("", include("escalation.api_urls")),
    path("", include("analytics.urls")),
    path("", include("helpcenter.urls")),
    path("", include("portal.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
