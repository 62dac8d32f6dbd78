"""The three roles (Django groups) and the permissions each one holds.

``sync_roles`` is called from data migrations; call it again from a new migration
whenever a model or a role's permissions change, so every database converges.
"""

from __future__ import annotations

from typing import Any

AGENT = "agent"
SUPERVISOR = "supervisor"
ADMIN = "admin"
# Not a person: API tokens of mail relays, web shops and CRMs that open tickets.
INTEGRATION = "integration"
ROLES = (AGENT, SUPERVISOR, ADMIN)

# app_label -> codenames. Agents work tickets; they never delete anything.
AGENT_PERMISSIONS: dict[str, set[str]] = {
    "tickets": {
        "view_customer",
        "view_ticket",
        "change_ticket",
        "view_interaction",
        "add_interaction",
        "view_category",
        "view_ticketevent",
    },
    "agents": {"view_team", "view_agent", "view_skill", "view_agentskill", "view_agentshift"},
    "escalation": {"view_escalation"},
    "helpcenter": {"view_macro"},
}

# Supervisors also assign across teams, manage agents' skills and customers.
SUPERVISOR_PERMISSIONS: dict[str, set[str]] = {
    "tickets": AGENT_PERMISSIONS["tickets"]
    | {"add_ticket", "assign_ticket", "view_all_tickets", "add_customer", "change_customer", "change_category"},
    "agents": AGENT_PERMISSIONS["agents"]
    | {"change_agent", "add_agentskill", "change_agentskill", "delete_agentskill", "view_routingrule"}
    | {"view_agentshift", "add_agentshift", "change_agentshift", "delete_agentshift"},
    "escalation": {"view_escalation", "change_escalation", "view_escalationrule", "view_slapolicy"},
    "foundation": {"view_businesscalendar"},
    "analytics": {"view_dashboards", "view_satisfactionsurvey"},
    "helpcenter": {"view_macro", "add_macro", "change_macro", "delete_macro"},
}

INTEGRATION_PERMISSIONS: dict[str, set[str]] = {
    "tickets": {"add_ticket", "add_interaction", "add_customer"},
}

# Admins hold every permission of these apps (configuration lives in Django admin).
ADMIN_APPS = (
    "foundation", "tickets", "agents", "analytics", "helpcenter", "escalation", "notifications", "privacy", "imports", "portal",
    "auth", "authtoken",
)  # fmt: skip


def sync_roles(apps: Any, schema_editor: Any = None) -> None:
    """Create the role groups and set exactly the permissions each should hold."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate finishes; make sure they exist now.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True  # migration state apps have no module
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = original

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")

    def permissions_for(spec: dict[str, set[str]]) -> list[Any]:
        found = []
        for app_label, codenames in spec.items():
            # An early migration runs this before later models exist: grant what exists now;
            # the migration that adds a model calls sync_roles again.
            found.extend(permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        return found

    for name, perms in (
        (AGENT, permissions_for(AGENT_PERMISSIONS)),
        (SUPERVISOR, permissions_for(SUPERVISOR_PERMISSIONS)),
        (INTEGRATION, permissions_for(INTEGRATION_PERMISSIONS)),
        (ADMIN, list(permission_model.objects.filter(content_type__app_label__in=ADMIN_APPS))),
    ):
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(perms)


def role_of(user: Any) -> str | None:
    """The highest role a user holds: admin > supervisor > agent, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    for role in (ADMIN, SUPERVISOR, AGENT):
        if role in names:
            return role
    return None
