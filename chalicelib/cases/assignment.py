"""Who works on a case. A reviewer claims an unassigned case or lets go of their own; whoever
holds `cases.assign_others` assigns anyone of the tenant who may decide. Completed cases keep
their last assignee."""

from __future__ import annotations

from chalicelib.auth.access import AccessStore, resolve_permissions
from chalicelib.auth.permissions import has_permission, require_active, require_permission
from chalicelib.cases import queries
from chalicelib.cases.inbox import InboxQuery
from chalicelib.cases.store import CaseStore
from chalicelib.errors import Forbidden, InvalidRequest, VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, Case
from chalicelib.models.permissions import CASES_ASSIGN_OTHERS, CASES_CLAIM, CASES_DECIDE
from chalicelib.models.reviewers import Reviewer


def assign_case(
    store: CaseStore,
    directory: AccessStore,
    reviewer: Reviewer,
    case_id: str,
    *,
    assignee_id: str | None,
    expected_version: int,
    request_id: str | None,
) -> Case:
    require_permission(reviewer, CASES_CLAIM)
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    require_active(case)
    queries.require_version(case, expected_version)
    if not has_permission(reviewer, CASES_ASSIGN_OTHERS):
        claiming = assignee_id == reviewer.id and case.assignee_id in (None, reviewer.id)
        releasing = assignee_id is None and case.assignee_id == reviewer.id
        if not (claiming or releasing):
            raise Forbidden("a reviewer can only claim an unassigned case or unassign themselves")
    assignee_name = None
    if assignee_id is not None:
        assignee = directory.get_reviewer(reviewer.tenant_id, assignee_id)
        if assignee is None or not assignee.active or not _may_decide(directory, assignee):
            raise InvalidRequest(
                "the assignee must be a reviewer or admin of this tenant",
                details=[{"path": "assigneeId", "message": "not a reviewer of this tenant"}],
            )
        assignee_name = assignee.name
    if assignee_id == case.assignee_id:
        return case
    return _reassign(
        store, case, reviewer, assignee_id, assignee_name, expected_version, request_id
    )


def _may_decide(directory: AccessStore, user: Reviewer) -> bool:
    return has_permission(resolve_permissions(directory, user), CASES_DECIDE)


def _reassign(
    store: CaseStore,
    case: Case,
    reviewer: Reviewer,
    assignee_id: str | None,
    assignee_name: str | None,
    expected_version: int,
    request_id: str | None,
    reason: str | None = None,
) -> Case:
    now = utc_now()
    previous = case.assignee_id
    first_assignment = assignee_id is not None and case.first_assigned_at is None
    updated = case.model_copy(
        update={
            "assignee_id": assignee_id,
            "updated_at": now,
            "assigned_at": now if assignee_id is not None else None,
            "first_assigned_at": case.first_assigned_at or (now if assignee_id else None),
        }
    )
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action="case.assigned",
        at=now,
        actor=Actor(type="reviewer", id=reviewer.id, name=reviewer.name),
        request_id=request_id,
        before={"assigneeId": previous},
        after={"assigneeId": assignee_id},
        details={
            "previousAssigneeId": previous,
            "assigneeId": assignee_id,
            "assigneeName": assignee_name,
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
            "caseCreatedAt": case.created_at,
            "firstAssignment": first_assignment,
            **({"reason": reason} if reason else {}),
        },
    )
    return store.update_case(updated, expected_version=expected_version, audit=audit)


# A case changed between reading it and unassigning it is read again, this many times.
RELEASE_ATTEMPTS = 5


def release_cases_of(
    store: CaseStore, actor: Reviewer, user_id: str, *, request_id: str | None
) -> list[str]:
    """Return a deactivated user's open cases to unassigned, each audited (`case.assigned`
    with reason `assignee_deactivated`). Found on the inbox's assignee index, never a scan.
    Returns the ids of the cases released."""
    query = InboxQuery(
        tenant_id=actor.tenant_id, statuses=("active",), assignees=(user_id,), limit=100
    )
    released: list[str] = []
    boundary: str | None = None
    while True:
        page = store.inbox_page(query, boundary)
        for row in page.rows:
            if _release(store, actor, row.case_id, user_id, request_id):
                released.append(row.case_id)
        boundary = page.next_boundary
        if boundary is None:
            return released


def _release(
    store: CaseStore, actor: Reviewer, case_id: str, user_id: str, request_id: str | None
) -> bool:
    for _ in range(RELEASE_ATTEMPTS):
        case = store.get_case(actor.tenant_id, case_id)
        if case is None or case.status != "active" or case.assignee_id != user_id:
            return False
        try:
            _reassign(
                store,
                case,
                actor,
                None,
                None,
                case.version,
                request_id,
                reason="assignee_deactivated",
            )
        except VersionConflict:
            continue
        return True
    return False
