"""Compile a workflow definition into Amazon States Language.

Every waiting state becomes a `.waitForTaskToken` task that sends its token to the task queue
(the task-token consumer parks it on the case) and then a Choice on the event the app sends back
with SendTaskSuccess. Final states become Succeed states with the same name, so the execution's
history reads in the chart's words.

Each plugin of the definition becomes a `.waitForTaskToken` task that sends its token to the
plugin queue (the plugin worker runs the provider and sends the token back), with `Retry` for
its retries and a `Catch` that tells the worker the plugin failed for good (`onError`): ingest
plugins run before the initial state, a state's plugins each time the case enters it.

The execution starts at a resume entry: with no `resumeAt` in its input it goes to the chart's
initial state; with `resumeAt` naming a waiting state it starts waiting there, and with
`resumeAt` naming a plugin step it runs the plugins from there. The reconciler uses it to give a
case whose execution was lost (or ended early) a new one in the case's state.
"""

from __future__ import annotations

from typing import Any

from chalicelib.workflows.definition import PluginSpec, WorkflowDefinition

SEND_AND_WAIT = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"
# Beyond the vendor call's own timeout: the worker's queueing and the write of the result.
PLUGIN_TIMEOUT_SLACK_SECONDS = 30
PLUGIN_RETRY_BACKOFF = 2.0
PLUGIN_FAILED_STATE = "PluginFailed"


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
                for name in [*definition.waiting_states, *resumable_plugin_steps(definition)]
            ),
        ],
        "Default": "UnknownResumeState",
    }


# The errors the plugin worker fails a plugin step's token with (chalicelib/plugins/worker.py).
PLUGIN_ATTEMPT_FAILED = "PluginAttemptFailed"
PLUGIN_INPUT_ERROR = "PluginInputError"


def resumable_plugin_steps(definition: WorkflowDefinition) -> list[str]:
    """The plugin steps an execution can also resume at, the ingest plugins' and each waiting
    state's: the reconciler's replacement for an execution stopped before a plugin's result was
    recorded starts at that plugin (`reconciler.resume_point`)."""
    return [plugin_state_name(p.name, None) for p in definition.plugins_on_ingest()] + [
        plugin_state_name(p.name, state)
        for state in definition.waiting_states
        for p in definition.plugins_entering(state)
    ]


def plugin_state_name(plugin: str, state: str | None) -> str:
    """`sanctions__plugin` (on ingest) or `manual_review__sanctions__plugin` (entering a state)."""
    return f"{state}__{plugin}__plugin" if state else f"{plugin}__plugin"


def plugin_states(
    definition: WorkflowDefinition,
    plugins: list[PluginSpec],
    *,
    state: str | None,
    then: str,
    plugin_queue_url: str,
) -> tuple[str, dict[str, Any]]:
    """The states running `plugins` one after the other, then going to `then`: the name of
    the first (`then` itself without plugins) and the states."""
    states: dict[str, Any] = {}
    entry = then
    for plugin in reversed(plugins):
        name = plugin_state_name(plugin.name, state)
        failed = f"{name}__failed"
        message = {
            "caseId.$": "$.caseId",
            "tenantId.$": "$.tenantId",
            "plugin": plugin.name,
            "definitionKey": definition.key,
            "trigger": "state" if state else "ingest",
        }
        task: dict[str, Any] = {
            "Type": "Task",
            "Comment": f"plugin {plugin.name} ({plugin.provider}), run by the plugin worker",
            "Resource": SEND_AND_WAIT,
            "Parameters": {
                "QueueUrl": plugin_queue_url,
                "MessageBody": {**message, "kind": "run", "taskToken.$": "$$.Task.Token"},
            },
            "TimeoutSeconds": plugin.timeout_seconds + PLUGIN_TIMEOUT_SLACK_SECONDS,
            "ResultPath": None,
            "Catch": [
                {"ErrorEquals": ["States.ALL"], "ResultPath": "$.pluginError", "Next": failed}
            ],
            "Next": entry,
        }
        if plugin.retries:
            task["Retry"] = [
                # An unusable input fails every attempt alike: straight to the Catch.
                {"ErrorEquals": [PLUGIN_INPUT_ERROR], "MaxAttempts": 0},
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": plugin.retry_interval_seconds,
                    "MaxAttempts": plugin.retries,
                    "BackoffRate": PLUGIN_RETRY_BACKOFF,
                },
            ]
        states[name] = task
        # Waits for the worker to record the failure (and flag the case), so the case is
        # flagged before the execution waits for review.
        states[failed] = {
            "Type": "Task",
            "Comment": f"plugin {plugin.name} failed after its retries: onError {plugin.on_error}",
            "Resource": SEND_AND_WAIT,
            "Parameters": {
                "QueueUrl": plugin_queue_url,
                "MessageBody": {
                    **message,
                    "kind": "failed",
                    "error.$": "$.pluginError",
                    "taskToken.$": "$$.Task.Token",
                },
            },
            "TimeoutSeconds": PLUGIN_TIMEOUT_SLACK_SECONDS * 10,
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 3}],
            "ResultPath": None,
            "Next": PLUGIN_FAILED_STATE if plugin.on_error == "fail" else entry,
        }
        entry = name
    return entry, states


def compile_to_asl(
    definition: WorkflowDefinition, task_queue_url: str, plugin_queue_url: str = ""
) -> dict[str, Any]:
    states: dict[str, Any] = {RESUME_STATE: resume_entry(definition)}
    entries: dict[str, str] = {}
    for name in definition.waiting_states:
        entries[name], more = plugin_states(
            definition,
            definition.plugins_entering(name),
            state=name,
            then=name,
            plugin_queue_url=plugin_queue_url,
        )
        states.update(more)
    start, more = plugin_states(
        definition,
        definition.plugins_on_ingest(),
        state=None,
        then=entries.get(definition.initial_state, definition.initial_state),
        plugin_queue_url=plugin_queue_url,
    )
    states.update(more)
    states[RESUME_STATE]["Choices"][0]["Next"] = start
    if definition.plugins:
        states[PLUGIN_FAILED_STATE] = {
            "Type": "Fail",
            "Error": "PluginFailed",
            "Cause": "a plugin with onError fail failed after its retries: the case is failed",
        }
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
                {
                    "Variable": "$.lastEvent.event",
                    "StringEquals": event,
                    "Next": entries.get(target, target),
                }
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
