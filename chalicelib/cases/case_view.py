"""What a reviewer sees of one case: the entity beside its documents, the pages as short-lived
links, what this reviewer may do now, and a compact timeline."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from chalicelib.auth.permissions import has_permission, may_change_case
from chalicelib.cases.inbox import InboxRow
from chalicelib.collection.rounds import LINK_EXPIRED_FLAG
from chalicelib.decisions import four_eyes
from chalicelib.decisions.policy import acceptance_criteria, decision_options
from chalicelib.layouts.rules import missing_documents, scrubbed, shaped, shown_name
from chalicelib.models.backoffice import (
    AcceptanceCriterionView,
    Actor,
    AuditEntry,
    CasePermissions,
    CaseRow,
    CaseView,
    CollectionRoundView,
    DecisionAvailability,
    DocumentDecisionView,
    DocumentPageView,
    DocumentView,
    EntityRef,
    EntityView,
    HitResolutionView,
    PageHistoryEntry,
    PendingApprovalView,
    PersonRef,
    PluginResultView,
    ScreeningHitView,
    WorkflowRef,
)
from chalicelib.models.case import AuditRecord, Case, CaseDocument, DocumentPage, SlaTimer
from chalicelib.models.layouts import CaseLayout, LayoutBlock, LayoutField
from chalicelib.models.permissions import (
    CASES_ASSIGN_OTHERS,
    CASES_CLAIM,
    CASES_READ_UNMASKED,
    MESSAGES_WRITE,
    NOTES_WRITE,
    OVERRIDE_CRITERIA,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.sla.timers import sla_status
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import get_definition

PRESIGNED_URL_SECONDS = 300
TIMELINE_LENGTH = 20

Presign = Callable[[str], str]
NameOf = Callable[[str], str]
LayoutOf = Callable[[WorkflowDefinition], CaseLayout]


def case_row(
    row: InboxRow, name_of: NameOf, tenant_id: str, masking_layout: LayoutOf | None = None
) -> CaseRow:
    """An inbox row; with `masking_layout` (for a reader without `cases.read_unmasked`) its
    entity name masked where the case's layout masks a field the name is made of."""
    definition = get_definition(
        row.workflow_definition_id, row.workflow_definition_version, tenant_id=tenant_id
    )
    name = row.entity_name
    if masking_layout is not None:
        name = shown_name(name, row.entity_type, masking_layout(definition), unmasked=False)
    return CaseRow(
        id=row.case_id,
        version=row.version,
        state=row.state,
        status=row.status,
        tags=list(definition.states[row.state].tags) if row.state in definition.states else [],
        workflow_definition_id=row.workflow_definition_id,
        workflow_definition_version=row.workflow_definition_version,
        workflow_name=definition.name,
        entity=EntityRef(id=row.entity_id, type=row.entity_type, name=name),
        assignee=_person(row.assignee_id, name_of),
        document_count=row.document_count,
        documents_pending_decision=row.documents_needing_decision,
        flags=list(row.flags),
        created_at=row.created_at,
        updated_at=row.updated_at,
        due_at=row.due_at if row.status == "active" else None,
        sla_status=(
            sla_status(SlaTimer.model_validate(row.sla_timer), datetime.now(UTC))
            if row.sla_timer and row.status == "active"
            else None
        ),
    )


def build_case_view(
    case: Case,
    reviewer: Reviewer,
    *,
    audit: list[AuditRecord],
    presign: Presign,
    name_of: NameOf,
    layout: CaseLayout,
) -> CaseView:
    """The case as `reviewer` may see it under `layout`: its hidden fields removed, its masked
    ones masked unless the reviewer holds `cases.read_unmasked` (the entity's fields and name,
    the people's, each document's `properties`, the custom and vendor data, and wherever the
    plugins' results echo those values), its absent data blocks empty."""
    definition = get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
    )
    facts = case.facts
    can_change = case.status == "active" and may_change_case(reviewer, case)
    blocks: dict[str, LayoutBlock] = {block.type: block for block in layout.blocks}
    unmasked = has_permission(reviewer, CASES_READ_UNMASKED)

    def fields_of(block_type: str) -> list[LayoutField]:
        block = blocks.get(block_type)
        return block.fields if block else []

    masked: set[str] = set()  # the masked values, in clear: what the plugins' results must not echo

    def shown(block_type: str, data: dict[str, Any]) -> dict[str, Any]:
        return shaped(data, fields_of(block_type), unmasked, masked) if block_type in blocks else {}

    data = shown("entity", case.entity_data)
    name = shown_name(case.entity_name, case.entity_type, layout, unmasked)
    if name != case.entity_name:
        masked.add(case.entity_name)
    ubos = [shown("ubos", person) for person in facts.ubos] if "ubos" in blocks else []
    directors = [shown("directors", p) for p in facts.directors] if "directors" in blocks else []
    doc_fields = fields_of("documents")
    documents = [
        _document(case, doc, presign, name_of, shaped(doc.properties, doc_fields, unmasked, masked))
        for doc in facts.documents
    ]
    custom_data = shown("customData", case.context.get("customData") or {})
    third_party_data = shown("vendorResults", facts.integrator_results)
    return CaseView(
        id=case.case_id,
        version=case.version,
        state=case.state,
        status=case.status,
        tags=list(definition.states[case.state].tags),
        workflow=WorkflowRef(id=definition.id, version=definition.version, name=definition.name),
        entity=EntityView(id=case.entity_id, type=case.entity_type, name=name, data=data),
        ubos=ubos,
        directors=directors,
        documents=documents,
        custom_data=custom_data,
        third_party_data=third_party_data,
        third_party_data_source="integrator",
        assignee=_person(case.assignee_id, name_of),
        flags=list(case.flags),
        created_at=case.created_at,
        updated_at=case.updated_at,
        resolved_at=case.resolved_at,
        due_at=case.sla_timer.due_at if case.sla_timer and case.status == "active" else None,
        sla_status=sla_status(case.sla_timer, datetime.now(UTC))
        if case.status == "active"
        else None,
        allowed_events=definition.allowed_events(case.state, "reviewer") if can_change else [],
        case_decisions=case_decisions(case, definition, can_change),
        acceptance_criteria=[
            AcceptanceCriterionView(
                id=result.criterion.id,
                label=result.criterion.label,
                description=result.criterion.description,
                status=result.status,
                enforced=result.criterion.enforced,
                explanation=result.explanation,
            )
            for result in acceptance_criteria(case, definition)
        ],
        pending_approval=_pending_approval(case, definition, name_of),
        permissions=_permissions(case, definition, reviewer, can_change),
        timeline=[audit_entry(r) for r in audit[-TIMELINE_LENGTH:]],
        layout=layout,
        missing_documents=missing_documents(
            layout, ((doc.type, doc.category) for doc in facts.documents)
        ),
        collection_rounds=[
            CollectionRoundView(
                number=r.number,
                requested=[item.model_dump(mode="json") for item in r.requested],
                message=r.message,
                sent_at=r.sent_at,
                sent_by=PersonRef(id=r.sent_by.id, name=r.sent_by.name or "")
                if r.sent_by
                else None,
                expires_at=r.expires_at,
                completed_at=r.completed_at,
                completed_by=r.completed_by,
                link_expired=r.is_open and LINK_EXPIRED_FLAG in case.flags,
            )
            for r in case.collection_rounds
        ],
        plugin_results=plugin_results(case, masked),
    )


def plugin_results(case: Case, masked: Collection[str] = ()) -> list[PluginResultView]:
    """Each plugin's latest result, its screening hits with the reviewers' judgements; the
    strings that contain a `masked` value (the data the plugin read) masked."""
    views = []
    for result in case.vendor_results.values():
        hits = []
        # Only screening hits have the shape of a hit view; other providers' data is shown as is.
        for hit in result.hits if result.provider == "sanctions" else []:
            judged = case.hit_resolutions.get(hit["id"])
            resolution = (
                HitResolutionView(
                    status=judged.status,
                    reason=judged.reason,
                    by=PersonRef(id=judged.by.id, name=judged.by.name or judged.by.id),
                    at=judged.at,
                )
                if judged
                else None
            )
            subject = scrubbed(hit.get("subject"), masked)
            hits.append(
                ScreeningHitView.model_validate(
                    {**hit, "subject": subject, "resolution": resolution}
                )
            )
        data = scrubbed({k: v for k, v in result.data.items() if k != "hits" or not hits}, masked)
        views.append(
            PluginResultView(
                plugin=result.plugin,
                provider=result.provider,
                provider_version=result.provider_version,
                version=result.version,
                status=result.status,
                trigger=result.trigger,
                started_at=result.started_at,
                finished_at=result.finished_at,
                input_digest=result.input_digest,
                data=data,
                error=result.error,
                hits=hits,
            )
        )
    return views


def case_decisions(
    case: Case, definition: WorkflowDefinition, can_change: bool
) -> dict[str, DecisionAvailability]:
    """Each case decision, allowed or not, with the reason a reviewer is shown when it is not:
    the definition's rules first, then this reviewer's permission."""
    result: dict[str, DecisionAvailability] = {}
    for decision, option in decision_options(case, definition).items():
        reason = option["reason"]
        if reason is None and not can_change:
            reason = "only the case's assignee or an admin can decide; claim the case first"
        result[decision] = DecisionAvailability(
            allowed=reason is None,
            reason=reason,
            needs_second_approval=case.status == "active"
            and case.pending_approval is None
            and four_eyes.second_approval_needed(case, definition, decision),
        )
    return result


def _pending_approval(
    case: Case, definition: WorkflowDefinition, name_of: NameOf
) -> PendingApprovalView | None:
    pending = case.pending_approval
    if pending is None:
        return None
    changed = four_eyes.changed_evidence(case)
    return PendingApprovalView(
        decision=pending.decision,
        reason=pending.reason,
        comment=pending.comment,
        maker=PersonRef(id=pending.maker.id, name=pending.maker.name or name_of(pending.maker.id)),
        at=pending.requested_at,
        automatic=pending.automatic,
        evidence_matches=not changed,
        changed=changed,
        checker_permission=definition.approval_policy.checker_permission,
        criteria_override=pending.criteria_override,
    )


def _permissions(
    case: Case, definition: WorkflowDefinition, reviewer: Reviewer, can_change: bool
) -> CasePermissions:
    active = case.status == "active"
    assign_others = has_permission(reviewer, CASES_ASSIGN_OTHERS)
    may_check = four_eyes.may_check(case, definition, reviewer)
    return CasePermissions(
        can_decide=can_change,
        can_claim=active
        and has_permission(reviewer, CASES_CLAIM)
        and case.assignee_id != reviewer.id
        and (case.assignee_id is None or assign_others),
        can_unassign=active
        and case.assignee_id is not None
        and (assign_others or case.assignee_id == reviewer.id),
        can_assign_others=active and assign_others,
        can_add_note=has_permission(reviewer, NOTES_WRITE),
        can_write_messages=has_permission(reviewer, MESSAGES_WRITE),
        can_override_criteria=can_change
        and case.pending_approval is None
        and has_permission(reviewer, OVERRIDE_CRITERIA),
        can_confirm_approval=may_check,
        can_return_approval=may_check,
    )


def _document(
    case: Case, doc: CaseDocument, presign: Presign, name_of: NameOf, properties: dict[str, Any]
) -> DocumentView:
    decision = doc.decision
    decided_by = decision.decided_by
    return DocumentView(
        id=doc.id,
        type=doc.type,
        category=doc.category,
        issuer=doc.issuer,
        properties=properties,
        version=doc.version,
        decision=DocumentDecisionView(
            status=decision.status,
            reason=decision.reason or decision.rejection_reason or decision.revision_reason,
            comment=decision.comment,
            decided_by=PersonRef(id=decided_by.id, name=decided_by.name or name_of(decided_by.id))
            if decided_by
            else None,
            decided_at=decision.decided_at,
        ),
        pages=[_page(case, page, presign) for page in doc.pages],
        page_history=[
            PageHistoryEntry(
                replaced_at=entry.replaced_at,
                pages=[_page(case, page, presign) for page in entry.document_pages],
            )
            for entry in doc.page_history
        ],
    )


def _page(case: Case, page: DocumentPage, presign: Presign) -> DocumentPageView:
    storage = case.page_storage.get(page.id)
    stored = storage is not None and storage.status == "stored" and storage.key
    return DocumentPageView(
        id=page.id,
        type=page.type,
        content_type=storage.content_type if storage else None,
        url=presign(storage.key) if stored and storage and storage.key else None,
        storage_status=storage.status if storage else "pending",
        storage_error=storage.error if storage else None,
        metadata=page.metadata,
    )


def _person(person_id: str | None, name_of: NameOf) -> PersonRef | None:
    return PersonRef(id=person_id, name=name_of(person_id)) if person_id else None


def audit_entry(record: AuditRecord) -> AuditEntry:
    return AuditEntry(
        id=record.event_id,
        action=record.action,
        at=record.at,
        actor=Actor(**record.actor.model_dump()),
        before=record.before,
        after=record.after,
        details=record.details,
        request_id=record.request_id,
    )
