"""Fan-out, attempts, retries, dead letters and redelivery.

Flow (docs/webhooks.md has the picture): a domain event arrives from the webhook queue ->
`fan_out` creates one delivery per interested subscription (id derived from event id +
subscription id, created only once) and makes attempt 1 at once -> a failed attempt that may be
retried queues a `DeliveryMessage` for the next attempt with a not-before time -> `handle_message`
re-queues a message that arrives early (SQS delays at most 15 min) and otherwise makes the
attempt -> retries exhausted or a non-retryable answer: the delivery is `failed` and the message
goes to the DLQ -> `redeliver` starts a new round of the same delivery (same webhook-id).

At-least-once: every state change of a delivery is conditional on (round, attempts), so a
duplicated queue message cannot start a second retry chain, and a copy of an event that finds
its first attempt under way comes back later instead of sending too (`DeliveryInProgress`); at
worst (an answer lost, two copies of one retry at once) a receiver sees the same webhook-id
twice, which is what the id is for. A delivery is never left waiting with nothing
queued: the next attempt is queued after the record is saved, and if that fails the message
being handled fails too, comes back, and queues it then (`_requeue`); a redelivery that cannot
be queued puts the record back as it was.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from chalicelib.errors import Conflict, NotFound, ServiceUnavailable
from chalicelib.ids import stable_id, utc_now
from chalicelib.limits import SQS_MAX_DELAY_SECONDS, WEBHOOK_ATTEMPT_TIMEOUT_SECONDS
from chalicelib.models.case import Case
from chalicelib.models.events import DomainEvent, webhook_type
from chalicelib.models.webhooks import (
    IN_FLIGHT_STATUSES,
    DeliveryAttempt,
    DeliveryMessage,
    DeliveryRecord,
)
from chalicelib.observability import logger, metrics
from chalicelib.webhooks.payloads import build_body, serialize
from chalicelib.webhooks.retry import RETRYABLE_STATUSES, next_delay
from chalicelib.webhooks.sender import SendResult, WebhookSender
from chalicelib.webhooks.signing import signed_headers
from chalicelib.webhooks.store import DeliveryQueue, WebhookStore
from chalicelib.webhooks.subscriptions import (
    DefaultSubscription,
    Target,
    disable_subscription,
    signing_secrets,
    targets_for,
)
from chalicelib.webhooks.tenant_secret import tenant_signing_secret

EARLY_TOLERANCE_SECONDS = 0.5  # SQS delays are whole seconds; do not re-queue for a rounding


class DeliveryInProgress(Exception):
    """Another copy of this event's message is making the delivery's first attempt now: this
    copy fails, comes back after the queue's visibility timeout, and finds the outcome."""


class CaseReader(Protocol):
    def get_case(self, tenant_id: str, case_id: str) -> Case | None: ...


def delivery_id(event_id: str, subscription_id: str) -> str:
    """The delivery's id and its `webhook-id`: the same event to the same subscription always
    gets the same id, whether it is the first attempt, a retry, a replay of the queue message or
    an admin's redelivery."""
    return stable_id("msg", event_id, subscription_id)


@dataclass
class WebhookDispatcher:
    store: WebhookStore
    queue: DeliveryQueue
    sender: WebhookSender
    cases: CaseReader
    default: DefaultSubscription
    delays: Sequence[float]
    timeout_seconds: float = WEBHOOK_ATTEMPT_TIMEOUT_SECONDS
    clock: Callable[[], float] = time.time
    rng: Callable[[], float] = random.random
    # Monotonic deadline of the current invocation: an attempt that might not finish before it is
    # queued instead (a Lambda must not be cut off mid-batch).
    deadline: float | None = None
    # Mints a collection link for the revision webhook of the tenant's own receivers (the
    # tenant's subscriptions and a run's own): (case, round number) -> {url, expiresAt} or None.
    collection_link: Callable[[Case | None, Any], dict[str, str] | None] | None = None
    _now_iso: Callable[[], str] = field(default=utc_now, repr=False)

    # -- fan-out ------------------------------------------------------------------------------
    def fan_out(self, event: DomainEvent) -> list[DeliveryRecord]:
        kind = webhook_type(event.type)
        if kind is None:
            return []
        case = self.cases.get_case(event.tenant_id, event.case_id)
        targets = targets_for(
            event.type, kind, self.store.list_subscriptions(event.tenant_id), self.default, case
        )
        body = build_body(event, case)
        payload = serialize(body)
        records = []
        for target in targets:
            record = self._open_delivery(
                event, kind, target, self._payload_for(event, body, target, case, payload)
            )
            if record is not None:
                records.append(self._attempt(record, 1))
        return records

    def _payload_for(
        self,
        event: DomainEvent,
        body: dict[str, Any],
        target: Target,
        case: Case | None,
        payload: str,
    ) -> str:
        """The body for one target: a revision's webhook to the tenant's own receivers carries
        a collection link of its own; the operator's default subscription never gets one."""
        if (
            self.collection_link is None
            or target.kind == "default"
            or event.data.get("decision") != "revision"
            or "collectionRound" not in event.data
        ):
            return payload
        link = self.collection_link(case, event.data["collectionRound"])
        if link is None:
            return payload
        return serialize({**body, "data": {**body["data"], "collectionLink": link}})

    def _open_delivery(
        self, event: DomainEvent, kind: str, target: Target, payload: str
    ) -> DeliveryRecord | None:
        now = self._now_iso()
        record = DeliveryRecord(
            id=delivery_id(event.event_id, target.subscription_id),
            tenant_id=event.tenant_id,
            subscription_id=target.subscription_id,
            subscription_kind=target.kind,  # type: ignore[arg-type]
            url=target.url,
            event_id=event.event_id,
            event_type=event.type,
            webhook_type=kind,
            case_id=event.case_id,
            payload=payload,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        if self.store.create_delivery(record):
            return record
        # The event was fanned out before (the queue message came back): carry on only with a
        # delivery that was created but never attempted (a crash in between), or queue again
        # the retry of a first attempt whose queuing failed.
        stored = self.store.get_delivery(event.tenant_id, record.id)
        if stored is not None and stored.status == "pending" and stored.attempts == 0:
            if _seconds_between(stored.updated_at, now) < 2 * self.timeout_seconds:
                # Too recent for a crash: another copy may be waiting on the receiver now.
                raise DeliveryInProgress(stored.id)
            return stored
        if stored is not None and (stored.round, stored.attempts) == (record.round, 1):
            self._requeue(stored)
        return None

    # -- queued attempts ----------------------------------------------------------------------
    def handle_message(self, message: DeliveryMessage) -> None:
        record = self.store.get_delivery(message.tenant_id, message.delivery_id)
        if record is None or record.round != message.round:
            return  # deleted, or superseded by a redelivery
        if message.dead_letter:
            if record.status == "failed" and message.attempt == record.attempts:
                # The dead letter of this very round, moved back from the DLQ (an SQS redrive):
                # treat it as a redelivery.
                self.redeliver(record.tenant_id, record.id)
            return
        if message.attempt == record.attempts:
            # This attempt was made; its message came back because queuing the next one failed
            # (or SQS sent a copy): queue the next one, if any.
            self._requeue(record)
            return
        if record.status not in IN_FLIGHT_STATUSES or message.attempt < record.attempts:
            return  # finished, or a duplicate of an attempt already made
        remaining = message.not_before - self.clock()
        if remaining > EARLY_TOLERANCE_SECONDS:
            self.queue.schedule(message, min(SQS_MAX_DELAY_SECONDS, remaining))
            return
        self._attempt(record, message.attempt)

    def redeliver(self, tenant_id: str, delivery_id: str) -> DeliveryRecord:
        """A new round of attempts for a finished delivery: same id, same body, fresh schedule."""
        record = self.store.get_delivery(tenant_id, delivery_id)
        if record is None:
            raise NotFound("no such delivery")
        if record.status in IN_FLIGHT_STATUSES:
            raise Conflict("the delivery is still being attempted")
        if record.subscription_kind == "tenant":
            subscription = self.store.get_subscription(tenant_id, record.subscription_id)
            if subscription is None or subscription.status != "active":
                raise Conflict("the subscription is deleted or disabled")
        expected = (record.round, record.attempts)
        now = self._now_iso()
        updated = record.model_copy(
            update={
                "round": record.round + 1,
                "attempts": 0,
                "next_attempt_queued": False,
                "status": "pending",
                "next_attempt_at": now,
                "updated_at": now,
            }
        )
        if not self.store.save_delivery(updated, expected=expected):
            raise Conflict("the delivery changed meanwhile; try again")
        try:
            self.queue.schedule(self._message(updated, 1, self.clock()), 0)
        except Exception as exc:
            # Nothing will attempt this round: put the delivery back as it was, so that it
            # is not `pending` forever and can be redelivered again.
            self.store.save_delivery(record, expected=(updated.round, 0))
            logger.warning("webhook redelivery not queued", extra=_log_fields(record))
            raise ServiceUnavailable("the redelivery could not be queued; try again") from exc
        logger.info("webhook redelivery queued", extra=_log_fields(updated))
        return updated

    # -- one attempt --------------------------------------------------------------------------
    def _attempt(self, record: DeliveryRecord, attempt: int) -> DeliveryRecord:
        if self.deadline is not None and time.monotonic() + self.timeout_seconds > self.deadline:
            self.queue.schedule(self._message(record, attempt, self.clock()), 0)
            return record
        secrets, cancel_reason = self._secrets_for(record)
        if secrets is None:
            return self._finish(record, attempt, "cancelled", None, cancel_reason)
        headers = signed_headers(record.id, record.payload, secrets, datetime.now(UTC))
        result = self.sender.send(record.url, record.payload, headers)
        return self._record(record, attempt, result)

    def _secrets_for(self, record: DeliveryRecord) -> tuple[list[str] | None, str]:
        if record.subscription_kind == "tenant":
            subscription = self.store.get_subscription(record.tenant_id, record.subscription_id)
            if subscription is None:
                return None, "the subscription was deleted"
            if subscription.status != "active":
                return None, f"the subscription is disabled ({subscription.disabled_reason})"
            return signing_secrets(subscription), ""
        if record.subscription_kind == "default":
            if not self.default.configured:
                return None, "the default subscription is no longer configured"
            return [self.default.secret], ""
        # A run's own subscription: the integrator's receiver, so the tenant's own key (the
        # default secret is the operator's and would let one tenant forge another's webhooks).
        return signing_secrets(tenant_signing_secret(self.store, record.tenant_id)), ""

    def _record(self, record: DeliveryRecord, attempt: int, result: SendResult) -> DeliveryRecord:
        code = result.status_code
        retry_in: float | None = None
        if code is not None and 200 <= code < 300:
            outcome = "delivered"
        elif result.refused:
            outcome = "refused"
        elif code == 410:
            outcome = "gone"
        elif code is None or code in RETRYABLE_STATUSES:
            retry_in = next_delay(self.delays, attempt, result.retry_after, self.rng)
            outcome = "retry" if retry_in is not None else "failed"
        else:
            outcome = "failed"  # 3xx (not followed) and 4xx: the receiver will not change its mind
        error = result.error or (f"HTTP {code}" if outcome != "delivered" else None)
        self.store.add_attempt(
            record.tenant_id,
            DeliveryAttempt(
                delivery_id=record.id,
                round=record.round,
                attempt=attempt,
                at=self._now_iso(),
                outcome=outcome,  # type: ignore[arg-type]
                status_code=code,
                latency_ms=result.latency_ms,
                error=error,
                retry_in_seconds=round(retry_in, 3) if retry_in is not None else None,
            ),
        )
        log = {
            **_log_fields(record),
            "attempt": attempt,
            "outcome": outcome,
            "status_code": code,
            "latency_ms": result.latency_ms,
            "error": error,
        }
        if outcome == "delivered":
            logger.info("webhook delivered", extra=log)
        else:
            logger.warning("webhook attempt failed", extra={**log, "retry_in_seconds": retry_in})
        status = "retrying" if outcome == "retry" else outcome
        return self._finish(record, attempt, status, code, error, retry_in)

    def _finish(
        self,
        record: DeliveryRecord,
        attempt: int,
        status: str,
        code: int | None,
        error: str | None,
        retry_in: float | None = None,
    ) -> DeliveryRecord:
        now = self._now_iso()
        expected = (record.round, record.attempts)
        not_before = self.clock() + retry_in if retry_in is not None else None
        updated = record.model_copy(
            update={
                "status": status,
                "attempts": attempt,
                "next_attempt_queued": False,
                "total_attempts": record.total_attempts + 1,
                "last_status_code": code,
                "last_error": error,
                "updated_at": now,
                "delivered_at": now if status == "delivered" else record.delivered_at,
                "next_attempt_at": _iso(not_before) if not_before is not None else None,
            }
        )
        if not self.store.save_delivery(updated, expected=expected):
            # Another copy of this attempt's message got there first; it owns what comes next.
            return self.store.get_delivery(record.tenant_id, record.id) or record
        if status == "delivered":
            metrics.add_metric(name="WebhooksDelivered", unit="Count", value=1)
        elif status == "retrying" and not_before is not None:
            metrics.add_metric(name="WebhooksRetried", unit="Count", value=1)
            self._requeue(updated)
        else:
            metrics.add_metric(name="WebhooksFailed", unit="Count", value=1)
            if status == "gone":
                self._disable(updated)
            if status == "failed":
                self._dead_letter(updated, attempt, error or "failed")
        return updated

    def _requeue(self, record: DeliveryRecord) -> None:
        """Queue the next attempt of a `retrying` delivery (due at `next_attempt_at`) unless its
        message was sent already, then note that it was. Raises if SQS refuses, so the message
        being handled comes back and this runs again."""
        if record.status != "retrying" or record.next_attempt_queued or not record.next_attempt_at:
            return
        not_before = datetime.fromisoformat(record.next_attempt_at).timestamp()
        self.queue.schedule(
            self._message(record, record.attempts + 1, not_before),
            min(SQS_MAX_DELAY_SECONDS, max(0.0, not_before - self.clock())),
        )
        queued = record.model_copy(update={"next_attempt_queued": True})
        # Fails only if the next attempt was already made: nothing left to note.
        self.store.save_delivery(queued, expected=(record.round, record.attempts))

    def _disable(self, record: DeliveryRecord) -> None:
        if record.subscription_kind != "tenant":
            return  # the default and a run's subscriptions are not ours to switch off
        subscription = self.store.get_subscription(record.tenant_id, record.subscription_id)
        if subscription is not None and subscription.status == "active":
            disable_subscription(self.store, subscription, "the receiver answered 410 Gone")
            logger.warning("webhook subscription disabled (410)", extra=_log_fields(record))

    def _dead_letter(self, record: DeliveryRecord, attempt: int, reason: str) -> None:
        message = self._message(record, attempt, self.clock(), dead_letter=True)
        self.queue.dead_letter(message, reason)
        metrics.add_metric(name="WebhooksDeadLettered", unit="Count", value=1)
        depth = self.queue.dead_letter_depth()
        if depth is not None:
            metrics.add_metric(name="WebhookDlqDepth", unit="Count", value=depth)
        logger.error("webhook dead-lettered", extra={**_log_fields(record), "reason": reason})

    @staticmethod
    def _message(
        record: DeliveryRecord, attempt: int, not_before: float, *, dead_letter: bool = False
    ) -> DeliveryMessage:
        return DeliveryMessage(
            tenant_id=record.tenant_id,
            delivery_id=record.id,
            round=record.round,
            attempt=attempt,
            not_before=math.floor(not_before * 1000) / 1000,
            dead_letter=dead_letter,
        )


def _log_fields(record: DeliveryRecord) -> dict[str, object]:
    return {
        "case_id": record.case_id,
        "event_id": record.event_id,
        "delivery_id": record.id,
        "subscription_id": record.subscription_id,
        "webhook_type": record.webhook_type,
        "tenant": record.tenant_id,
        "round": record.round,
    }


def _seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def _iso(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
