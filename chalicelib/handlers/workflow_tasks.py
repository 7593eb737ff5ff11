"""Workflow consumers: start a case's execution on `case.created`, and park the task tokens
that the execution's waiting states send to the task queue."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.cases.workflow_runtime import park_task_token, start_execution_for_case
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, workflow_engine
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch

workflow_tasks = Blueprint(__name__)


def _start(body: dict[str, Any]) -> None:
    event = domain_event_from_rule_message(body)
    start_execution_for_case(
        workflow_engine(),
        get_settings().state_machine_arn,
        tenant_id=event.tenant_id,
        case_id=event.case_id,
        workflow_definition_id=event.data["workflowDefinitionId"],
        workflow_definition_version=event.data["workflowDefinitionVersion"],
    )


def _park(body: dict[str, Any]) -> None:
    park_task_token(
        case_store(),
        tenant_id=body["tenantId"],
        case_id=body["caseId"],
        state=body["state"],
        task_token=body["taskToken"],
    )


@workflow_tasks.lambda_function(name="workflow_starter")
def start_workflow_executions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _start)


@workflow_tasks.lambda_function(name="workflow_task_tokens")
def park_workflow_task_tokens(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _park)
