"""Asynchronous vendors: an `http` plugin with a `callback` answers later, by calling
`POST /api/v1/external/workflows/{caseId}/hook/{plugin}` signed with the tenant's secret.

The plugin worker sends the request (with `callbackUrl`) and parks the step's task token in a
pending callback instead of answering it; the step waits (its `TimeoutSeconds` bound the whole
wait, its `Retry` asks again). The callback records the vendor's answer as the plugin's result
(`trigger: "callback"`) and answers the token, once: a repeated callback changes nothing.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Protocol

from pydantic import BaseModel

from chalicelib.cases.store import CaseStore
from chalicelib.cases.workflow_runtime import StaleTaskToken
from chalicelib.errors import NotFound
from chalicelib.ids import utc_now
from chalicelib.models.case import PluginResult
from chalicelib.plugins.mapping import map_output
from chalicelib.plugins.results import PluginRun, record_result
from chalicelib.workflows.definition import PluginSpec
from chalicelib.workflows.registry import get_definition


class PendingCallback(BaseModel):
    """A vendor request waiting for its callback: the step's task token and what the result
    will record."""

    tenant_id: str
    case_id: str
    plugin: str
    definition_id: str
    definition_version: int
    task_token: str
    run_key: str
    started_at: str
    input_digest: str
    completed_at: str | None = None


class CallbackStore(Protocol):
    def put_pending(self, callback: PendingCallback) -> None:
        """Park a new request's callback (a retry's replaces the earlier attempt's)."""
        ...

    def get(self, case_id: str, plugin: str) -> PendingCallback | None: ...

    def complete(self, case_id: str, plugin: str, run_key: str, at: str) -> bool:
        """Mark the callback of `run_key` answered; False if it was already, or replaced."""
        ...


class InMemoryCallbackStore:
    def __init__(self) -> None:
        self._items: dict[tuple[str, str], PendingCallback] = {}
        self._lock = threading.Lock()

    def put_pending(self, callback: PendingCallback) -> None:
        with self._lock:
            self._items[(callback.case_id, callback.plugin)] = callback.model_copy()

    def get(self, case_id: str, plugin: str) -> PendingCallback | None:
        with self._lock:
            found = self._items.get((case_id, plugin))
            return found.model_copy() if found else None

    def complete(self, case_id: str, plugin: str, run_key: str, at: str) -> bool:
        with self._lock:
            found = self._items.get((case_id, plugin))
            if found is None or found.run_key != run_key or found.completed_at is not None:
                return False
            found.completed_at = at
            return True


class CallbackTasks(Protocol):
    def plugin_succeeded(self, task_token: str) -> None: ...


def callback_url(api_base_url: str, case_id: str, plugin: str) -> str:
    return f"{api_base_url}/api/v1/external/workflows/{case_id}/hook/{plugin}"


def callback_spec(pending: PendingCallback) -> PluginSpec:
    definition = get_definition(
        pending.definition_id, pending.definition_version, tenant_id=pending.tenant_id
    )
    spec = definition.plugin(pending.plugin)
    if spec is None or spec.callback is None:
        raise NotFound("no such callback")
    return spec


def complete_callback(
    pending: PendingCallback,
    answer: dict[str, Any],
    *,
    store: CaseStore,
    callbacks: CallbackStore,
    tasks: CallbackTasks,
    provider_version: str | None = None,
) -> PluginResult | None:
    """Record the vendor's answer for `pending` and let its step go on; a repeated callback
    (or one the result of which is recorded already) records nothing again. The plugin's
    result, or None when the case is gone."""
    spec = callback_spec(pending)
    # Recorded once per run key: a repeated callback gets the result recorded the first time.
    latest = record_result(
        store,
        tenant_id=pending.tenant_id,
        case_id=pending.case_id,
        spec=spec,
        run=PluginRun(
            status="succeeded",
            started_at=pending.started_at,
            finished_at=utc_now(),
            input_digest=pending.input_digest,
            provider_version=provider_version,
            data=map_output(spec, answer),
            run_key=pending.run_key,
        ),
        trigger="callback",
    )
    if latest is None:
        return None  # the case is gone
    if pending.completed_at is None:
        # Stale: the step timed out meanwhile (its Retry asked again), or was answered.
        with contextlib.suppress(StaleTaskToken):
            tasks.plugin_succeeded(pending.task_token)
        callbacks.complete(pending.case_id, pending.plugin, pending.run_key, utc_now())
    return latest
