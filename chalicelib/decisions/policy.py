"""Decision rules a definition's `policy` switches on, enforced by the server (and shown to
reviewers through `decision_options`)."""

from __future__ import annotations

from typing import Any

from chalicelib.auth.permissions import require_permission
from chalicelib.errors import CriteriaUnmet
from chalicelib.models.case import Case
from chalicelib.models.permissions import OVERRIDE_CRITERIA
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.criteria import CriterionResult, evaluate_all
from chalicelib.workflows.definition import WorkflowDefinition

DECISIONS = ("approve", "reject", "revision")
BLOCKING_STATUSES = ("rejected", "revision")


def approval_blockers(case: Case, definition: WorkflowDefinition) -> list[str]:
    """Ids of the documents that keep the case from being approved (none if the policy allows)."""
    if not definition.policy.approve_requires_no_rejected_or_revision_documents:
        return []
    return [doc.id for doc in case.documents if doc.status in BLOCKING_STATUSES]


def acceptance_criteria(case: Case, definition: WorkflowDefinition) -> list[CriterionResult]:
    """Every acceptance criterion of the definition, judged over the case facts."""
    if not definition.acceptance_criteria:
        return []
    return evaluate_all(definition.acceptance_criteria, case.facts.rule_data())


def blocking_criteria(case: Case, definition: WorkflowDefinition) -> list[CriterionResult]:
    """The enforced criteria the case does not meet (unmet or unknown): the one check every
    path to approval makes (a reviewer's approve, auto-resolution, an integrator's event)."""
    return [result for result in acceptance_criteria(case, definition) if result.blocks_approval]


def check_approval(
    case: Case,
    definition: WorkflowDefinition,
    *,
    reviewer: Reviewer | None = None,
    override_justification: str | None = None,
) -> dict[str, Any] | None:
    """Let an approval through the acceptance criteria, or raise 409 `criteria_unmet`.

    A reviewer holding `cases.override_criteria` may approve anyway with a justification; the
    answer is then the override to record (`{by, justification, criteria}`), else None."""
    blocking = blocking_criteria(case, definition)
    if not blocking:
        return None
    criteria = [result.summary() for result in blocking]
    if reviewer is None or override_justification is None:
        raise CriteriaUnmet(
            "the case does not meet its enforced acceptance criteria: "
            + "; ".join(f"{r.criterion.label} ({r.status}: {r.explanation})" for r in blocking),
            details={"criteria": criteria},
        )
    require_permission(reviewer, OVERRIDE_CRITERIA)
    return {
        "by": {"id": reviewer.id, "name": reviewer.name},
        "justification": override_justification,
        "criteria": criteria,
    }


def auto_resolution(case: Case, definition: WorkflowDefinition) -> str | None:
    """The case decision that deciding every document implies, where the definition says so:
    any rejection -> reject, else approve. A document marked for re-upload waits for the
    reviewer to send the collection round, so nothing follows while one is marked."""
    documents = case.documents
    if not definition.policy.auto_resolve_when_all_documents_decided or not documents:
        return None
    statuses = [doc.status for doc in documents]
    if "pending" in statuses or "revision" in statuses:
        return None
    return "reject" if "rejected" in statuses else "approve"


def decision_event(definition: WorkflowDefinition, state: str, decision: str) -> str | None:
    """The reviewer event carrying `decision` out of `state`, if the state has one."""
    for event in definition.allowed_events(state, "reviewer"):
        if definition.events[event].decision == decision:
            return event
    return None


def decision_options(case: Case, definition: WorkflowDefinition) -> dict[str, dict[str, Any]]:
    """Each case decision: allowed or not, and why not (before permissions, which the caller
    knows)."""
    options: dict[str, dict[str, Any]] = {}
    for decision in DECISIONS:
        reason = None
        pending = case.pending_approval
        if case.status != "active":
            reason = f"the case is {case.status}"
        elif pending is not None:
            maker = pending.maker.name or pending.maker.id
            reason = f"{maker}'s `{pending.decision}` awaits a second approval"
        elif decision_event(definition, case.state, decision) is None:
            reason = f"`{decision}` is not possible in state `{case.state}`"
        elif decision == "approve" and approval_blockers(case, definition):
            reason = "documents are rejected or waiting for a re-upload"
        elif decision == "approve" and (blocking := blocking_criteria(case, definition)):
            reason = "acceptance criteria not met: " + "; ".join(
                f"{r.criterion.label} ({r.status}: {r.explanation})" for r in blocking
            )
        options[decision] = {"allowed": reason is None, "reason": reason}
    return options
