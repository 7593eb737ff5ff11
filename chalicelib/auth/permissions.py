"""Who may do what: a catalogue of permissions, roles made of them, and the rules that check a
reviewer's permissions (never a role name). Tenancy is enforced before these run: a case of
another tenant is never loaded.

The built-in roles are fixed here; a tenant's custom roles are sets of the same permissions. A
reviewer's permissions are resolved from the reviewer directory at every request, so a change of
roles takes effect at once, not at token expiry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from chalicelib.errors import CaseCompleted, Forbidden
from chalicelib.models.case import Case
from chalicelib.models.reviewers import Reviewer

CASES_READ = "cases.read"
CASES_READ_UNMASKED = "cases.read_unmasked"
CASES_CLAIM = "cases.claim"
CASES_DECIDE = "cases.decide"
CASES_APPROVE_SECOND = "cases.approve_second"
CASES_ASSIGN_OTHERS = "cases.assign_others"
OVERRIDE_CRITERIA = "cases.override_criteria"
NOTES_WRITE = "notes.write"
MESSAGES_WRITE = "messages.write"
WEBHOOKS_MANAGE = "webhooks.manage"
USERS_MANAGE = "users.manage"
ROLES_MANAGE = "roles.manage"
ANALYTICS_READ = "analytics.read"
SETTINGS_MANAGE = "settings.manage"
LAYOUTS_MANAGE = "layouts.manage"
DEFINITIONS_MANAGE = "definitions.manage"
VIEWS_SHARE = "views.share"

# The catalogue: every permission a role can hold, with what it allows.
PERMISSIONS: Mapping[str, str] = {
    CASES_READ: "See the inbox, cases, their documents and history",
    CASES_READ_UNMASKED: "See fields a layout masks, in clear",
    CASES_CLAIM: "Claim an unassigned case and let go of one's own",
    CASES_DECIDE: "Decide documents and cases assigned to oneself",
    CASES_APPROVE_SECOND: "Confirm (or return) another reviewer's approval under four-eyes",
    CASES_ASSIGN_OTHERS: "Assign and reassign cases to anyone, and decide any case",
    OVERRIDE_CRITERIA: "Approve over unmet acceptance criteria, with a justification",
    NOTES_WRITE: "Write internal notes on cases",
    MESSAGES_WRITE: "Write messages the customer sees",
    WEBHOOKS_MANAGE: "Manage webhook subscriptions and replay deliveries",
    USERS_MANAGE: "Invite, change and deactivate the tenant's users",
    ROLES_MANAGE: "Define the tenant's custom roles",
    ANALYTICS_READ: "See the team's analytics and export them",
    SETTINGS_MANAGE: "Change the tenant's settings (SLAs)",
    LAYOUTS_MANAGE: "Edit case layouts",
    DEFINITIONS_MANAGE: "Publish workflow definitions",
    VIEWS_SHARE: "Share saved inbox views with the tenant",
}

_REVIEWER = frozenset(
    {CASES_READ, CASES_READ_UNMASKED, CASES_CLAIM, CASES_DECIDE, NOTES_WRITE, MESSAGES_WRITE}
)
# Built-in roles, the same in every tenant and not editable.
BUILTIN_ROLES: Mapping[str, frozenset[str]] = {
    "viewer": frozenset({CASES_READ}),
    "reviewer": _REVIEWER,
    "senior_reviewer": _REVIEWER | {CASES_APPROVE_SECOND},
    "admin": frozenset(PERMISSIONS),
}
BUILTIN_ROLE_NAMES: Mapping[str, str] = {
    "viewer": "Viewer",
    "reviewer": "Reviewer",
    "senior_reviewer": "Senior reviewer",
    "admin": "Admin",
}


def permissions_of(
    roles: Iterable[str], custom_roles: Mapping[str, frozenset[str]] | None = None
) -> frozenset[str]:
    """The union of the roles' permissions; a role no longer defined grants nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= BUILTIN_ROLES.get(role) or (custom_roles or {}).get(role, frozenset())
    return frozenset(granted)


def with_permissions(
    listed: Reviewer, custom_roles: Mapping[str, frozenset[str]] | None = None
) -> Reviewer:
    """The directory entry as a signed-in reviewer: its roles' permissions resolved."""
    return listed.model_copy(
        update={"permissions": sorted(permissions_of(listed.roles, custom_roles))}
    )


def has_permission(reviewer: Reviewer, permission: str) -> bool:
    return permission in reviewer.permissions


def require_permission(reviewer: Reviewer, permission: str) -> None:
    if not has_permission(reviewer, permission):
        raise Forbidden(
            f"this needs the permission `{permission}`", details={"permission": permission}
        )


def require_any_permission(reviewer: Reviewer, permissions: Iterable[str]) -> None:
    """One of `permissions` (a route open to holders of either)."""
    wanted = list(permissions)
    if len(wanted) == 1:
        require_permission(reviewer, wanted[0])
    elif not any(has_permission(reviewer, p) for p in wanted):
        raise Forbidden(
            "this needs one of the permissions " + ", ".join(f"`{p}`" for p in wanted),
            details={"permissions": wanted},
        )


def require_active(case: Case) -> None:
    if case.status != "active":
        raise CaseCompleted(f"the case is {case.status}; it can no longer be changed")


def may_change_case(reviewer: Reviewer, case: Case) -> bool:
    """Deciding a case: its assignee with `cases.decide`, or whoever may assign others."""
    if has_permission(reviewer, CASES_ASSIGN_OTHERS):
        return True
    return has_permission(reviewer, CASES_DECIDE) and case.assignee_id == reviewer.id


def require_may_change_case(reviewer: Reviewer, case: Case) -> None:
    """Deciding, and anything else that changes a case's review, needs the assignee or someone
    who may assign others."""
    require_permission(reviewer, CASES_DECIDE)
    if not may_change_case(reviewer, case):
        raise Forbidden("only the case's assignee or an admin can change it; claim it first")
