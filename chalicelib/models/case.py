"""Domain records of a case as the case store keeps them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CaseStatus = Literal["active", "completed", "failed"]
DecisionStatus = Literal["pending", "approved", "rejected", "revision"]
ActorType = Literal["integrator", "reviewer", "system"]
PageStorageStatus = Literal["stored", "pending", "failed"]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


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

    @property
    def documents(self) -> list[dict[str, Any]]:
        return self.context.get("documents", [])

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
