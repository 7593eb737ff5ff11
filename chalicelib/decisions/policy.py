"""Decision rules a definition's `policy` switches on, enforced by the server (and shown to
reviewers through `decision_options`)."""

from __future__ import annotations

from typing import Any

from chalicelib.models.case import Case
from chalicelib.workflows.definition import WorkflowDefinition

DECISIONS = ("approve", "reject", "revision")
BLOCKING_STATUSES = ("rejected", "revision")


def approval_blockers(case: Case, definition: WorkflowDefinition) -> list[str]:
    """Ids of the documents that keep the case from being approved (none if the policy allows)."""
    if not definition.policy.approve_requires_no_rejected_or_revision_documents:
        return []
    return [doc.id for doc in case.documents if doc.status in BLOCKING_STATUSES]


def auto_resolution(case: Case, definition: WorkflowDefinition) -> str | None:
    """The case decision that deciding every document implies, where the definition says so:
    any re-upload request -> revision, else any rejection -> reject, else approve."""
    documents = case.documents
    if not definition.policy.auto_resolve_when_all_documents_decided or not documents:
        return None
    statuses = [doc.status for doc in documents]
    if "pending" in statuses:
        return None
    if "revision" in statuses:
        return "revision"
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
        if case.status != "active":
            reason = f"the case is {case.status}"
        elif decision_event(definition, case.state, decision) is None:
            reason = f"`{decision}` is not possible in state `{case.state}`"
        elif decision == "approve" and approval_blockers(case, definition):
            reason = "documents are rejected or waiting for a re-upload"
        options[decision] = {"allowed": reason is None, "reason": reason}
    return options
