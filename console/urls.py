from django.urls import path

from console import macros, site, views

urlpatterns = [
    path("console/", views.console_home, name="console-home"),
    path("console/queue/<slug:slug>/", views.queue, name="console-queue"),
    path("console/ticket/<id:pk>/", views.ticket_workspace, name="console-ticket"),
    path("console/attachment/<id:pk>/", views.attachment_download, name="console-attachment"),
    path("console/ticket/<id:pk>/reply", views.ticket_reply, name="console-reply"),
    path("console/ticket/<id:pk>/status", views.ticket_status, name="console-status"),
    path("console/ticket/<id:pk>/category", views.ticket_category, name="console-category"),
    path("console/ticket/<id:pk>/priority", views.ticket_priority, name="console-priority"),
    path("console/ticket/<id:pk>/escalate", views.ticket_escalate, name="console-escalate"),
    path("console/ticket/<id:pk>/merge", views.ticket_merge, name="console-merge"),
    path("console/ticket/<id:pk>/split", views.ticket_split, name="console-split"),
    path("console/ticket/<id:pk>/assign", views.ticket_assign, name="console-assign"),
    path("console/ticket/<id:pk>/macro", macros.ticket_apply_macro, name="console-apply-macro"),
    path("console/macros/", macros.macro_list, name="console-macros"),
    path("console/macros/new", macros.macro_edit, name="console-macro-new"),
    path("console/macros/<id:pk>/", macros.macro_edit, name="console-macro-edit"),
    path("console/availability", views.availability, name="console-availability"),
    path("console/escalations/", views.escalation_inbox, name="console-inbox"),
    path("console/escalations/<id:pk>/decide", views.escalation_decide, name="console-decide"),
    path("console/team/", views.team, name="console-team"),
    path("console/team/reassign", views.team_reassign, name="console-team-reassign"),
    path("console/audit/", site.audit_log, name="console-audit"),
]
