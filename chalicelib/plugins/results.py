"""Recording a plugin's result on the case: system-owned, versioned per plugin, audited and
published as `workflow.context.changed`; a failed run does what the plugin's `onError` says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from chalicelib.cases.store import CaseStore
from chalicelib.decisions.transitions import audit_record
from chalicelib.errors import VersionConflict
from chalicelib.ids import utc_now
from chalicelib.models.case import Actor, AuditRecord, Case, PluginResult
from chalicelib.workflows.definition import PluginSpec

PLUGIN_WORKER = Actor(type="system", id="plugin-worker")
# The flag a case gets when a plugin with `onError: flag` failed after its retries.
PLUGIN_FAILED_FLAG = "plugin_failed"
MAX_WRITE_ATTEMPTS = 5

Trigger = Literal["ingest", "state", "rerun", "callback", "change", "resubmission"]


@dataclass(frozen=True)
class PluginRun:
    """What one run of a provider produced (before it is recorded)."""

    status: Literal["succeeded", "failed"]
    started_at: str
    finished_at: str
    input_digest: str
    provider_version: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    run_key: str | None = None
    # False when the input itself is unusable: another attempt would fail the same way.
    retryable: bool = True


def record_result(
    store: CaseStore,
    *,
    tenant_id: str,
    case_id: str,
    spec: PluginSpec,
    run: PluginRun,
    trigger: Trigger,
    actor: Actor = PLUGIN_WORKER,
    request_id: str | None = None,
    once_per_case: bool = False,
) -> PluginResult | None:
    """Write `run` as the plugin's next result version (None: the case is gone). A failed run
    of the workflow also flags the case (`onError: flag`) or fails it (`onError: fail`) in the
    same write; a reviewer's failed re-run is only recorded (the reviewer sees it). A run
    with a `run_key` is recorded once, however many deliveries race to record it; with
    `once_per_case`, the plugin's first result is its only one."""
    for _ in range(MAX_WRITE_ATTEMPTS):
        case = store.get_case(tenant_id, case_id)
        if case is None:
            return None
        latest = case.vendor_results.get(spec.name)
        same_run = run.run_key is not None and latest is not None and latest.run_key == run.run_key
        if latest is not None and (once_per_case or same_run):
            return latest  # recorded already (by a concurrent delivery, or another execution)
        updated, result, audits = apply_result(
            case, spec, run, trigger=trigger, actor=actor, request_id=request_id
        )
        try:
            store.update_case(updated, expected_version=case.version, audit=audits)
            return result
        except VersionConflict:
            continue
    raise VersionConflict("the case kept changing while a plugin result was being recorded")


def apply_result(
    case: Case,
    spec: PluginSpec,
    run: PluginRun,
    *,
    trigger: Trigger,
    actor: Actor,
    request_id: str | None,
) -> tuple[Case, PluginResult, list[AuditRecord]]:
    """The case with `run` recorded, the result, and the audit records of the write (pure)."""
    now = utc_now()
    previous = case.vendor_results.get(spec.name)
    result = PluginResult(
        plugin=spec.name,
        provider=spec.provider,
        provider_version=run.provider_version,
        version=previous.version + 1 if previous else 1,
        status=run.status,
        trigger=trigger,
        started_at=run.started_at,
        finished_at=run.finished_at,
        input_digest=run.input_digest,
        data=run.data,
        error=run.error,
        run_key=run.run_key,
    )
    updated = case.model_copy(deep=True)
    updated.vendor_results[spec.name] = result
    updated.updated_at = now
    audits = [
        audit_record(
            updated,
            "workflow.context.changed",
            actor=actor,
            at=now,
            request_id=request_id,
            details={
                "plugin": spec.name,
                "provider": spec.provider,
                "providerVersion": run.provider_version,
                "status": run.status,
                "resultVersion": result.version,
                "trigger": trigger,
                "inputDigest": run.input_digest,
                "hits": len(result.hits) if "hits" in run.data else None,
                "error": run.error,
                "entityId": case.entity_id,
                "workflowDefinitionId": case.workflow_definition_id,
            },
        )
    ]
    if run.status == "failed" and case.status == "active" and trigger != "rerun":
        audits += _on_error(updated, spec, run, at=now, actor=actor, request_id=request_id)
    return updated, result, audits


def _on_error(
    case: Case,
    spec: PluginSpec,
    run: PluginRun,
    *,
    at: str,
    actor: Actor,
    request_id: str | None,
) -> list[AuditRecord]:
    details = {"plugin": spec.name, "error": run.error}
    if spec.on_error == "flag" and PLUGIN_FAILED_FLAG not in case.flags:
        before = list(case.flags)
        case.flags.append(PLUGIN_FAILED_FLAG)
        return [
            audit_record(
                case,
                "case.flagged",
                actor=actor,
                at=at,
                request_id=request_id,
                before={"flags": before},
                after={"flags": list(case.flags)},
                details={"flag": PLUGIN_FAILED_FLAG, **details},
            )
        ]
    if spec.on_error == "fail":
        case.status = "failed"
        case.resolved_at = at
        return [
            audit_record(
                case,
                "case.failed",
                actor=actor,
                at=at,
                request_id=request_id,
                before={"status": "active"},
                after={"status": "failed"},
                details={
                    **details,
                    "state": case.state,
                    "entityId": case.entity_id,
                    "workflowDefinitionId": case.workflow_definition_id,
                },
            )
        ]
    return []
