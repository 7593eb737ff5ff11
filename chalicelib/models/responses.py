"""Response bodies of the integrator API (documented in the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.models.base import ApiModel
from chalicelib.models.case import Case, CaseDocument


class RunResponse(ApiModel):
    workflow_runtime_id: str
    workflow_definition_id: str
    workflow_definition_version: int
    ballerine_entity_id: str
    entity_id: str
    state: str
    status: str
    created: bool = Field(description="false when the run updated the entity's active case")


class PageView(ApiModel):
    id: str
    type: str | None = None
    provider: str
    metadata: dict[str, Any] = Field(default_factory=dict)
    ballerine_file_id: str | None = None
    storage_status: str
    storage_error: str | None = None


class DocumentSummary(ApiModel):
    id: str
    type: str
    category: str
    decision: dict[str, Any]
    pages: list[PageView]


class EntitySummary(ApiModel):
    id: str
    type: str
    name: str
    ballerine_entity_id: str


class WorkflowRuntime(ApiModel):
    id: str
    workflow_definition_id: str
    workflow_definition_version: int
    state: str
    status: str
    version: int
    entity: EntitySummary
    assignee_id: str | None = None
    created_at: str
    updated_at: str
    resolved_at: str | None = None
    documents: list[DocumentSummary]

    @classmethod
    def from_case(cls, case: Case) -> WorkflowRuntime:
        return cls(
            id=case.case_id,
            workflow_definition_id=case.workflow_definition_id,
            workflow_definition_version=case.workflow_definition_version,
            state=case.state,
            status=case.status,
            version=case.version,
            entity=EntitySummary(
                id=case.entity_id,
                type=case.entity_type,
                name=case.entity_name,
                ballerine_entity_id=case.ballerine_entity_id,
            ),
            assignee_id=case.assignee_id,
            created_at=case.created_at,
            updated_at=case.updated_at,
            resolved_at=case.resolved_at,
            documents=[_document_summary(case, doc) for doc in case.documents],
        )


def _document_summary(case: Case, doc: CaseDocument) -> DocumentSummary:
    pages = []
    for page in doc.pages:
        storage = case.page_storage.get(page.id)
        pages.append(
            PageView(
                id=page.id,
                type=page.type,
                provider=page.provider,
                metadata=page.metadata,
                ballerine_file_id=page.ballerine_file_id,
                storage_status=storage.status if storage else "pending",
                storage_error=storage.error if storage else None,
            )
        )
    return DocumentSummary(
        id=doc.id,
        type=doc.type,
        category=doc.category,
        decision=doc.decision.ballerine(),
        pages=pages,
    )


class WorkflowRuntimeList(ApiModel):
    data: list[WorkflowRuntime]
    next_cursor: str | None = None


class WorkflowContext(ApiModel):
    workflow_runtime_id: str
    version: int
    context: dict[str, Any]
    config: dict[str, Any]


class WorkflowStateSummary(ApiModel):
    name: str
    type: str = Field(description="`waiting` or `final`")
    tags: list[str]
    events: list[str] = Field(description="the events accepted in this state")


class WorkflowEventSummary(ApiModel):
    source: str = Field(description="`reviewer`, `integrator` or `system`")
    decision: str | None = Field(default=None, description="the decision a reviewer event carries")


class DocumentRequirementSummary(ApiModel):
    category: str
    type: str
    required: bool


class AcceptanceCriterionSummary(ApiModel):
    id: str
    label: str
    description: str
    rule: dict[str, Any] = Field(description="JSON Logic over the case facts")
    enforced: bool


class ApprovalPolicySummary(ApiModel):
    when: str | dict[str, Any] = Field(
        description="when a second approval is needed: `always`, `never`, or JSON Logic over "
        "the case facts"
    )
    decisions: list[str] = Field(description="the case decisions four-eyes covers")
    checker_permission: str = Field(description="the permission the checker needs")


class WorkflowDefinitionSummary(ApiModel):
    id: str
    version: int
    name: str
    description: str
    entity_type: str | None = Field(description="`individual`, `business`, or null for either")
    initial_state: str
    states: list[WorkflowStateSummary]
    events: dict[str, WorkflowEventSummary]
    documents: list[DocumentRequirementSummary]
    acceptance_criteria: list[AcceptanceCriterionSummary] = Field(
        default_factory=list,
        description="named JSON Logic rules over the case facts; enforced ones block approval",
    )
    approval_policy: ApprovalPolicySummary | None = Field(
        default=None, description="four-eyes: when a case decision needs a second approval"
    )
    source: Literal["bundled", "tenant"] = Field(
        default="bundled",
        description="`bundled` (every tenant's) or `tenant` (published by the tenant's admins)",
    )
    published_by: str | None = Field(default=None, description="a published version's author")
    published_at: str | None = None


class WorkflowDefinitionList(ApiModel):
    data: list[WorkflowDefinitionSummary]
