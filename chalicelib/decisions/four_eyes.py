"""Four-eyes (maker-checker): a case decision the definition's `approvalPolicy` covers is first
recorded as the maker's pending approval, pinned to a digest of the evidence it saw
(`models.case.evidence_digest`); a second person holding the policy's permission confirms it (the
case then moves) or returns it with a comment. If the evidence changed in between, confirming
voids the approval instead. Pure functions over a copy of the case: the decision service writes
what they produce. See docs/decisions.md."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.permissions import has_permission, require_permission
from chalicelib.decisions.transitions import audit_record
from chalicelib.errors import SelfApproval
from chalicelib.models.case import (
    AWAITING_SECOND_APPROVAL,
    Actor,
    AuditRecord,
    Case,
    DecidedBy,
    PendingApproval,
    evidence_digest,
    evidence_parts,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.criteria import judge
from chalicelib.workflows.definition import WorkflowDefinition

# What each evidence field is, in the words a reviewer is told when it changed.
EVIDENCE_LABELS = {
    "context": "the integrator's data (entity, documents, pages, custom data, its checks)",
    "document_records": "document decisions or page history",
    "page_storage": "stored pages",
    "vendor_results": "vendor check results",
    "hit_resolutions": "judgements of screening hits",
}


def second_approval_needed(case: Case, definition: WorkflowDefinition, decision: str) -> bool:
    """Whether `decision` on the case needs a checker: the policy covers the decision and its
    `when` is `always`, or a rule that is met or cannot be judged (fail closed)."""
    policy = definition.approval_policy
    if decision not in policy.decisions or policy.when == "never":
        return False
    if policy.when == "always":
        return True
    status, _ = judge(policy.when, case.facts.rule_data())
    return status != "unmet"


def record_pending(
    case: Case,
    *,
    decision: str,
    reason: str | None,
    comment: str | None,
    maker: Reviewer,
    at: str,
    request_id: str | None,
    automatic: bool = False,
    criteria_override: dict[str, Any] | None = None,
) -> list[AuditRecord]:
    """Record the maker's decision as pending on `case` (in place; nothing else moves) and its
    `case.approval_pending` audit record."""
    pending = PendingApproval(
        decision=decision,
        evidence_digest=evidence_digest(case),
        evidence_parts=evidence_parts(case),
        maker=DecidedBy(id=maker.id, name=maker.name),
        requested_at=at,
        reason=reason,
        comment=comment,
        automatic=automatic,
        criteria_override=criteria_override,
        state=case.state,
    )
    case.pending_approval = pending
    case.updated_at = at
    if AWAITING_SECOND_APPROVAL not in case.flags:
        case.flags.append(AWAITING_SECOND_APPROVAL)
    return [
        audit_record(
            case,
            "case.approval_pending",
            actor=Actor(type="reviewer", id=maker.id, name=maker.name),
            at=at,
            request_id=request_id,
            details={
                "decision": decision,
                "reason": reason,
                "comment": comment,
                "maker": _person(pending.maker),
                "evidenceDigest": pending.evidence_digest,
                "automatic": automatic,
                **_common(case),
            },
        )
    ]


def changed_evidence(case: Case) -> list[str]:
    """What changed since the maker's approval, in reviewer's words (empty: nothing did). The
    case's state is not evidence, but a case that moved on cannot take the maker's decision."""
    pending = case.pending_approval
    if pending is None:
        return []
    moved = pending.state is not None and pending.state != case.state
    changed = [f"the case's state ({pending.state} -> {case.state})"] if moved else []
    if evidence_digest(case) == pending.evidence_digest:
        return changed
    now = evidence_parts(case)
    fields = sorted(set(now) | set(pending.evidence_parts))
    parts = [f for f in fields if now.get(f) != pending.evidence_parts.get(f)]
    labels = [EVIDENCE_LABELS.get(f, f.replace("_", " ")) for f in parts] or ["the evidence"]
    return changed + labels


def may_check(case: Case, definition: WorkflowDefinition, reviewer: Reviewer) -> bool:
    """Whether `reviewer` may confirm or return the case's pending approval."""
    pending = case.pending_approval
    return (
        pending is not None
        and case.status == "active"
        and pending.maker.id != reviewer.id
        and has_permission(reviewer, definition.approval_policy.checker_permission)
    )


def require_checker(case: Case, definition: WorkflowDefinition, reviewer: Reviewer) -> None:
    """The maker cannot be the checker (403 `self_approval`); the checker needs the policy's
    permission (403), not the assignment."""
    pending = case.pending_approval
    if pending is not None and pending.maker.id == reviewer.id:
        raise SelfApproval(
            "you made this approval: a second person must confirm it",
            details={"maker": _person(pending.maker)},
        )
    require_permission(reviewer, definition.approval_policy.checker_permission)


def clear_pending(
    case: Case,
    action: str,
    *,
    actor: Actor,
    at: str,
    request_id: str | None,
    details: dict[str, Any],
) -> list[AuditRecord]:
    """Take the pending approval off `case` (in place) with the audit record that says why:
    `case.approval_confirmed`, `case.approval_returned` or `case.approval_voided`."""
    pending = case.pending_approval
    assert pending is not None
    case.pending_approval = None
    case.updated_at = at
    if AWAITING_SECOND_APPROVAL in case.flags:
        case.flags.remove(AWAITING_SECOND_APPROVAL)
    return [
        audit_record(
            case,
            action,
            actor=actor,
            at=at,
            request_id=request_id,
            details={
                "decision": pending.decision,
                "maker": _person(pending.maker),
                "approvedAt": pending.requested_at,
                "evidenceDigest": pending.evidence_digest,
                **details,
                **_common(case),
            },
        )
    ]


def confirmation_details(pending: PendingApproval, checker: Reviewer, at: str) -> dict[str, Any]:
    """What the completing state change (and so its webhooks) says about the two reviewers."""
    details: dict[str, Any] = {
        "maker": {**_person(pending.maker), "at": pending.requested_at},
        "checker": {"id": checker.id, "name": checker.name, "at": at},
        "evidenceDigest": pending.evidence_digest,
    }
    if pending.criteria_override is not None:
        details["criteriaOverride"] = pending.criteria_override
    return details


def _person(person: DecidedBy) -> dict[str, Any]:
    return {"id": person.id, "name": person.name}


def _common(case: Case) -> dict[str, Any]:
    return {"entityId": case.entity_id, "workflowDefinitionId": case.workflow_definition_id}
