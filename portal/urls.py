from django.urls import path

from portal import views

urlpatterns = [
    path("portal/", views.home, name="portal-home"),
    path("portal/sign-in/", views.sign_in_request, name="portal-sign-in"),
    path("portal/sign-in/<str:token>/", views.sign_in_link, name="portal-sign-in-link"),
    path("portal/sign-out", views.sign_out, name="portal-sign-out"),
    path("portal/new", views.new, name="portal-new"),
    path("portal/organization", views.organization, name="portal-organization"),
    path("portal/tickets/<id:pk>", views.ticket, name="portal-ticket"),
    path("portal/tickets/<id:pk>/reply", views.reply, name="portal-reply"),
    path("portal/tickets/<id:pk>/rate", views.rate, name="portal-rate"),
]
