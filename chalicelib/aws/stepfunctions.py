"""Step Functions adapter: one execution per case, moved on by task tokens."""

from __future__ import annotations

import functools
import json
from typing import Any

import boto3
from botocore.exceptions import ClientError

from chalicelib.caches import register
from chalicelib.cases.workflow_runtime import StaleTaskToken
from chalicelib.errors import VersionConflict
from chalicelib.workflows.asl import RESUME_INPUT

# Step Functions no longer waits on the token: used already, timed out, or the execution ended.
STALE_TOKEN_ERRORS = {"InvalidToken", "TaskDoesNotExist", "TaskTimedOut"}


@register
@functools.cache
def sfn_client() -> Any:
    return boto3.client("stepfunctions")


class StepFunctionsWorkflowEngine:
    def create_state_machine(self, name: str, definition: dict[str, Any], role_arn: str) -> str:
        """A published definition's state machine (STANDARD, as the bundled ones); its ARN.
        One of that name already there (a concurrent publisher of the same version, or a
        publish whose save failed) is a conflict: a version's state machine is never replaced."""
        try:
            response = sfn_client().create_state_machine(
                name=name,
                definition=json.dumps(definition, separators=(",", ":")),
                roleArn=role_arn,
                type="STANDARD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "StateMachineAlreadyExists":
                raise VersionConflict(f"the state machine {name} exists already") from exc
            raise
        return str(response["stateMachineArn"])

    def state_machine_exists(self, state_machine_arn: str) -> bool:
        try:
            sfn_client().describe_state_machine(stateMachineArn=state_machine_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "StateMachineDoesNotExist":
                return False
            raise
        return True

    def start_case_execution(
        self,
        state_machine_arn: str,
        case_id: str,
        tenant_id: str,
        *,
        resume_at: str | None = None,
        name: str | None = None,
    ) -> str:
        """Start the case's execution, named after the case so a retry cannot start a second.
        `resume_at`: start waiting in that state (the compiled chart's resume entry)."""
        name = name or case_id
        payload = {"caseId": case_id, "tenantId": tenant_id}
        if resume_at is not None:
            payload[RESUME_INPUT] = resume_at
        try:
            response = sfn_client().start_execution(
                stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
            raise
        return str(response["executionArn"])

    def execution_names(self, state_machine_arn: str) -> dict[str, str]:
        """Every execution of the state machine: name -> status (paginated)."""
        names: dict[str, str] = {}
        for page in (
            sfn_client()
            .get_paginator("list_executions")
            .paginate(stateMachineArn=state_machine_arn)
        ):
            for execution in page["executions"]:
                names[execution["name"]] = execution["status"]
        return names

    def send_event(self, task_token: str, event: str) -> None:
        try:
            sfn_client().send_task_success(
                taskToken=task_token, output=json.dumps({"event": event})
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in STALE_TOKEN_ERRORS:
                raise StaleTaskToken(str(exc)) from exc
            raise

    def plugin_succeeded(self, task_token: str) -> None:
        """The plugin step's token back with its result recorded (the case holds the data)."""
        self._send(sfn_client().send_task_success, taskToken=task_token, output="{}")

    def plugin_failed(self, task_token: str, error: str, cause: str) -> None:
        """Fail the plugin step's attempt: its `Retry` decides whether another one comes."""
        self._send(
            sfn_client().send_task_failure, taskToken=task_token, error=error, cause=cause[:32000]
        )

    @staticmethod
    def _send(call: Any, **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in STALE_TOKEN_ERRORS:
                raise StaleTaskToken(str(exc)) from exc
            raise
