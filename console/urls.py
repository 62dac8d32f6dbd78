from django.urls import path

from console import live, notifications, site, views

urlpatterns = [
    path("console/", views.console_home, name="console-home"),
    path("console/queue/<slug:slug>/", views.queue, name="console-queue"),
    path("console/ticket/<id:pk>/", views.ticket_workspace, name="console-ticket"),
    path("console/attachment/<id:pk>/", views.attachment_download, name="console-attachment"),
    path("console/ticket/<id:pk>/live", live.ticket_live, name="console-ticket-live"),
    path("console/ticket/<id:pk>/reply", views.ticket_reply, name="console-reply"),
    path("console/ticket/<id:pk>/status", views.ticket_status, name="console-status"),
    path("console/ticket/<id:pk>/category", views.ticket_category, name="console-category"),
    path("console/ticket/<id:pk>/priority", views.ticket_priority, name="console-priority"),
    path("console/ticket/<id:pk>/escalate", views.ticket_escalate, name="console-escalate"),
    path("console/ticket/<id:pk>/merge", views.ticket_merge, name="console-merge"),
    path("console/ticket/<id:pk>/assign", views.ticket_assign, name="console-assign"),
    path("console/availability", views.availability, name="console-availability"),
    path("console/escalations/", views.escalation_inbox, name="console-inbox"),
    path("console/escalations/<id:pk>/decide", views.escalation_decide, name="console-decide"),
    path("console/team/", views.team, name="console-team"),
    path("console/team/reassign", views.team_reassign, name="console-team-reassign"),
    path("console/audit/", site.audit_log, name="console-audit"),
    path("console/notifications/", notifications.notification_list, name="console-notifications"),
    path("console/notifications/bell", notifications.bell, name="console-bell"),
    path("console/notifications/<id:pk>/open", notifications.notification_open, name="console-notification-open"),
    path("console/notifications/<id:pk>/read", notifications.notification_read, name="console-notification-read"),
    path("console/notifications/read-all", notifications.notifications_read_all, name="console-notifications-read-all"),
    path("console/notifications/preferences", notifications.notification_preferences, name="console-notification-preferences"),
    path("console/mentions", notifications.mention_suggestions, name="console-mentions"),
]
