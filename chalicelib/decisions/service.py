"""Case decisions, document decisions and integrator events, as plain functions over their
adapters (a case store and a workflow engine), so the rules run without AWS in unit tests.

Each one is a single conditional write (`expected_version`) of the case together with all of
its audit records; after it commits, the case's Step Functions execution is moved on
(`sync_after_commit`; the workflow-sync queue retries whatever that could not send).

Where things are kept:
- a document's decision: the case's own record of the document
  (`case.document_records[id].decision`, never the integrator's context); the Ballerine
  context shows it in place as `context.documents[i].decision` (see `Case.facts`);
- a case decision: the new state/status on the case; its decision, reason and comment in the
  `case.state_changed` (and `case.completed`) audit record, which is also the domain event.
"""

from __future__ import annotations

from typing import Any

from chalicelib.auth.permissions import require_active, require_may_change_case
from chalicelib.cases import queries
from chalicelib.cases.store import CaseStore
from chalicelib.cases.workflow_runtime import WorkflowEngine, sync_after_commit
from chalicelib.collection.rounds import (
    RESUBMITTED_FLAG,
    NewDocumentType,
    close_open_round,
    open_round,
)
from chalicelib.decisions import four_eyes
from chalicelib.decisions.policy import (
    approval_blockers,
    auto_resolution,
    blocking_criteria,
    check_approval,
    decision_event,
)
from chalicelib.decisions.reasons import reason_text, require_valid_reason
from chalicelib.decisions.transitions import (
    DOCUMENT_STATUS,
    apply_event,
    audit_record,
    reviewer_actor,
)
from chalicelib.errors import (
    ApprovalPending,
    Conflict,
    EvidenceChanged,
    InvalidRequest,
    NoPendingApproval,
    NotFound,
    SecondApprovalRequired,
    TransitionNotAllowed,
    VersionConflict,
)
from chalicelib.ids import utc_now
from chalicelib.models.case import (
    Actor,
    AuditRecord,
    Case,
    CaseDocument,
    DecidedBy,
    DocumentDecision,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.observability import metrics
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import get_definition

RESUBMITTED = "resubmitted"
MAX_EVENT_ATTEMPTS = 5
CRITERIA_OVERRIDDEN = "criteria_overridden"


def document_decision(
    decision: str, reason: str | None, comment: str | None, reviewer: Reviewer, at: str
) -> DocumentDecision:
    status = DOCUMENT_STATUS[decision]
    text = reason_text(reason, comment)
    return DocumentDecision(
        status=status,
        reason=reason,
        comment=comment,
        decided_by=DecidedBy(id=reviewer.id, name=reviewer.name),
        decided_at=at,
        rejection_reason=text if status == "rejected" else None,
        revision_reason=text if status == "revision" else None,
    )


def decide_case(
    store: CaseStore,
    engine: WorkflowEngine,
    reviewer: Reviewer,
    case_id: str,
    *,
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
    expected_version: int,
    request_id: str | None = None,
    override_justification: str | None = None,
    new_types: list[NewDocumentType] | None = None,
) -> Case:
    """Decide the case. An approval must pass the acceptance criteria (`check_approval`); an
    override (`override_justification`) is recorded on the state change, audited on its own
    and flags the case. `revision` sends the customer one request: it opens the next
    collection round with every document marked for re-upload plus `new_types` (the approval
    policy covers approvals and rejections only, so a revision is never pending). Where the
    definition's `approvalPolicy` asks for four eyes, the decision is recorded as pending
    (nothing moves); while one is pending, the same decision by a checker confirms it
    (`_confirm_pending`) and any other answers 409 `approval_pending`."""
    require_valid_reason(decision, reason, comment)
    if override_justification is not None and decision != "approve":
        raise InvalidRequest(
            "only an approval can override the acceptance criteria",
            details=[{"path": "overrideCriteria", "message": "only with `approve`"}],
        )
    if new_types and decision != "revision":
        raise InvalidRequest(
            "only a revision can ask for new documents",
            details=[{"path": "requestDocuments", "message": "only with `revision`"}],
        )
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    if case.pending_approval is not None and case.status == "active":
        return _confirm_pending(
            store,
            engine,
            reviewer,
            case,
            decision=decision,
            comment=comment,
            expected_version=expected_version,
            request_id=request_id,
        )
    _require_may_change(reviewer, case, expected_version)
    definition = definition_of(case)
    event = decision_event(definition, case.state, decision)
    if event is None:
        raise _not_allowed(case, definition, f"the case cannot be decided `{decision}` now")
    if decision == "approve":
        blockers = approval_blockers(case, definition)
        if blockers:
            raise _not_allowed(
                case,
                definition,
                "the case cannot be approved while documents are rejected or waiting for a "
                "re-upload",
                blockingDocuments=blockers,
            )
    override = None
    if definition.approves(case.state, event):
        override = check_approval(
            case, definition, reviewer=reviewer, override_justification=override_justification
        )
    now = utc_now()
    actor = reviewer_actor(reviewer)
    if four_eyes.second_approval_needed(case, definition, decision):
        updated = case.model_copy(deep=True)
        records = four_eyes.record_pending(
            updated,
            decision=decision,
            reason=reason,
            comment=comment,
            maker=reviewer,
            at=now,
            request_id=request_id,
            criteria_override=override,
        )
        if override is not None:
            records += _record_override(updated, [], override, actor, now, request_id)
        stored = store.update_case(updated, expected_version=expected_version, audit=records)
        metrics.add_metric(name="PendingApprovals", unit="Count", value=1)
        return stored
    working = case.model_copy(deep=True)
    _clear_resubmitted(working)
    extra = None
    if decision == "revision":
        round_ = open_round(
            working, reviewer, reason=reason, comment=comment, new_types=new_types or [], at=now
        )
        extra = {
            "collectionRound": round_.number,
            "requestedDocuments": [item.model_dump(mode="json") for item in round_.requested],
            "collectionExpiresAt": round_.expires_at,
        }
    updated, records = apply_event(
        working,
        definition,
        event,
        actor=actor,
        at=now,
        request_id=request_id,
        decision=decision,
        reason=reason,
        comment=comment,
        extra=extra,
    )
    if override is not None:
        records += _record_override(updated, records, override, actor, now, request_id)
    stored = store.update_case(updated, expected_version=expected_version, audit=records)
    metrics.add_metric(name="CaseDecisions", unit="Count", value=1)
    sync_after_commit(store, engine, tenant_id=case.tenant_id, case_id=case.case_id)
    return stored


def _confirm_pending(
    store: CaseStore,
    engine: WorkflowEngine,
    checker: Reviewer,
    case: Case,
    *,
    decision: str,
    comment: str | None,
    expected_version: int,
    request_id: str | None,
) -> Case:
    """The checker's side of four-eyes: the pending decision, confirmed by someone else holding
    the policy's permission (the assignment does not matter). If the evidence changed since the
    maker's approval, the approval is voided (committed, audited) and 409 `evidence_changed`
    says what changed; else the case moves as an ordinary decision does, naming both people."""
    pending = case.pending_approval
    assert pending is not None
    definition = definition_of(case)
    if decision != pending.decision:
        if pending.maker.id != checker.id:
            four_eyes.require_checker(case, definition, checker)
        raise ApprovalPending(
            f"the case awaits a second approval of {pending.maker.name or pending.maker.id}'s "
            f"`{pending.decision}`: a checker confirms it or returns it",
            details={"pendingDecision": pending.decision},
        )
    four_eyes.require_checker(case, definition, checker)
    queries.require_version(case, expected_version)
    now = utc_now()
    actor = reviewer_actor(checker)
    updated = case.model_copy(deep=True)
    changed = four_eyes.changed_evidence(case)
    if changed:
        voided = four_eyes.clear_pending(
            updated,
            "case.approval_voided",
            actor=actor,
            at=now,
            request_id=request_id,
            details={"changed": changed, "reason": "evidence_changed"},
        )
        store.update_case(updated, expected_version=expected_version, audit=voided)
        raise EvidenceChanged(
            "the evidence changed since the approval (" + "; ".join(changed) + "): the pending "
            "approval is void, and the case needs a new decision",
            details={"changed": changed, "maker": voided[0].details["maker"]},
        )
    event = decision_event(definition, case.state, decision)
    if event is None:  # the definition cannot change under a case: only a corrupt record
        raise _not_allowed(case, definition, f"the case cannot be decided `{decision}` now")
    records = four_eyes.clear_pending(
        updated,
        "case.approval_confirmed",
        actor=actor,
        at=now,
        request_id=request_id,
        details={"checker": {"id": checker.id, "name": checker.name}, "comment": comment},
    )
    _clear_resubmitted(updated)
    updated, moved = apply_event(
        updated,
        definition,
        event,
        actor=actor,
        at=now,
        request_id=request_id,
        decision=decision,
        reason=pending.reason,
        comment=pending.comment,
    )
    both = four_eyes.confirmation_details(pending, checker, now)
    for record in moved:
        record.details |= both
    stored = store.update_case(updated, expected_version=expected_version, audit=records + moved)
    metrics.add_metric(name="CaseDecisions", unit="Count", value=1)
    sync_after_commit(store, engine, tenant_id=case.tenant_id, case_id=case.case_id)
    return stored


def return_pending_approval(
    store: CaseStore,
    reviewer: Reviewer,
    case_id: str,
    *,
    comment: str,
    expected_version: int,
    request_id: str | None = None,
) -> Case:
    """The checker sends the pending approval back to the maker with a comment: the approval is
    cleared (audited `case.approval_returned`) and the case is back in the maker's review."""
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    require_active(case)
    if case.pending_approval is None:
        raise NoPendingApproval("the case has no pending approval to return")
    four_eyes.require_checker(case, definition_of(case), reviewer)
    queries.require_version(case, expected_version)
    updated = case.model_copy(deep=True)
    records = four_eyes.clear_pending(
        updated,
        "case.approval_returned",
        actor=reviewer_actor(reviewer),
        at=utc_now(),
        request_id=request_id,
        details={"checker": {"id": reviewer.id, "name": reviewer.name}, "comment": comment},
    )
    return store.update_case(updated, expected_version=expected_version, audit=records)


def decide_document(
    store: CaseStore,
    engine: WorkflowEngine,
    reviewer: Reviewer,
    case_id: str,
    document_id: str,
    *,
    decision: str,
    reason: str | None = None,
    comment: str | None = None,
    expected_version: int,
    request_id: str | None = None,
) -> Case:
    """Decide one document. A re-upload request (`revision`) only marks the document: the case
    stays where it is until the reviewer sends the round (`decide_case` with `revision`). Where
    the definition auto-resolves, deciding the last document decides the case, in the same
    write."""
    require_valid_reason(decision, reason, comment)
    case = _case_to_change(store, reviewer, case_id, expected_version)
    definition = definition_of(case)
    if case.pending_approval is not None:
        # The approval is pinned to these decisions: the checker returns it to change them.
        raise ApprovalPending(
            "the case awaits a second approval; documents can be decided again once the checker "
            "returns it",
            details={"pendingDecision": case.pending_approval.decision},
        )
    doc = case.facts.document(document_id)
    if doc is None:
        raise NotFound(f"document `{document_id}` not found in case `{case_id}`")
    now = utc_now()
    actor = reviewer_actor(reviewer)
    updated = case.model_copy(deep=True)
    updated.updated_at = now
    _clear_resubmitted(updated)
    new = document_decision(decision, reason, comment, reviewer, now)
    updated.document_record(document_id).decision = new
    records = [
        _document_changed(
            case, doc, doc.status, new.status, actor, now, request_id, reason, comment
        ),
    ]
    follow = auto_resolution(updated, definition)
    event = decision_event(definition, updated.state, follow) if follow else None
    # The same checks as a reviewer's approve: short of them, the case stays in review and the
    # case view says why (`decision_options`).
    approves = event is not None and definition.approves(updated.state, event)
    same = follow == decision
    blocked = approves and bool(
        approval_blockers(updated, definition) or blocking_criteria(updated, definition)
    )
    if event and follow and not blocked:
        if follow != "revision" and four_eyes.second_approval_needed(updated, definition, follow):
            # Deciding the last document makes this reviewer the maker of the case decision.
            records += four_eyes.record_pending(
                updated,
                decision=follow,
                reason=reason if same else None,
                comment=comment if same else None,
                maker=reviewer,
                at=now,
                request_id=request_id,
                automatic=True,
            )
        else:
            updated, more = apply_event(
                updated,
                definition,
                event,
                actor=actor,
                at=now,
                request_id=request_id,
                decision=follow,
                reason=reason if same else None,
                comment=comment if same else None,
                extra={"documentId": document_id, "automatic": True},
            )
            records += more
    stored = store.update_case(updated, expected_version=expected_version, audit=records)
    metrics.add_metric(name="DocumentDecisions", unit="Count", value=1)
    if updated.workflow_transitions != case.workflow_transitions:
        sync_after_commit(store, engine, tenant_id=case.tenant_id, case_id=case.case_id)
    return stored


def send_integrator_event(
    store: CaseStore,
    engine: WorkflowEngine,
    *,
    tenant_id: str,
    case_id: str,
    name: str,
    payload: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> Case:
    """`POST /external/workflows/{id}/event`: an integrator event the case's state accepts.

    Unknown (or not an integrator's) -> 400; not accepted in the current state -> 409.
    `resubmitted` sends the documents waiting for a re-upload back to review."""
    actor = Actor(type="integrator", id=tenant_id)
    for _ in range(MAX_EVENT_ATTEMPTS):
        case = queries.get_case(store, tenant_id, case_id)
        definition = definition_of(case)
        spec = definition.events.get(name)
        if spec is None or spec.source != "integrator":
            known = sorted(e for e, s in definition.events.items() if s.source == "integrator")
            raise InvalidRequest(
                f"unknown event `{name}`",
                details=[
                    {"path": "name", "message": f"integrator events of this workflow: {known}"}
                ],
            )
        require_active(case)
        allowed = definition.allowed_events(case.state, "integrator")
        if name not in allowed:
            raise TransitionNotAllowed(
                f"event `{name}` is not allowed in state `{case.state}`",
                details={"state": case.state, "allowedEvents": allowed},
            )
        approves = definition.approves(case.state, name)
        if approves:
            check_approval(case, definition)
        decision = "approve" if approves else spec.decision
        if decision and four_eyes.second_approval_needed(case, definition, decision):
            raise SecondApprovalRequired(
                f"this case's `{decision}` needs two people (a maker and a checker) in the back "
                "office; an integrator's event cannot make it",
                details={"decision": decision},
            )
        now = utc_now()
        updated = case.model_copy(deep=True)
        updated.updated_at = now
        records: list[AuditRecord] = []
        extra: dict[str, Any] = {"payload": payload} if payload else {}
        if updated.pending_approval is not None:
            # The case moves on: the approval was about the state it leaves.
            records += four_eyes.clear_pending(
                updated,
                "case.approval_voided",
                actor=actor,
                at=now,
                request_id=request_id,
                details={"reason": "case_moved", "event": name},
            )
        if name == RESUBMITTED:
            records += reset_for_resubmission(updated, None, actor, now, request_id)
            number = close_open_round(updated, at=now, by="integrator")
            if number is not None:
                extra["collectionRound"] = number
        updated, more = apply_event(
            updated,
            definition,
            name,
            actor=actor,
            at=now,
            request_id=request_id,
            extra=extra or None,
        )
        try:
            stored = store.update_case(updated, expected_version=case.version, audit=records + more)
        except VersionConflict:
            continue  # a reviewer or another event won the race: decide again on the new state
        sync_after_commit(store, engine, tenant_id=tenant_id, case_id=case_id)
        return stored
    raise Conflict("the case is being changed by concurrent requests; retry")


def _record_override(
    case: Case,
    records: list[AuditRecord],
    override: dict[str, Any],
    actor: Actor,
    at: str,
    request_id: str | None,
) -> list[AuditRecord]:
    """An approval past unmet criteria: the state change (and so its webhook) carries
    `criteriaOverride`, the case is flagged, and the override has its own audit record."""
    for record in records:
        record.details["criteriaOverride"] = override
    if CRITERIA_OVERRIDDEN not in case.flags:
        case.flags.append(CRITERIA_OVERRIDDEN)
    return [
        audit_record(
            case,
            "case.criteria_overridden",
            actor=actor,
            at=at,
            request_id=request_id,
            details={
                **override,
                "entityId": case.entity_id,
                "workflowDefinitionId": case.workflow_definition_id,
            },
        )
    ]


def _clear_resubmitted(case: Case) -> None:
    """A reviewer acted on the customer's answer: it is no longer news in the inbox."""
    if RESUBMITTED_FLAG in case.flags:
        case.flags.remove(RESUBMITTED_FLAG)


def reset_for_resubmission(
    case: Case,
    document_ids: set[str] | None,
    actor: Actor,
    at: str,
    request_id: str | None,
) -> list[AuditRecord]:
    """Send documents back to review (in place): those in `document_ids` (their pages were just
    replaced), or, when None, every document waiting for a re-upload. One
    `document.decision_changed` record per document whose decision changed."""
    records: list[AuditRecord] = []
    for doc in case.documents:
        previous = doc.status
        chosen = previous == "revision" if document_ids is None else doc.id in document_ids
        if not chosen or previous == "pending":
            continue
        case.document_record(doc.id).decision = DocumentDecision()
        records.append(
            _document_changed(case, doc, previous, "pending", actor, at, request_id, None, None)
        )
    return records


def decision_resets(
    before: Case, after: Case, actor: Actor, at: str, request_id: str | None
) -> list[AuditRecord]:
    """A `document.decision_changed` record for each document whose decision status differs
    between two versions of the case (e.g. re-sent pages reset a decision to pending)."""
    previous = {doc.id: doc.status for doc in before.documents}
    return [
        _document_changed(
            after, doc, previous[doc.id], doc.status, actor, at, request_id, None, None
        )
        for doc in after.documents
        if doc.id in previous and previous[doc.id] != doc.status
    ]


def definition_of(case: Case) -> WorkflowDefinition:
    return get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
    )


def _case_to_change(
    store: CaseStore, reviewer: Reviewer, case_id: str, expected_version: int
) -> Case:
    case = queries.get_case(store, reviewer.tenant_id, case_id)
    _require_may_change(reviewer, case, expected_version)
    return case


def _require_may_change(reviewer: Reviewer, case: Case, expected_version: int) -> None:
    require_may_change_case(reviewer, case)
    require_active(case)
    queries.require_version(case, expected_version)


def _not_allowed(
    case: Case, definition: WorkflowDefinition, message: str, **details: Any
) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        message,
        details={
            "state": case.state,
            "allowedEvents": definition.allowed_events(case.state, "reviewer"),
            **details,
        },
    )


def _document_changed(
    case: Case,
    doc: CaseDocument,
    previous: str,
    new: str,
    actor: Actor,
    at: str,
    request_id: str | None,
    reason: str | None,
    comment: str | None,
) -> AuditRecord:
    return audit_record(
        case,
        "document.decision_changed",
        actor=actor,
        at=at,
        request_id=request_id,
        before={"status": previous},
        after={"status": new},
        details={
            "documentId": doc.id,
            "documentType": doc.type,
            "documentCategory": doc.category,
            "previousStatus": previous,
            "newStatus": new,
            "reason": reason,
            "comment": comment,
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
        },
    )
