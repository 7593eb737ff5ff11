"""Workflow definitions published by a tenant's admins (docs/workflow-definitions.md#publishing):
the API bodies and the stored record of each version."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, JsonInt
from chalicelib.models.case import Record
from chalicelib.workflows.definition import WorkflowDefinition


class PublishDefinitionRequest(ApiModel):
    definition: WorkflowDefinition = Field(
        description="the definition (docs/workflow-definitions.md); its `version` must be the "
        "next one of this id for the tenant (1 for a new id), else 409"
    )


class PublishedDefinitionRef(ApiModel):
    id: str
    version: JsonInt
    name: str
    published_by: str
    published_at: str
    state_machine_name: str = Field(description="the state machine new runs of it start on")


class DefinitionVersionParams(ApiModel):
    version: int | None = Field(
        default=None, ge=1, le=1_000_000, description="one version; without it, the newest"
    )


class WorkflowDefinitionDocument(ApiModel):
    """One version of a definition as JSON: what an admin edits to publish the next."""

    id: str
    version: JsonInt
    name: str
    source: Literal["bundled", "tenant"]
    published_by: str | None = Field(default=None, description="the tenant's own only")
    published_at: str | None = None
    definition: dict[str, Any] = Field(
        description="the definition as published (docs/workflow-definitions.md)"
    )


class PublishedDefinition(Record):
    """One published version of a tenant's definition (never changed)."""

    tenant_id: str
    definition_id: str
    version: int
    # The definition as published (camelCase JSON, validated again when read).
    definition: dict[str, Any]
    author_id: str
    author_name: str
    at: str
    state_machine_arn: str

    def workflow_definition(self) -> WorkflowDefinition:
        return WorkflowDefinition.published(self.tenant_id, self.definition)

    def ref(self) -> PublishedDefinitionRef:
        definition = self.workflow_definition()
        return PublishedDefinitionRef(
            id=self.definition_id,
            version=self.version,
            name=definition.name,
            published_by=self.author_name,
            published_at=self.at,
            state_machine_name=self.state_machine_arn.rsplit(":", 1)[-1],
        )
