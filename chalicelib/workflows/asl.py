"""Compile a workflow definition into Amazon States Language.

Every waiting state becomes a `.waitForTaskToken` task that sends its token to the task queue
(the task-token consumer parks it on the case) and then a Choice on the event the app sends back
with SendTaskSuccess. Final states become Succeed states with the same name, so the execution's
history reads in the chart's words.
"""

from __future__ import annotations

from typing import Any

from chalicelib.workflows.definition import WorkflowDefinition

SEND_AND_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def choice_state_name(state: str) -> str:
    return f"{state}__on"


def compile_to_asl(definition: WorkflowDefinition, task_queue_url: str) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for name, spec in definition.states.items():
        if spec.type == "final":
            states[name] = {"Type": "Succeed", "Comment": f"final state {name}"}
            continue
        states[name] = {
            "Type": "Task",
            "Comment": f"waiting state {name}: parks its task token on the case",
            "Resource": SEND_AND_WAIT,
            "Parameters": {
                "QueueUrl": task_queue_url,
                "MessageBody": {
                    "caseId.$": "$.caseId",
                    "tenantId.$": "$.tenantId",
                    "state": name,
                    "definitionKey": definition.key,
                    "taskToken.$": "$$.Task.Token",
                },
            },
            "ResultPath": "$.lastEvent",
            "Next": choice_state_name(name),
        }
        states[choice_state_name(name)] = {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.lastEvent.event", "StringEquals": event, "Next": target}
                for event, target in spec.on.items()
            ],
            "Default": "UnknownEvent",
        }
    states["UnknownEvent"] = {
        "Type": "Fail",
        "Error": "UnknownEvent",
        "Cause": "the app sent an event this state does not accept",
    }
    return {
        "Comment": f"{definition.name} ({definition.key}), compiled from the workflow definition",
        "StartAt": definition.initial_state,
        "States": states,
    }
