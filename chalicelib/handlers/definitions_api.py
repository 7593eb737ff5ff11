"""Workflow definitions published by a tenant's admins: `POST
/api/v1/backoffice/workflow-definitions` and one version as JSON, `GET .../{id}`
(`definitions.manage`); the list is `GET /api/v1/backoffice/workflow-definitions` (any reader,
`backoffice_api`)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.config import get_settings
from chalicelib.dependencies import definition_store, plugin_queue, work_queue, workflow_engine
from chalicelib.handlers.auth_kinds import ReviewerToken
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.definitions import (
    DefinitionVersionParams,
    PublishDefinitionRequest,
    PublishedDefinitionRef,
    WorkflowDefinitionDocument,
)
from chalicelib.models.permissions import DEFINITIONS_MANAGE
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.published import definition_document, publish_definition

definitions_api = Blueprint(__name__)
DEFINITION_MANAGER = ReviewerToken(DEFINITIONS_MANAGE, argument="admin")


@operation(
    definitions_api,
    "POST",
    "/workflow-definitions",
    auth=DEFINITION_MANAGER,
    summary="Publish a new version of one of the tenant's workflow definitions",
    tag="definitions",
    body=PublishDefinitionRequest,
    response=PublishedDefinitionRef,
    errors=(403, 409),
    status=201,
    description="Validated (400 with field paths), compiled to a new state machine, kept with "
    "its author and time and recorded in the admin trail. New runs of the id take the newest "
    "version; running cases stay on theirs. See docs/workflow-definitions.md#publishing.",
)
def publish_definition_route(
    admin: Reviewer, body: PublishDefinitionRequest
) -> PublishedDefinitionRef:
    settings = get_settings()
    published = publish_definition(
        definition_store(),
        workflow_engine(),
        admin,
        body.definition,
        allow_local=settings.allow_loopback_fetch,
        state_machine_prefix=f"{settings.resource_prefix}-",
        role_arn=settings.state_machine_role_arn,
        task_queue_url=work_queue(settings.workflow_task_queue).url,
        plugin_queue_url=plugin_queue().url,
        request_id=request_id(definitions_api.current_request),
    )
    return published.ref()


@operation(
    definitions_api,
    "GET",
    "/workflow-definitions/{workflow_definition_id}",
    auth=DEFINITION_MANAGER,
    summary="One version of a workflow definition as JSON (the newest without `version`), "
    "bundled or the tenant's own",
    tag="definitions",
    query=DefinitionVersionParams,
    response=WorkflowDefinitionDocument,
    errors=(403,),
    description="What an admin edits to publish the next version (or, for a bundled "
    "definition, a definition of the tenant's own under a new id).",
)
def get_definition_route(
    admin: Reviewer, workflow_definition_id: str, query: DefinitionVersionParams
) -> WorkflowDefinitionDocument:
    return definition_document(
        definition_store(), admin.tenant_id, workflow_definition_id, query.version
    )
