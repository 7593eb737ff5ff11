"""Request and response bodies of the reviewers' back-office API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.cases.inbox import InboxQuery, inbox_query
from chalicelib.ids import utc_now
from chalicelib.models.base import ApiModel, JsonInt
from chalicelib.models.layouts import CaseLayout, RequiredDocument
from chalicelib.models.reviewers import Reviewer

NOTE_MAX_LENGTH = 4000


class InboxFilters(ApiModel):
    """The inbox's filters and sort: the query parameters of `GET .../cases` and what a saved
    view keeps (one model, so a view is valid exactly when the inbox would take it)."""

    state: str | None = Field(default=None, max_length=64)
    status: Literal["active", "completed", "failed", "all"] = "active"
    assignee: str = Field(
        default="me_or_unassigned",
        max_length=128,
        description="`me`, `unassigned`, `me_or_unassigned`, `any`, or a reviewer id",
    )
    workflow_definition_id: str | None = Field(default=None, max_length=64)
    entity_type: Literal["individual", "business"] | None = None
    q: str | None = Field(default=None, min_length=1, max_length=80)
    flag: str | None = Field(
        default=None,
        max_length=64,
        description="only cases with this flag, e.g. `resubmitted`, `collection_link_expired`",
    )
    sort: Literal["createdAt", "updatedAt", "dueAt"] = Field(
        default="createdAt",
        description="`dueAt`: open cases with an SLA deadline, by deadline (a sparse index)",
    )
    order: Literal["asc", "desc"] = "desc"
    sla: Literal["breached"] | None = Field(
        default=None, description="`breached`: only open cases past their SLA deadline"
    )
    awaiting_second_approval: bool = Field(
        default=False, description="only cases whose approval awaits a second approval"
    )

    def to_query(self, tenant_id: str, reviewer_id: str, limit: int) -> InboxQuery:
        return inbox_query(
            tenant_id,
            reviewer_id,
            status=self.status,
            assignee=self.assignee,
            sort=self.sort,
            order=self.order,
            state=self.state,
            workflow_definition_id=self.workflow_definition_id,
            entity_type=self.entity_type,
            search=self.q,
            flag=self.flag,
            awaiting_second_approval=self.awaiting_second_approval,
            limit=limit,
            due_before=utc_now() if self.sla == "breached" else None,
        )


class InboxParams(InboxFilters):
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


class PersonRef(ApiModel):
    id: str
    name: str


class EntityRef(ApiModel):
    id: str
    type: str
    name: str


class CaseRow(ApiModel):
    id: str
    version: int
    state: str
    status: str
    tags: list[str]
    workflow_definition_id: str
    workflow_definition_version: int
    workflow_name: str
    entity: EntityRef
    assignee: PersonRef | None
    document_count: int
    documents_pending_decision: int
    flags: list[str]
    created_at: str
    updated_at: str
    due_at: str | None = Field(default=None, description="the SLA deadline of the case's state")
    sla_status: Literal["on_track", "at_risk", "breached"] | None = None


class CaseList(ApiModel):
    data: list[CaseRow]
    next_cursor: str | None = None


class DocumentDecisionView(ApiModel):
    status: Literal["pending", "approved", "rejected", "revision"]
    reason: str | None = None
    comment: str | None = None
    decided_by: PersonRef | None = None
    decided_at: str | None = None


class DocumentPageView(ApiModel):
    id: str
    type: str | None = None
    content_type: str | None = None
    url: str | None = Field(description="presigned, valid for at most 5 minutes")
    storage_status: Literal["stored", "pending", "failed"]
    storage_error: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class PageHistoryEntry(ApiModel):
    replaced_at: str | None = None
    pages: list[DocumentPageView]


class DocumentView(ApiModel):
    id: str
    type: str
    category: str
    issuer: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    version: int | None = None
    decision: DocumentDecisionView
    pages: list[DocumentPageView]
    page_history: list[PageHistoryEntry] = Field(default_factory=list)


class EntityView(ApiModel):
    id: str
    type: str
    name: str
    data: dict[str, Any]


class WorkflowRef(ApiModel):
    id: str
    version: int
    name: str


class DecisionAvailability(ApiModel):
    allowed: bool
    reason: str | None = None
    needs_second_approval: bool = Field(
        default=False,
        description="four-eyes: this decision is recorded as pending until a checker confirms it",
    )


class PendingApprovalView(ApiModel):
    decision: str
    reason: str | None = None
    comment: str | None = None
    maker: PersonRef
    at: str = Field(description="when the maker decided")
    automatic: bool = Field(description="the decision followed from deciding the last document")
    evidence_matches: bool = Field(
        description="the evidence is what the maker saw; if not, confirming voids the approval"
    )
    changed: list[str] = Field(description="what changed since the maker's approval")
    checker_permission: str = Field(description="the permission a checker needs")
    criteria_override: dict[str, Any] | None = None


class AcceptanceCriterionView(ApiModel):
    id: str
    label: str
    description: str = ""
    status: Literal["met", "unmet", "unknown"]
    enforced: bool = Field(description="an enforced criterion not met blocks approval")
    explanation: str = Field(description="the case facts the rule read and their values")


class HitResolutionView(ApiModel):
    status: Literal["dismissed", "confirmed"] = Field(
        description="`dismissed`: a false positive; `confirmed`: the listed person or company"
    )
    reason: str
    by: PersonRef
    at: str


class ScreeningHitView(ApiModel):
    """One screening hit: a list entry that matched a screened subject."""

    id: str = Field(description="stable for the same list entry and subject across re-runs")
    score: float = Field(description="0-100 name similarity, less disagreeing facts")
    list_id: str
    list_version: str
    entry_id: str
    entry_name: str
    entry_kind: Literal["person", "organization"]
    matched_name: str
    matched_fields: list[str] = Field(description="`name`, and `birthDate`/`country` that agree")
    topics: list[str]
    subject: dict[str, str] = Field(description="who was screened: `{role, name}`")
    resolution: HitResolutionView | None = Field(
        default=None, description="the reviewer's judgement; none: unresolved"
    )


class PluginResultView(ApiModel):
    """The latest result of one plugin (a vendor check the back office ran)."""

    plugin: str
    provider: str
    provider_version: str | None = Field(description="for screening, the lists' versions")
    version: int = Field(description="this plugin's run number on the case")
    status: Literal["succeeded", "failed"]
    trigger: str
    started_at: str
    finished_at: str
    input_digest: str
    data: dict[str, Any]
    error: str | None = None
    hits: list[ScreeningHitView] = Field(
        default_factory=list, description="screening hits (sanctions provider), best first"
    )


class HitResolutionRequest(ApiModel):
    status: Literal["dismissed", "confirmed"] = Field(
        description="`dismissed`: a false positive; `confirmed`: the listed person or company"
    )
    reason: str = Field(min_length=1, max_length=1000, description="why (required, audited)")
    expected_version: JsonInt = Field(ge=1)


class PluginRunAccepted(ApiModel):
    case_id: str
    plugin: str
    status: Literal["queued"] = "queued"


class CasePermissions(ApiModel):
    can_decide: bool
    can_claim: bool
    can_unassign: bool
    can_assign_others: bool
    can_add_note: bool
    can_write_messages: bool = Field(
        default=False, description="may write messages the customer sees"
    )
    can_override_criteria: bool = Field(
        default=False, description="may approve past unmet enforced acceptance criteria"
    )
    can_confirm_approval: bool = Field(
        default=False, description="may confirm the pending approval (a checker, not its maker)"
    )
    can_return_approval: bool = Field(
        default=False, description="may return the pending approval to its maker"
    )


class Actor(ApiModel):
    type: str
    id: str
    name: str | None = None


class AuditEntry(ApiModel):
    id: str
    action: str
    at: str
    actor: Actor
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class AuditList(ApiModel):
    data: list[AuditEntry]


class CollectionRoundView(ApiModel):
    """One round of asking the customer for documents (never its links' URLs)."""

    number: int
    requested: list[dict[str, Any]]
    message: str | None
    sent_at: str
    sent_by: PersonRef | None
    expires_at: str | None
    completed_at: str | None
    completed_by: str | None
    link_expired: bool


class CaseView(ApiModel):
    id: str
    version: int
    state: str
    status: str
    tags: list[str]
    workflow: WorkflowRef
    entity: EntityView
    ubos: list[dict[str, Any]]
    directors: list[dict[str, Any]]
    documents: list[DocumentView]
    custom_data: dict[str, Any]
    third_party_data: dict[str, Any] = Field(
        description="check results the integrator supplied in its context (`pluginsOutput`, "
        "`thirdPartyData`): the integrator's data, not checks the back office ran"
    )
    third_party_data_source: Literal["integrator"] = Field(
        default="integrator", description="who supplied `thirdPartyData`: always the integrator"
    )
    assignee: PersonRef | None
    flags: list[str]
    created_at: str
    updated_at: str
    resolved_at: str | None = None
    due_at: str | None = Field(default=None, description="the SLA deadline of the case's state")
    sla_status: Literal["on_track", "at_risk", "breached"] | None = Field(
        default=None, description="none: the state has no SLA (or the case is closed)"
    )
    allowed_events: list[str]
    case_decisions: dict[str, DecisionAvailability]
    acceptance_criteria: list[AcceptanceCriterionView] = Field(
        description="the workflow definition's acceptance criteria, judged over the case now"
    )
    pending_approval: PendingApprovalView | None = Field(
        default=None, description="four-eyes: the maker's decision awaiting a second approval"
    )
    permissions: CasePermissions
    timeline: list[AuditEntry]
    collection_rounds: list[CollectionRoundView] = Field(
        default_factory=list, description="the rounds of re-upload requests, oldest first"
    )
    plugin_results: list[PluginResultView] = Field(
        default_factory=list,
        description="the latest result of each plugin the back office ran (system-owned)",
    )
    layout: CaseLayout = Field(
        description="how to show the case (the tenant's layout for its workflow definition); "
        "the data above is already shaped by it: hidden fields left out, masked ones masked"
    )
    missing_documents: list[RequiredDocument] = Field(
        default_factory=list, description="the layout's required documents the case lacks"
    )


class AssigneeRequest(ApiModel):
    assignee_id: str | None = Field(max_length=128)
    expected_version: JsonInt = Field(ge=1)


class NoteRequest(ApiModel):
    text: str = Field(min_length=1, max_length=NOTE_MAX_LENGTH)


class NoteView(ApiModel):
    id: str
    text: str
    author: PersonRef
    created_at: str


class NoteList(ApiModel):
    data: list[NoteView]


class UserList(ApiModel):
    data: list[Reviewer]
