from django.urls import path

from helpcenter import api, contact, views

urlpatterns = [
    path("support/new/", contact.support_new, name="support-new"),
    path("support/thanks/<str:token>/", contact.support_thanks, name="support-thanks"),
    path("support/suggest", contact.support_suggest, name="support-suggest"),
    path("support/deflected", contact.support_deflected, name="support-deflected"),
    path("help/", views.home, name="help-home"),
    path("help/search/", views.search_view, name="help-search"),
    path("help/category/<slug:slug>/", views.category, name="help-category"),
    path("help/article/<slug:slug>/", views.article, name="help-article"),
    path("help/article/<slug:slug>/vote", views.vote, name="help-vote"),
    path("api/v1/macros/", api.MacroList.as_view(), name="api-macros"),
    path("api/v1/tickets/<id:pk>/apply-macro", api.ApplyMacro.as_view(), name="api-ticket-apply-macro"),
    path("t/<str:token>/", views.ticket_status, name="ticket-status"),
    path("auto-reply/<str:token>/<slug:answer>/", views.auto_reply_answer, name="auto-reply-answer"),
]
