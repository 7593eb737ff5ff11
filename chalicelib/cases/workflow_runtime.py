"""The case's Step Functions execution: started once per case; its waiting states park their
task tokens on the case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from chalicelib.cases.store import CaseStore
from chalicelib.errors import VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.limits import QUEUE_MAX_RECEIVES
from chalicelib.models.case import Actor, AuditRecord, InflightTransition
from chalicelib.observability import logger, metrics
from chalicelib.workflows.registry import get_definition

ENGINE = Actor(type="system", id="workflow-engine")


# The flag a case gets when its execution could not be moved on after every retry.
WORKFLOW_SYNC_FAILED = "workflow_sync_failed"
# Deliveries a sync consumer gets before its message goes to the DLQ (the queues' redrive policy).
MAX_RECEIVES = QUEUE_MAX_RECEIVES
MAX_SYNC_STEPS = 50
MAX_FLAG_ATTEMPTS = 5

# How long a sender may take between claiming a transition and clearing it before a retry may
# take over (shorter than the sync queue's visibility timeout, so a retry finds it expired:
# tests/unit/test_limits.py).
SEND_LEASE_SECONDS = 20

SyncOutcome = Literal["in_sync", "waiting_for_token", "in_flight", "missing"]
# What became of a task token the execution sent: kept on the case; already claimed and still
# being sent (a redelivered message whose send failed: the sync must take it over); or refused
# (a state the execution has left, or a token already delivered).
ParkOutcome = Literal["parked", "in_flight", "refused"]


class StaleTaskToken(Exception):
    """Step Functions no longer waits on this token (used already, timed out, execution over)."""


class WorkflowEngine(Protocol):
    def start_case_execution(self, state_machine_arn: str, case_id: str, tenant_id: str) -> str: ...

    def send_event(self, task_token: str, event: str) -> None:
        """SendTaskSuccess(output={"event": event}); StaleTaskToken if the token is used up."""


def start_execution_for_case(
    engine: WorkflowEngine,
    arn_for: Callable[[str], str],
    *,
    tenant_id: str,
    case_id: str,
    workflow_definition_id: str,
    workflow_definition_version: int,
) -> str:
    definition = get_definition(
        workflow_definition_id, workflow_definition_version, tenant_id=tenant_id
    )
    return engine.start_case_execution(arn_for(definition.state_machine_name), case_id, tenant_id)


def park_task_token(
    store: CaseStore, *, tenant_id: str, case_id: str, state: str, task_token: str
) -> ParkOutcome:
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=tenant_id,
        case_id=case_id,
        action="workflow.waiting",
        at=utc_now(),
        actor=ENGINE,
        details={"state": state},
    )
    if store.park_task_token(tenant_id, case_id, state, task_token, audit):
        return "parked"
    # The claim retires the token before the send: a redelivery of its message after a failed
    # send must still lead to a (re)send, or the execution would wait forever.
    case = store.get_case(tenant_id, case_id)
    inflight = case.execution_inflight if case else None
    if inflight is not None and inflight.token == task_token:
        return "in_flight"
    logger.warning(
        "task token for a state the case has left",
        extra={"tenant": tenant_id, "case_id": case_id, "state": state},
    )
    return "refused"


def sync_execution(
    store: CaseStore, engine: WorkflowEngine, *, tenant_id: str, case_id: str
) -> SyncOutcome:
    """Move the case's execution through every committed transition it has not followed yet.

    Transitions go in commit order, each sent once: a sender first *claims* the next one with a
    conditional write (its token parked for the from-state, nothing else in flight), which
    gives it a lease; only the lease holder sends, then clears the claim. If the send fails the
    holder releases the lease and raises, and a retry takes the claim over (conditionally, so
    of several retriers one sends); a holder that died is taken over once its lease expires.
    A re-send of a token Step Functions already accepted comes back as StaleTaskToken: that
    transition is delivered. When the next token is not parked yet (the execution parks it
    asynchronously) this returns `waiting_for_token`, and the parker runs it again once parked.
    Step Functions errors propagate: callers retry (queue) or defer to the queue (request path).
    """
    for _ in range(MAX_SYNC_STEPS):
        case = store.get_case(tenant_id, case_id)
        if case is None:
            return "missing"
        inflight = case.execution_inflight
        if inflight is not None:
            if inflight.lease_until > utc_now():
                return "in_flight"  # another sender holds it; it re-reads when done
            lease = _lease_end()
            if store.lease_transition(
                tenant_id, case_id, inflight.seq, inflight.lease_until, lease
            ):
                taken = inflight.model_copy(update={"lease_until": lease})
                _send(store, engine, tenant_id=tenant_id, case_id=case_id, inflight=taken)
            continue
        pending = case.undelivered_transitions()
        if not pending:
            return "in_sync"
        step = pending[0]
        token = case.task_token
        if token is None or case.task_token_state != step.from_state:
            return "waiting_for_token"
        lease = _lease_end()
        if store.claim_transition(tenant_id, case_id, step, token, lease):
            claimed = InflightTransition(**step.model_dump(), token=token, lease_until=lease)
            _send(store, engine, tenant_id=tenant_id, case_id=case_id, inflight=claimed)
        # Won or lost, read again.
    return "waiting_for_token"


def _lease_end() -> str:
    end = datetime.now(UTC) + timedelta(seconds=SEND_LEASE_SECONDS)
    return end.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _send(
    store: CaseStore,
    engine: WorkflowEngine,
    *,
    tenant_id: str,
    case_id: str,
    inflight: InflightTransition,
) -> None:
    try:
        engine.send_event(inflight.token, inflight.event)
        metrics.add_metric(name="WorkflowEventsSent", unit="Count", value=1)
    except StaleTaskToken:
        # Used tokens are never parked again, so a stale in-flight token was accepted before
        # (by a holder that died before clearing its claim): the transition is delivered.
        logger.info(
            "task token already used",
            extra={"case_id": case_id, "seq": inflight.seq, "event": inflight.event},
        )
    except Exception:
        # Let the next retry take over at once instead of waiting for the lease to expire.
        store.lease_transition(tenant_id, case_id, inflight.seq, inflight.lease_until, "")
        raise
    store.finish_transition(tenant_id, case_id, inflight.seq)


def sync_after_commit(
    store: CaseStore, engine: WorkflowEngine, *, tenant_id: str, case_id: str
) -> SyncOutcome | None:
    """The request path's best effort right after a commit. A failure never fails the request:
    the committed `case.state_changed` event reaches the workflow-sync queue, which retries."""
    try:
        return sync_execution(store, engine, tenant_id=tenant_id, case_id=case_id)
    except Exception:
        logger.warning(
            "workflow sync deferred to the queue", extra={"case_id": case_id}, exc_info=True
        )
        metrics.add_metric(name="WorkflowSyncDeferred", unit="Count", value=1)
        return None


def set_case_flag(
    store: CaseStore,
    *,
    tenant_id: str,
    case_id: str,
    flag: str,
    raised: bool,
    details: dict[str, Any] | None = None,
) -> bool:
    """Raise or clear a flag on the case (a versioned write with its audit record, so the inbox,
    the case view and the webhooks all see it). False if nothing had to change."""
    for _ in range(MAX_FLAG_ATTEMPTS):
        case = store.get_case(tenant_id, case_id)
        if case is None or (flag in case.flags) == raised:
            return False
        now = utc_now()
        flags = [*case.flags, flag] if raised else [f for f in case.flags if f != flag]
        audit = AuditRecord(
            event_id=new_id("evt"),
            tenant_id=tenant_id,
            case_id=case_id,
            action="case.flagged" if raised else "case.unflagged",
            at=now,
            actor=ENGINE,
            before={"flags": case.flags},
            after={"flags": flags},
            details={"flag": flag, **(details or {})},
        )
        try:
            store.update_case(
                case.model_copy(update={"flags": flags, "updated_at": now}),
                expected_version=case.version,
                audit=audit,
            )
            return True
        except VersionConflict:
            continue
    raise VersionConflict("the case kept changing while its flag was being set")
