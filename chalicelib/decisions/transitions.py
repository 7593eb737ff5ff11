"""A transition of a case through its workflow definition, as the facts it produces.

Pure functions over a copy of the case: the caller writes the result with one conditional
`update_case` (the new state, the transition the execution must follow, and every audit record
in one transaction)."""

from __future__ import annotations

from typing import Any

from chalicelib.ids import new_id
from chalicelib.models.case import Actor, AuditRecord, Case, DecisionStatus, WorkflowTransition
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.definition import WorkflowDefinition

DOCUMENT_STATUS: dict[str, DecisionStatus] = {
    "approve": "approved",
    "reject": "rejected",
    "revision": "revision",
}


def reviewer_actor(reviewer: Reviewer) -> Actor:
    return Actor(type="reviewer", id=reviewer.id, name=reviewer.name)


def audit_record(
    case: Case,
    action: str,
    *,
    actor: Actor,
    at: str,
    request_id: str | None,
    details: dict[str, Any],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditRecord:
    return AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action=action,
        at=at,
        actor=actor,
        request_id=request_id,
        before=before,
        after=after,
        details=details,
    )


def apply_event(
    case: Case,
    definition: WorkflowDefinition,
    event: str,
    *,
    actor: Actor,
    at: str,
    request_id: str | None,
    decision: str | None = None,
    reason: str | None = None,
    comment: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[Case, list[AuditRecord]]:
    """Move `case` by `event` (InvalidTransition if its state does not accept it).

    Returns the changed copy and its audit records: `case.state_changed`, plus
    `case.completed` when the target is final. The transition is queued on the case for the
    workflow sync, which sends the execution's task token once the write has committed."""
    target = definition.next_state(case.state, event)
    decision = decision or definition.events[event].decision
    updated = case.model_copy(deep=True)
    updated.state = target
    updated.updated_at = at
    transition = WorkflowTransition(
        seq=case.next_transition_seq(), event=event, from_state=case.state, to_state=target, at=at
    )
    # Delivered transitions are dropped here; the sync only ever needs the undelivered ones.
    updated.workflow_transitions = [*case.undelivered_transitions(), transition]
    final = definition.is_final(target)
    if final:
        updated.status = "completed"
        updated.resolved_at = at
    if decision == "revision":
        updated.revision_rounds += 1
    common = {
        "entityId": case.entity_id,
        "workflowDefinitionId": case.workflow_definition_id,
        "caseCreatedAt": case.created_at,
    }
    details: dict[str, Any] = {"previousState": case.state, "newState": target, "event": event}
    if decision is not None:
        details |= {
            "decision": decision,
            "reason": reason,
            "comment": comment,
            "assignedAt": case.assigned_at,
        }
    records = [
        audit_record(
            case,
            "case.state_changed",
            actor=actor,
            at=at,
            request_id=request_id,
            before={"state": case.state, "status": case.status},
            after={"state": updated.state, "status": updated.status},
            details={**details, **common, **(extra or {})},
        )
    ]
    if final:
        records.append(
            audit_record(
                case,
                "case.completed",
                actor=actor,
                at=at,
                request_id=request_id,
                before={"status": case.status},
                after={"status": updated.status, "state": target},
                details={
                    "finalState": target,
                    "decision": decision,
                    "resolvedAt": at,
                    "reason": reason,
                    "comment": comment,
                    "revisionRounds": updated.revision_rounds,
                    **common,
                },
            )
        )
    return updated, records
