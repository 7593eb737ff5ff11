"""Who may do what, as plain rules: `viewer` reads; a `reviewer` changes only the cases assigned
to them (claiming an unassigned case aside); an `admin` does everything in the tenant. Tenancy is
enforced before these run: a case of another tenant is never loaded."""

from __future__ import annotations

from chalicelib.errors import CaseCompleted, Forbidden
from chalicelib.models.case import Case
from chalicelib.models.reviewers import Reviewer

OVERRIDE_CRITERIA = "cases.override_criteria"

# Today's roles as sets of permissions; roles made of permissions will replace this mapping.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({OVERRIDE_CRITERIA}),
    "reviewer": frozenset(),
    "viewer": frozenset(),
}


def has_permission(reviewer: Reviewer, permission: str) -> bool:
    return any(permission in ROLE_PERMISSIONS.get(role, frozenset()) for role in reviewer.roles)


def require_permission(reviewer: Reviewer, permission: str) -> None:
    if not has_permission(reviewer, permission):
        raise Forbidden(
            f"this needs the permission `{permission}`", details={"permission": permission}
        )


def require_admin(reviewer: Reviewer) -> None:
    if not reviewer.is_admin:
        raise Forbidden("only an admin can do this")


def require_writer(reviewer: Reviewer) -> None:
    if not reviewer.can_write:
        raise Forbidden("viewers can read cases but not change them")


def require_active(case: Case) -> None:
    if case.status != "active":
        raise CaseCompleted(f"the case is {case.status}; it can no longer be changed")


def may_change_case(reviewer: Reviewer, case: Case) -> bool:
    return reviewer.is_admin or (reviewer.can_write and case.assignee_id == reviewer.id)


def require_may_change_case(reviewer: Reviewer, case: Case) -> None:
    """Deciding, and anything else that changes a case's review, needs the assignee or an admin."""
    require_writer(reviewer)
    if not may_change_case(reviewer, case):
        raise Forbidden("only the case's assignee or an admin can change it; claim it first")
