"""Compile a workflow definition into Amazon States Language.

Every waiting state becomes a `.waitForTaskToken` task that sends its token to the task queue
(the task-token consumer parks it on the case) and then a Choice on the event the app sends back
with SendTaskSuccess. Final states become Succeed states with the same name, so the execution's
history reads in the chart's words.

The execution starts at a resume entry: with no `resumeAt` in its input it goes to the chart's
initial state; with `resumeAt` naming a waiting state it starts waiting there. The reconciler
uses it to give a case whose execution was lost (or ended early) a new one in the case's state.
"""

from __future__ import annotations

from typing import Any

from chalicelib.workflows.definition import WorkflowDefinition

SEND_AND_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


# Ends in `__on` like the chart's own Choice states (readers of the history skip those); chart
# names start with a lower-case letter, so it cannot collide with one of them.
RESUME_STATE = "ResumeAt__on"
RESUME_INPUT = "resumeAt"


def choice_state_name(state: str) -> str:
    return f"{state}__on"


def resume_entry(definition: WorkflowDefinition) -> dict[str, Any]:
    variable = f"$.{RESUME_INPUT}"
    return {
        "Type": "Choice",
        "Comment": f"start at the initial state, or at the waiting state named by {variable}",
        "Choices": [
            {"Not": {"Variable": variable, "IsPresent": True}, "Next": definition.initial_state},
            *(
                {"Variable": variable, "StringEquals": name, "Next": name}
                for name in definition.waiting_states
            ),
        ],
        "Default": "UnknownResumeState",
    }


def compile_to_asl(definition: WorkflowDefinition, task_queue_url: str) -> dict[str, Any]:
    states: dict[str, Any] = {RESUME_STATE: resume_entry(definition)}
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
    states["UnknownResumeState"] = {
        "Type": "Fail",
        "Error": "UnknownResumeState",
        "Cause": "resumeAt names no waiting state of this chart",
    }
    return {
        "Comment": f"{definition.name} ({definition.key}), compiled from the workflow definition",
        "StartAt": RESUME_STATE,
        "States": states,
    }
