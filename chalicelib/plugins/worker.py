"""The plugin worker: runs a plugin's provider for a case and records the result.

Messages come from the plugin queue: `run` from the execution's plugin step (with its task
token: the token goes back as success once the result is recorded, or as a failure so the
step's `Retry` decides on another attempt), `failed` from the step's `Catch` once the retries
are spent (the failure is recorded and `onError` applied), `rerun` from a reviewer (outside
the execution), and `case.context_updated` domain events from the bus (a run changed the
entity or resubmitted it: its ingest plugins run again). Attempts of a step that fail are not
recorded: only the step's outcome is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from chalicelib.cases.store import CaseStore
from chalicelib.cases.workflow_runtime import StaleTaskToken
from chalicelib.ids import utc_now
from chalicelib.models.case import Actor, Case
from chalicelib.models.events import DomainEvent
from chalicelib.observability import logger, metrics
from chalicelib.plugins.callbacks import CallbackStore, PendingCallback, callback_url
from chalicelib.plugins.mapping import input_digest, map_input, map_output
from chalicelib.plugins.providers import Provider, ProviderError, ProviderInputError
from chalicelib.plugins.results import PLUGIN_WORKER, PluginRun, Trigger, record_result
from chalicelib.workflows.asl import PLUGIN_ATTEMPT_FAILED, PLUGIN_INPUT_ERROR
from chalicelib.workflows.definition import PluginSpec
from chalicelib.workflows.registry import get_definition

MAX_ERROR_LENGTH = 500


class PluginTasks(Protocol):
    def plugin_succeeded(self, task_token: str) -> None: ...

    def plugin_failed(self, task_token: str, error: str, cause: str) -> None: ...


def handle_message(
    body: dict[str, Any],
    *,
    store: CaseStore,
    providers: Mapping[str, Provider],
    tasks: PluginTasks,
    callbacks: CallbackStore | None = None,
    api_base_url: str = "",
) -> None:
    if "detail" in body:  # a domain event, from the bus's plugin rule
        rerun_after_update(DomainEvent.model_validate(body["detail"]), store, providers)
        return
    kind = body.get("kind", "run")
    tenant_id, case_id, plugin = body["tenantId"], body["caseId"], body["plugin"]
    token = body.get("taskToken")
    case = store.get_case(tenant_id, case_id)
    spec = (
        get_definition(
            case.workflow_definition_id,
            case.workflow_definition_version,
            tenant_id=case.tenant_id,
        ).plugin(plugin)
        if case is not None
        else None
    )
    if case is None or spec is None:
        logger.warning("plugin message for no case or plugin", extra={"case_id": case_id})
        if token:
            _answer_failure(tasks, token, "PluginUnknown", f"no case or plugin `{plugin}`")
        return
    trigger: Trigger = body.get("trigger", "ingest")
    if kind == "failed":
        error = body.get("error") or {}
        now = utc_now()
        message = f"{error.get('Error', 'Error')}: {error.get('Cause', '')}".strip(": ")
        run = PluginRun(
            status="failed",
            started_at=now,
            finished_at=now,
            input_digest=input_digest(map_input(spec, case)),
            error=message[:MAX_ERROR_LENGTH],
        )
        latest = case.vendor_results.get(spec.name)
        # A redelivered notice must not record the failure twice.
        if latest is None or latest.run_key != _run_key(token):
            record_result(
                store,
                tenant_id=tenant_id,
                case_id=case_id,
                spec=spec,
                run=replace(run, run_key=_run_key(token)),
                trigger=trigger,
            )
            metrics.add_metric(name="PluginFailed", unit="Count", value=1)
        if token:
            _answer_success(tasks, str(token))
        return
    if kind == "rerun":
        actor = Actor.model_validate(body["actor"])
        run = execute(spec, case, providers)
        record_result(
            store,
            tenant_id=tenant_id,
            case_id=case_id,
            spec=spec,
            run=run,
            trigger="rerun",
            actor=actor,
            request_id=body.get("requestId"),
        )
        return
    run_key = _run_key(token)
    latest = case.vendor_results.get(spec.name)
    if spec.callback is not None and callbacks is not None and token:
        _request_callback(spec, case, str(token), providers, tasks, callbacks, api_base_url)
        return
    # An ingest plugin runs once per case: a second execution's step (a lost execution's
    # message, redelivered after a local restart, racing the reconciler's replacement) answers
    # with the result there is.
    once = trigger == "ingest"
    if latest is None or (latest.run_key != run_key and not once):
        run = execute(spec, case, providers)
        if run.status == "failed":
            _fail_attempt(tasks, str(token), run)
            return
        record_result(
            store,
            tenant_id=tenant_id,
            case_id=case_id,
            spec=spec,
            run=replace(run, run_key=run_key),
            trigger=trigger,
            once_per_case=once,
        )
    _answer_success(tasks, str(token))


def _request_callback(
    spec: PluginSpec,
    case: Case,
    token: str,
    providers: Mapping[str, Provider],
    tasks: PluginTasks,
    callbacks: CallbackStore,
    api_base_url: str,
) -> None:
    """An asynchronous vendor's step: park the token in a pending callback, send the request
    (with `callbackUrl`) and leave the step waiting; the callback answers it (callbacks.py).
    Parked first, because a fast vendor may call back before it has answered the request.
    A redelivered message whose callback is parked sends nothing again: if the first delivery
    stopped before sending, the step's `TimeoutSeconds` and `Retry` ask again, as for a vendor
    that never calls back."""
    run_key = _run_key(token) or ""
    pending = callbacks.get(case.case_id, spec.name)
    if pending is not None and pending.run_key == run_key:
        return
    callbacks.put_pending(
        PendingCallback(
            tenant_id=case.tenant_id,
            case_id=case.case_id,
            plugin=spec.name,
            definition_id=case.workflow_definition_id,
            definition_version=case.workflow_definition_version,
            task_token=token,
            run_key=run_key,
            started_at=utc_now(),
            input_digest=input_digest(map_input(spec, case)),
        )
    )
    url = callback_url(api_base_url, case.case_id, spec.name)
    run = execute(spec, case, providers, extra_input={"callbackUrl": url})
    if run.status == "failed":
        _fail_attempt(tasks, token, run)


def rerun_after_update(
    event: DomainEvent, store: CaseStore, providers: Mapping[str, Provider]
) -> None:
    """After a run updated the case (`case.context_updated`): run again each ingest plugin
    whose input changed (the entity, its UBOs or directors, as its input mapping reads them),
    and every one on a resubmission. Recorded once per event, however often it is delivered."""
    case = store.get_case(event.tenant_id, event.case_id)
    if case is None or case.status != "active":
        return
    definition = get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
    )
    resubmission = bool(event.data.get("resubmission"))
    run_key = f"event:{event.event_id}"
    for spec in definition.plugins_on_ingest():
        latest = case.vendor_results.get(spec.name)
        if latest is not None and latest.run_key == run_key:
            continue  # this event's run is recorded already
        changed = latest is None or latest.input_digest != input_digest(map_input(spec, case))
        if not (resubmission or changed):
            continue
        run = execute(spec, case, providers)
        recorded = record_result(
            store,
            tenant_id=case.tenant_id,
            case_id=case.case_id,
            spec=spec,
            run=replace(run, run_key=run_key),
            trigger="resubmission" if resubmission else "change",
        )
        metrics.add_metric(name="PluginRerunAfterUpdate", unit="Count", value=1)
        case = store.get_case(case.tenant_id, case.case_id) or case
        if recorded is None:
            return


def execute(
    spec: PluginSpec,
    case: Case,
    providers: Mapping[str, Provider],
    *,
    extra_input: Mapping[str, Any] | None = None,
) -> PluginRun:
    """Run the provider over the mapped input (plus `extra_input`, outside its digest): a
    succeeded run, or a failed one naming why."""
    started = utc_now()
    payload = map_input(spec, case)
    digest = input_digest(payload)
    try:
        answer = providers[spec.provider].run(
            {**payload, **(extra_input or {})}, spec, tenant_id=case.tenant_id
        )
        data = map_output(spec, answer.data)
    except ProviderInputError as exc:
        return _failed(started, digest, f"input: {exc}", retryable=False)
    except ProviderError as exc:
        return _failed(started, digest, str(exc))
    except Exception as exc:  # a provider's defect must not leave the step waiting
        logger.exception("plugin provider failed", extra={"plugin": spec.name})
        return _failed(started, digest, f"{type(exc).__name__}")
    return PluginRun(
        status="succeeded",
        started_at=started,
        finished_at=utc_now(),
        input_digest=digest,
        provider_version=answer.version,
        data=data,
    )


def _failed(started: str, digest: str, error: str, *, retryable: bool = True) -> PluginRun:
    return PluginRun(
        status="failed",
        started_at=started,
        finished_at=utc_now(),
        input_digest=digest,
        error=error[:MAX_ERROR_LENGTH],
        retryable=retryable,
    )


def _run_key(token: Any) -> str | None:
    return hashlib.sha256(str(token).encode()).hexdigest()[:32] if token else None


def _answer_success(tasks: PluginTasks, token: str) -> None:
    try:
        tasks.plugin_succeeded(token)
    except StaleTaskToken:
        logger.info("plugin task token already answered")


def _fail_attempt(tasks: PluginTasks, token: str, run: PluginRun) -> None:
    """A failed attempt of a step is not recorded: its token fails, and the step's `Retry`
    decides (an unusable input is not retried)."""
    metrics.add_metric(name="PluginAttemptFailed", unit="Count", value=1)
    error = PLUGIN_ATTEMPT_FAILED if run.retryable else PLUGIN_INPUT_ERROR
    _answer_failure(tasks, token, error, run.error or "")


def _answer_failure(tasks: PluginTasks, token: str, error: str, cause: str) -> None:
    try:
        tasks.plugin_failed(token, error, cause[:MAX_ERROR_LENGTH])
    except StaleTaskToken:
        logger.info("plugin task token already answered")


__all__ = ["PLUGIN_WORKER", "PluginTasks", "execute", "handle_message"]
