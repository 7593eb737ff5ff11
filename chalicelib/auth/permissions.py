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
from chalicelib.models.permissions import (
    CASES_APPROVE_SECOND,
    CASES_ASSIGN_OTHERS,
    CASES_CLAIM,
    CASES_DECIDE,
    CASES_READ,
    CASES_READ_UNMASKED,
    MESSAGES_WRITE,
    NOTES_WRITE,
    PERMISSIONS,
)
from chalicelib.models.reviewers import Reviewer

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
