"""Integrator API: `/api/v1/external/*`, authenticated by the tenant's API key."""

from __future__ import annotations

from typing import Any, Literal

from chalice import Blueprint
from pydantic import Field

from chalicelib.aws.idempotency import run_once
from chalicelib.cases import queries
from chalicelib.cases.ingestion import run_workflow
from chalicelib.config import get_settings
from chalicelib.decisions.service import send_integrator_event
from chalicelib.dependencies import (
    callback_store,
    case_store,
    definition_store,
    document_storage,
    workflow_engine,
)
from chalicelib.errors import InvalidRequest
from chalicelib.handlers.auth_kinds import INTEGRATOR, VENDOR_CALLBACK
from chalicelib.handlers.http import parse_json, request_id
from chalicelib.handlers.operations import Header, operation
from chalicelib.models.base import ApiModel
from chalicelib.models.decisions import (
    IntegratorEventRequest,
    VendorCallbackAnswer,
    VendorCallbackBody,
)
from chalicelib.models.responses import (
    RunResponse,
    WorkflowContext,
    WorkflowDefinitionList,
    WorkflowRuntime,
    WorkflowRuntimeList,
)
from chalicelib.models.run import RunRequest
from chalicelib.observability import logger, metrics
from chalicelib.plugins.callbacks import PendingCallback, complete_callback
from chalicelib.workflows.registry import latest_definitions

external_api = Blueprint(__name__)
MAX_IDEMPOTENCY_KEY = 255


class WorkflowListQuery(ApiModel):
    status: Literal["active", "completed", "failed"] | None = None
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


IDEMPOTENCY_KEY = Header(
    "Idempotency-Key",
    "replays the first answer for the same key (1..255 characters)",
    MAX_IDEMPOTENCY_KEY,
)


@operation(
    external_api,
    "POST",
    "/workflows/run",
    auth=INTEGRATOR,
    summary="Run a workflow: create a case (or update the entity's active case)",
    tag="integrator",
    body=RunRequest,
    response=RunResponse,
    # Ballerine answers 201 to every accepted run, including one that updated an active case.
    status=201,
    # 404: unknown workflowId; 409: concurrent runs or a replay still in progress.
    errors=(404, 409, 422),
    headers=(IDEMPOTENCY_KEY,),
)
def run_workflow_route(tenant_id: str, body: RunRequest) -> RunResponse:
    request = external_api.current_request

    def ingest() -> dict[str, Any]:
        outcome = run_workflow(
            body,
            tenant_id=tenant_id,
            store=case_store(),
            pages=document_storage(),
            request_id=request_id(request),
        )
        case = outcome.case
        metrics.add_metric(
            name="CasesIngested" if outcome.created else "CasesUpdated", unit="Count", value=1
        )
        logger.info(
            "workflow run accepted",
            extra={"tenant": tenant_id, "case_id": case.case_id, "case_created": outcome.created},
        )
        return RunResponse(
            workflow_runtime_id=case.case_id,
            workflow_definition_id=case.workflow_definition_id,
            workflow_definition_version=case.workflow_definition_version,
            ballerine_entity_id=case.ballerine_entity_id,
            entity_id=case.entity_id,
            state=case.state,
            status=case.status,
            created=outcome.created,
        ).model_dump(by_alias=True)

    key = request.headers.get("idempotency-key")
    if key is None:
        answer = ingest()
    else:
        if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidRequest(
                "invalid Idempotency-Key",
                details=[{"path": "header.Idempotency-Key", "message": "1 to 255 characters"}],
            )
        answer = run_once(
            get_settings().idempotency_table,
            scope=f"run:{tenant_id}",
            key=key,
            payload=parse_json(request),
            action=ingest,
            lambda_context=external_api.lambda_context,
        )
    # A replay answers what was stored for the first request.
    return RunResponse.model_validate(answer)


@operation(
    external_api,
    "GET",
    "/workflows",
    auth=INTEGRATOR,
    summary="List the tenant's cases, newest first",
    tag="integrator",
    query=WorkflowListQuery,
    response=WorkflowRuntimeList,
    errors=(),
)
def list_workflows_route(tenant_id: str, query: WorkflowListQuery) -> WorkflowRuntimeList:
    result = queries.list_cases(
        case_store(),
        tenant_id,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
        cursor_secret=get_settings().cursor_signing_key,
    )
    return WorkflowRuntimeList(
        data=[WorkflowRuntime.from_case(case) for case in result.cases],
        next_cursor=result.next_cursor,
    )


@operation(
    external_api,
    "GET",
    "/workflows/{case_id}",
    auth=INTEGRATOR,
    summary="One case with its documents and their decisions",
    tag="integrator",
    response=WorkflowRuntime,
    errors=(),
)
def get_workflow_route(tenant_id: str, case_id: str) -> WorkflowRuntime:
    case = queries.get_case(case_store(), tenant_id, case_id)
    return WorkflowRuntime.from_case(case)


@operation(
    external_api,
    "GET",
    "/workflows/{case_id}/context",
    auth=INTEGRATOR,
    summary="The case's whole context as kept (unknown fields preserved)",
    tag="integrator",
    response=WorkflowContext,
    errors=(),
)
def get_workflow_context_route(tenant_id: str, case_id: str) -> WorkflowContext:
    case = queries.get_case(case_store(), tenant_id, case_id)
    return WorkflowContext(
        workflow_runtime_id=case.case_id,
        version=case.version,
        context=case.facts.ballerine_context(),
        config=case.config,
    )


@operation(
    external_api,
    "POST",
    "/workflows/{case_id}/event",
    auth=INTEGRATOR,
    summary="Send an integrator event (e.g. `resubmitted`)",
    tag="integrator",
    body=IntegratorEventRequest,
    response=WorkflowRuntime,
    errors=(409,),
    description="400 for an unknown event, 409 when the event is not allowed now.",
)
def send_workflow_event_route(
    tenant_id: str, case_id: str, body: IntegratorEventRequest
) -> WorkflowRuntime:
    request = external_api.current_request
    case = send_integrator_event(
        case_store(),
        workflow_engine(),
        tenant_id=tenant_id,
        case_id=case_id,
        name=body.name,
        payload=body.payload,
        request_id=request_id(request),
    )
    return WorkflowRuntime.from_case(case)


@operation(
    external_api,
    "POST",
    "/workflows/{case_id}/hook/{event}",
    auth=VENDOR_CALLBACK,
    summary="An asynchronous vendor answers a plugin's request (`event`: the plugin's name)",
    tag="vendor",
    body=VendorCallbackBody,
    response=VendorCallbackAnswer,
    errors=(),
    description="Signed with the tenant's callback secret (docs/plugins.md). Idempotent: a "
    "repeated callback records nothing again and gets the same answer. 401 for a bad "
    "signature, and for a case or plugin that awaits no callback.",
)
def vendor_callback_route(
    case_id: str, event: str, callback: PendingCallback, body: VendorCallbackBody
) -> VendorCallbackAnswer:
    request = external_api.current_request
    result = complete_callback(
        callback,
        body.model_dump(),
        store=case_store(),
        callbacks=callback_store(),
        tasks=workflow_engine(),
        provider_version=request.headers.get("x-api-version"),
    )
    logger.info("vendor callback recorded", extra={"case_id": case_id, "plugin": event})
    return VendorCallbackAnswer(
        case_id=case_id, plugin=event, result_version=result.version if result else None
    )


@operation(
    external_api,
    "GET",
    "/workflow-definitions",
    auth=INTEGRATOR,
    summary="The workflow definitions: the bundled ones and the tenant's own",
    tag="integrator",
    response=WorkflowDefinitionList,
    errors=(),
)
def list_workflow_definitions_route(tenant_id: str) -> WorkflowDefinitionList:
    return definition_list(tenant_id)


def definition_list(tenant_id: str) -> WorkflowDefinitionList:
    """The newest version of each bundled definition and of each the tenant published, as its
    integrators and reviewers see them (another tenant's never)."""
    published = [
        {
            **p.workflow_definition().summary(),
            "publishedBy": p.author_name,
            "publishedAt": p.at,
        }
        for p in definition_store().list_latest(tenant_id)
    ]
    return WorkflowDefinitionList.model_validate(
        {"data": [*(d.summary() for d in latest_definitions()), *published]}
    )
