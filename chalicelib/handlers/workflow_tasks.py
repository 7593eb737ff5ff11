"""Workflow consumers: start a case's execution on `case.created`, park the task tokens that
the execution's waiting states send to the task queue, and move the execution on after every
committed transition (`case.state_changed` -> workflow-sync queue), retrying until it moves."""

from __future__ import annotations

import json
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from chalicelib.cases.workflow_runtime import (
    MAX_RECEIVES,
    WORKFLOW_SYNC_FAILED,
    park_task_token,
    set_case_flag,
    start_execution_for_case,
    sync_execution,
)
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, workflow_engine
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch
from chalicelib.observability import logger, metrics

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


def _park(body: dict[str, Any], receive_count: int) -> None:
    parked = park_task_token(
        case_store(),
        tenant_id=body["tenantId"],
        case_id=body["caseId"],
        state=body["state"],
        task_token=body["taskToken"],
    )
    if parked == "parked":
        # A transition may have committed before this token arrived: send it now. (If another
        # sender holds a claim, it reads the case again when done and finds this token.)
        _sync(body["tenantId"], body["caseId"], receive_count, retry_in_flight=False)
    elif parked == "in_flight":
        # This message came back because sending its token failed: send it again, and come
        # back while another sender's lease runs (flagged on the last delivery, like the sync).
        _sync(body["tenantId"], body["caseId"], receive_count, retry_in_flight=True)


def _sync_on_state_change(body: dict[str, Any], receive_count: int) -> None:
    event = domain_event_from_rule_message(body)
    _sync(event.tenant_id, event.case_id, receive_count, retry_in_flight=True)


class SendInProgress(Exception):
    """Another sender holds the case's in-flight transition: come back when its lease ends."""


def _sync(tenant_id: str, case_id: str, receive_count: int, *, retry_in_flight: bool) -> None:
    """Sync the execution; on the last delivery before the DLQ, flag the case, log and count it,
    then fail the message anyway so it stays in the DLQ for a redrive (never dropped)."""
    store = case_store()
    try:
        outcome = sync_execution(store, workflow_engine(), tenant_id=tenant_id, case_id=case_id)
        if outcome == "in_flight" and retry_in_flight:
            # Its holder may have died: this message comes back after the lease has expired.
            raise SendInProgress(case_id)
    except Exception as exc:
        if receive_count >= MAX_RECEIVES:
            logger.exception(
                "the case's execution could not be moved on; case flagged",
                extra={"tenant": tenant_id, "case_id": case_id, "receive_count": receive_count},
            )
            metrics.add_metric(name="WorkflowSyncFailed", unit="Count", value=1)
            set_case_flag(
                store,
                tenant_id=tenant_id,
                case_id=case_id,
                flag=WORKFLOW_SYNC_FAILED,
                raised=True,
                details={"error": f"{type(exc).__name__}: {exc}"[:500]},
            )
        raise
    # Delivered after all (a later retry or a redrive): the flag no longer holds.
    set_case_flag(
        store, tenant_id=tenant_id, case_id=case_id, flag=WORKFLOW_SYNC_FAILED, raised=False
    )


def _process_counting_receives(event: dict[str, Any], context: Any, handle: Any) -> dict[str, Any]:
    """Like `process_sqs_batch`, but the handler also learns how often the message came."""

    def record_handler(record: SQSRecord) -> None:
        count = int(record.raw_event.get("attributes", {}).get("ApproximateReceiveCount", 1))
        handle(json.loads(record.body), count)

    # Powertools types the answer as a TypedDict; Lambda takes it as the plain dict it is.
    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
    return cast(dict[str, Any], response)


@workflow_tasks.lambda_function(name="workflow_starter")
def start_workflow_executions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _start)


@workflow_tasks.lambda_function(name="workflow_task_tokens")
def park_workflow_task_tokens(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process_counting_receives(event, context, _park)


@workflow_tasks.lambda_function(name="workflow_sync")
def sync_workflow_executions(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _process_counting_receives(event, context, _sync_on_state_change)
