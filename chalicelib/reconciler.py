"""The reconciler: bring back in motion whatever was in flight when messages were lost.

Queues and Step Functions executions are where work waits between two committed facts; the
tables hold the facts. After the local stack restores its data (queues and executions cannot be
saved) or after an incident in the cloud (a purged queue, an execution stopped by hand), every
step here reads the facts and re-drives what they say is unfinished. Each step is idempotent
(running it twice, or while the normal consumers run, sends nothing twice that was already
accepted), so it runs at every local start and as `python -m infra.reconcile` in the cloud.

Steps are registered with `@reconcile_step(name)`, in order; later capabilities (timers,
plugin steps, run-time state machines) add their own next to the ones here.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Protocol

from chalicelib.cases.store import CaseStore
from chalicelib.cases.workflow_runtime import WorkflowEngine, sync_execution
from chalicelib.models.case import Case
from chalicelib.models.definitions import PublishedDefinition
from chalicelib.models.webhooks import DeliveryMessage, DeliveryRecord
from chalicelib.observability import logger
from chalicelib.sla.settings import SlaSettingsStore
from chalicelib.sla.timers import TimerQueue, rearm, state_entered_at
from chalicelib.webhooks.store import DeliveryQueue
from chalicelib.workflows.asl import plugin_state_name
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import get_definition

# A replacement execution's name: `<case id>-resumed-<n>` (names are unique per state machine).
RESUMED = "-resumed-"

StepResult = dict[str, int]


class ResumableEngine(WorkflowEngine, Protocol):
    def start_case_execution(
        self,
        state_machine_arn: str,
        case_id: str,
        tenant_id: str,
        *,
        resume_at: str | None = None,
        name: str | None = None,
    ) -> str: ...

    def execution_names(self, state_machine_arn: str) -> dict[str, str]:
        """name -> status of every execution of the state machine."""


@dataclass
class Reconciliation:
    """What the steps read and drive: adapters, passed in so tests can use fakes."""

    store: CaseStore
    engine: ResumableEngine
    arn_for: Callable[[str], str]
    list_active_cases: Callable[[], Iterable[Case]]
    list_unfinished_deliveries: Callable[[], Iterable[DeliveryRecord]]
    delivery_queue: DeliveryQueue
    fetch_pages: Callable[[str, str], object]
    sla_settings: SlaSettingsStore
    sla_timer_queue: TimerQueue
    clock: Callable[[], float] = time.time
    # Every tenant's published definition versions, and what re-creates a version's state
    # machine when it is gone (True: it was).
    list_published_definitions: Callable[[], Iterable[PublishedDefinition]] = tuple
    ensure_state_machine: Callable[[PublishedDefinition], bool] = lambda _: False
    _active: list[Case] | None = field(default=None, repr=False)

    def active_cases(self) -> list[Case]:
        """Read once per run and shared by the steps."""
        if self._active is None:
            self._active = list(self.list_active_cases())
        return self._active


@dataclass(frozen=True)
class ReconcileStep:
    name: str
    run: Callable[[Reconciliation], StepResult]


STEPS: list[ReconcileStep] = []


def reconcile_step(
    name: str,
) -> Callable[[Callable[[Reconciliation], StepResult]], Callable[[Reconciliation], StepResult]]:
    def register(
        run: Callable[[Reconciliation], StepResult],
    ) -> Callable[[Reconciliation], StepResult]:
        if any(step.name == name for step in STEPS):
            raise ValueError(f"reconcile step {name} registered twice")
        STEPS.append(ReconcileStep(name, run))
        return run

    return register


def reconcile(context: Reconciliation, only: Iterable[str] | None = None) -> dict[str, StepResult]:
    """Run every registered step (or those named in `only`); one failing step does not stop
    the others. Returns each step's counts."""
    wanted = set(only) if only is not None else None
    report: dict[str, StepResult] = {}
    for step in STEPS:
        if wanted is not None and step.name not in wanted:
            continue
        try:
            report[step.name] = step.run(context)
        except Exception:
            logger.exception("reconcile step failed", extra={"step": step.name})
            report[step.name] = {"failed": 1}
    logger.info("reconciled", extra={"report": report})
    return report


# -- the steps ----------------------------------------------------------------------------------
@reconcile_step("state_machines")
def ensure_state_machines(context: Reconciliation) -> StepResult:
    """Every published definition version has its state machine (first: the executions step
    starts executions on them)."""
    counts: Counter[str] = Counter()
    for published in context.list_published_definitions():
        try:
            counts["created" if context.ensure_state_machine(published) else "present"] += 1
        except Exception:
            logger.exception(
                "could not create a published definition's state machine",
                extra={"tenant_id": published.tenant_id, "definition": published.definition_id},
            )
            counts["failed"] += 1
    return dict(counts)


@reconcile_step("executions")
def ensure_executions(context: Reconciliation) -> StepResult:
    """Every active case has a running execution: one that is gone (or ended) is replaced by a
    new execution that starts waiting in the state the old one waited in; a running one is sent
    the transitions it has not followed yet."""
    counts: Counter[str] = Counter()
    executions: dict[str, dict[str, str]] = {}
    for case in context.active_cases():
        definition = get_definition(
            case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
        )
        arn = context.arn_for(definition.state_machine_name)
        if arn not in executions:
            executions[arn] = context.engine.execution_names(arn)
        own = [
            name
            for name in executions[arn]
            if name == case.case_id or name.startswith(case.case_id + RESUMED)
        ]
        key = {"tenant_id": case.tenant_id, "case_id": case.case_id}
        try:
            if any(executions[arn][name] == "RUNNING" for name in own):
                counts[f"running_{sync_execution(context.store, context.engine, **key)}"] += 1
                continue
            state = case.execution_state or case.state
            if definition.is_final(state):
                counts["final"] += 1  # the execution was sent on to its end already
                continue
            if not context.store.restart_execution(case.tenant_id, case.case_id, state):
                counts["changed_meanwhile"] += 1
                continue
            entered_at = (
                state_entered_at(context.store, case)
                if state == case.state and definition.plugins_entering(state)
                else None
            )
            context.engine.start_case_execution(
                arn,
                case.case_id,
                case.tenant_id,
                resume_at=resume_point(definition, case, state, entered_at),
                name=f"{case.case_id}{RESUMED}{len(own)}" if own else case.case_id,
            )
            counts["started"] += 1
        except Exception:
            logger.exception("could not reconcile the case's execution", extra=key)
            counts["failed"] += 1
    return dict(counts)


def resume_point(
    definition: WorkflowDefinition, case: Case, state: str, entered_at: str | None = None
) -> str:
    """Where a replacement execution starts, so that no case skips a plugin: for a case still in
    its initial state without every ingest plugin's result (the old execution stopped during its
    screening), at the first missing ingest plugin's step; for a case that entered `state` at
    `entered_at` and has no result of one of the state's plugins since, at that plugin's step
    (a result from an earlier visit of the state does not count); else waiting in `state`.
    Without `entered_at` (the case has moved on from the state the execution waited in: the
    transitions sent next take it on), the state's plugins are not run."""
    steps: list[str] = []
    if state == definition.initial_state:
        steps += [
            plugin_state_name(spec.name, None)
            for spec in definition.plugins_on_ingest()
            if spec.name not in case.vendor_results
        ]
    if entered_at is not None:
        steps += [
            plugin_state_name(spec.name, state)
            for spec in definition.plugins_entering(state)
            if (result := case.vendor_results.get(spec.name)) is None
            or result.started_at < entered_at
        ]
    return steps[0] if steps else state


@reconcile_step("webhook_deliveries")
def requeue_deliveries(context: Reconciliation) -> StepResult:
    """Deliveries left `pending` or `retrying` get their next attempt queued (at its time);
    the consumer ignores a message for an attempt that was made meanwhile."""
    queued = 0
    for record in context.list_unfinished_deliveries():
        not_before = (
            datetime.fromisoformat(record.next_attempt_at).timestamp()
            if record.next_attempt_at
            else context.clock()
        )
        message = DeliveryMessage(
            tenant_id=record.tenant_id,
            delivery_id=record.id,
            round=record.round,
            attempt=record.attempts + 1,
            not_before=not_before,
        )
        context.delivery_queue.schedule(message, max(0.0, not_before - context.clock()))
        queued += 1
    return {"queued": queued}


@reconcile_step("pending_pages")
def refetch_pending_pages(context: Reconciliation) -> StepResult:
    """Remote pages still `pending` are fetched (each page's outcome is written once)."""
    fetched = 0
    for case in context.active_cases():
        if case.pending_pages():
            context.fetch_pages(case.tenant_id, case.case_id)
            fetched += 1
    return {"cases": fetched}


@reconcile_step("sla_timers")
def rearm_sla_timers(context: Reconciliation) -> StepResult:
    """Every open case's SLA timer gets a new message (timer messages wait in a queue, which a
    restore cannot bring back); a deadline already passed breaches as soon as it arrives."""
    counts: Counter[str] = Counter()
    now = datetime.fromtimestamp(context.clock(), UTC)
    for case in context.active_cases():
        try:
            outcome = rearm(
                context.store, context.sla_settings, context.sla_timer_queue,
                case.case_id, case.tenant_id, now,
            )  # fmt: skip
            counts[outcome] += 1
        except Exception:
            logger.exception(
                "could not re-arm the case's SLA timer",
                extra={"tenant_id": case.tenant_id, "case_id": case.case_id},
            )
            counts["failed"] += 1
    return dict(counts)


def default_reconciliation() -> Reconciliation:
    """The deployed adapters, configured from the environment like the Lambda functions."""
    from chalicelib.aws import reconcile_scans
    from chalicelib.config import get_settings, get_webhook_settings
    from chalicelib.dependencies import (
        case_store,
        document_storage,
        plugin_queue,
        sla_settings,
        sla_timer_queue,
        webhook_queue,
        work_queue,
        workflow_engine,
    )
    from chalicelib.documents.fetching import fetch_pending_pages
    from chalicelib.documents.remote_fetch import FetchPolicy, fetch_remote_file
    from chalicelib.workflows.published import ensure_state_machine

    settings = get_settings()
    store = case_store()
    fetch = partial(
        fetch_remote_file, policy=FetchPolicy(allow_loopback=settings.allow_loopback_fetch)
    )
    return Reconciliation(
        store=store,
        engine=workflow_engine(),
        arn_for=settings.state_machine_arn,
        list_active_cases=lambda: reconcile_scans.active_cases(settings.cases_table),
        list_unfinished_deliveries=lambda: reconcile_scans.unfinished_deliveries(
            get_webhook_settings().table
        ),
        delivery_queue=webhook_queue(),
        fetch_pages=lambda tenant_id, case_id: fetch_pending_pages(
            store, document_storage(), tenant_id, case_id, fetch
        ),
        sla_settings=sla_settings(),
        sla_timer_queue=sla_timer_queue(),
        list_published_definitions=lambda: reconcile_scans.published_definitions(
            settings.cases_table
        ),
        ensure_state_machine=lambda published: ensure_state_machine(
            published,
            workflow_engine(),
            role_arn=settings.state_machine_role_arn,
            task_queue_url=work_queue(settings.workflow_task_queue).url,
            plugin_queue_url=plugin_queue().url,
        ),
    )
