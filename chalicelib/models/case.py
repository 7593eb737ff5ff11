"""Domain records of a case as the case store keeps them."""

from __future__ import annotations

from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

CaseStatus = Literal["active", "completed", "failed"]
DecisionStatus = Literal["pending", "approved", "rejected", "revision"]
ActorType = Literal["integrator", "reviewer", "system"]
PageStorageStatus = Literal["stored", "pending", "failed"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Actor(Record):
    type: ActorType
    id: str
    name: str | None = None


class PageStorage(Record):
    """Where a page's bytes are: kept beside the context so a fetch never bumps the case version."""

    status: PageStorageStatus
    key: str | None = None
    content_type: str | None = None
    size: int | None = None
    error: str | None = None
    source_uri: str | None = None
    updated_at: str


class WorkflowTransition(Record):
    """A committed state change that the case's Step Functions execution must follow.

    Transitions are numbered per case in commit order (`seq` 1, 2, ...); the workflow sync
    delivers them to the execution strictly in that order (see `cases.workflow_runtime`)."""

    seq: int
    event: str
    from_state: str
    to_state: str
    at: str


class InflightTransition(WorkflowTransition):
    """A transition claimed by the workflow sync whose task token is being (re)sent. Only the
    lease holder sends; an expired (or released, "") lease can be taken over by a retry."""

    token: str
    lease_until: str = ""


class Case(Record):
    case_id: str
    tenant_id: str
    workflow_definition_id: str
    workflow_definition_version: int
    state: str
    status: CaseStatus = "active"
    version: int = 1
    assignee_id: str | None = None
    created_at: str
    updated_at: str
    resolved_at: str | None = None
    entity_type: Literal["individual", "business"]
    entity_id: str
    ballerine_entity_id: str
    entity_name: str
    context: dict[str, Any]
    config: dict[str, Any] = Field(default_factory=dict)
    page_storage: dict[str, PageStorage] = Field(default_factory=dict)
    task_token: str | None = None
    task_token_state: str | None = None
    flags: list[str] = Field(default_factory=list)
    # Written with the case (versioned): transitions the execution has not followed yet. A
    # writer keeps only those with seq > execution_delivered, so the list stays short.
    workflow_transitions: list[WorkflowTransition] = Field(default_factory=list)
    # Written only by the workflow sync and the task-token parker (never bump `version`): the
    # state the execution waits in (or is about to), how many transitions it has been sent, and
    # the one being sent right now.
    execution_state: str | None = None
    execution_delivered: int = 0
    execution_inflight: InflightTransition | None = None

    @property
    def documents(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.context.get("documents", []))

    @property
    def entity_data(self) -> dict[str, Any]:
        return (self.context.get("entity") or {}).get("data") or {}

    @property
    def documents_needing_decision(self) -> int:
        """Documents a reviewer still has to decide (re-upload requests wait on the customer)."""
        return sum(
            1
            for doc in self.documents
            if (doc.get("decision") or {}).get("status", "pending") == "pending"
        )

    def next_transition_seq(self) -> int:
        return max([t.seq for t in self.workflow_transitions] + [self.execution_delivered]) + 1

    def undelivered_transitions(self) -> list[WorkflowTransition]:
        return sorted(
            (t for t in self.workflow_transitions if t.seq > self.execution_delivered),
            key=lambda t: t.seq,
        )

    def pending_pages(self) -> list[tuple[str, str]]:
        """(page id, uri) of remote pages still waiting to be fetched."""
        return [
            (page_id, storage.source_uri)
            for page_id, storage in self.page_storage.items()
            if storage.status == "pending" and storage.source_uri
        ]


class AuditRecord(Record):
    """An append-only fact about a case; the audit trail and the outbox are the same record."""

    event_id: str
    tenant_id: str
    case_id: str
    action: str
    at: str
    actor: Actor
    request_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class NoteRecord(Record):
    """A reviewer's plain-text note on a case; notes are never edited or deleted."""

    note_id: str
    tenant_id: str
    case_id: str
    text: str
    author_id: str
    author_name: str
    created_at: str
