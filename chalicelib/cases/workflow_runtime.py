"""The case's Step Functions execution: started once per case; its waiting states park their
task tokens on the case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chalicelib.cases.store import CaseStore
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord
from chalicelib.observability import logger
from chalicelib.workflows.registry import get_definition

ENGINE = Actor(type="system", id="workflow-engine")


class WorkflowEngine(Protocol):
    def start_case_execution(self, state_machine_arn: str, case_id: str, tenant_id: str) -> str: ...


def start_execution_for_case(
    engine: WorkflowEngine,
    arn_for: Callable[[str], str],
    *,
    tenant_id: str,
    case_id: str,
    workflow_definition_id: str,
    workflow_definition_version: int,
) -> str:
    definition = get_definition(workflow_definition_id, workflow_definition_version)
    return engine.start_case_execution(arn_for(definition.state_machine_name), case_id, tenant_id)


def park_task_token(
    store: CaseStore, *, tenant_id: str, case_id: str, state: str, task_token: str
) -> bool:
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=tenant_id,
        case_id=case_id,
        action="workflow.waiting",
        at=utc_now(),
        actor=ENGINE,
        details={"state": state},
    )
    parked = store.park_task_token(tenant_id, case_id, state, task_token, audit)
    if not parked:
        logger.warning(
            "task token for a state the case has left",
            extra={"tenant": tenant_id, "case_id": case_id, "state": state},
        )
    return parked
