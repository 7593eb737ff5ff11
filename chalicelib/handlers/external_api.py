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
from chalicelib.dependencies import case_store, document_storage, workflow_engine
from chalicelib.errors import InvalidRequest
from chalicelib.handlers.http import (
    api_route,
    integrator_tenant,
    json_response,
    parse_body,
    parse_json,
    parse_query,
    request_id,
)
from chalicelib.models.base import ApiModel
from chalicelib.models.decisions import IntegratorEventRequest
from chalicelib.models.responses import (
    RunResponse,
    WorkflowContext,
    WorkflowDefinitionList,
    WorkflowRuntime,
    WorkflowRuntimeList,
)
from chalicelib.models.run import RunRequest
from chalicelib.observability import logger, metrics
from chalicelib.workflows.registry import latest_definitions

external_api = Blueprint(__name__)
MAX_IDEMPOTENCY_KEY = 255


class WorkflowListQuery(ApiModel):
    status: Literal["active", "completed", "failed"] | None = None
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)


@api_route(external_api, "/workflows/run", methods=["POST"])
def run_workflow_route() -> Any:
    request = external_api.current_request
    tenant_id = integrator_tenant(request)
    run = parse_body(request, RunRequest)

    def ingest() -> dict[str, Any]:
        outcome = run_workflow(
            run,
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
        body = ingest()
    else:
        if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
            raise InvalidRequest(
                "invalid Idempotency-Key",
                details=[{"path": "header.Idempotency-Key", "message": "1 to 255 characters"}],
            )
        body = run_once(
            get_settings().idempotency_table,
            scope=f"run:{tenant_id}",
            key=key,
            payload=parse_json(request),
            action=ingest,
            lambda_context=external_api.lambda_context,
        )
    # Ballerine answers 201 to every accepted run, including one that updated an active case.
    return json_response(body, 201)


@api_route(external_api, "/workflows", methods=["GET"])
def list_workflows_route() -> Any:
    request = external_api.current_request
    tenant_id = integrator_tenant(request)
    query = parse_query(request, WorkflowListQuery)
    result = queries.list_cases(
        case_store(),
        tenant_id,
        status=query.status,
        limit=query.limit,
        cursor=query.cursor,
        cursor_secret=get_settings().api_key_pepper,
    )
    body = WorkflowRuntimeList(
        data=[WorkflowRuntime.from_case(case) for case in result.cases],
        next_cursor=result.next_cursor,
    )
    return json_response(body.model_dump(by_alias=True))


@api_route(external_api, "/workflows/{case_id}", methods=["GET"])
def get_workflow_route(case_id: str) -> Any:
    tenant_id = integrator_tenant(external_api.current_request)
    case = queries.get_case(case_store(), tenant_id, case_id)
    return json_response(WorkflowRuntime.from_case(case).model_dump(by_alias=True))


@api_route(external_api, "/workflows/{case_id}/context", methods=["GET"])
def get_workflow_context_route(case_id: str) -> Any:
    tenant_id = integrator_tenant(external_api.current_request)
    case = queries.get_case(case_store(), tenant_id, case_id)
    body = WorkflowContext(
        workflow_runtime_id=case.case_id,
        version=case.version,
        context=case.facts.ballerine_context(),
        config=case.config,
    )
    return json_response(body.model_dump(by_alias=True))


@api_route(external_api, "/workflows/{case_id}/event", methods=["POST"])
def send_workflow_event_route(case_id: str) -> Any:
    request = external_api.current_request
    tenant_id = integrator_tenant(request)
    body = parse_body(request, IntegratorEventRequest)
    case = send_integrator_event(
        case_store(),
        workflow_engine(),
        tenant_id=tenant_id,
        case_id=case_id,
        name=body.name,
        payload=body.payload,
        request_id=request_id(request),
    )
    return json_response(WorkflowRuntime.from_case(case).model_dump(by_alias=True))


@api_route(external_api, "/workflow-definitions", methods=["GET"])
def list_workflow_definitions_route() -> Any:
    integrator_tenant(external_api.current_request)
    body = WorkflowDefinitionList.model_validate(
        {"data": [d.summary() for d in latest_definitions()]}
    )
    return json_response(body.model_dump(by_alias=True))
