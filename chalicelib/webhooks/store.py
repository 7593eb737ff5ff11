"""What the webhook services need from storage and the queue, and in-memory versions for tests.

`chalicelib.aws.dynamodb_webhooks.DynamoWebhookStore` and `chalicelib.aws.webhook_queue.
SqsDeliveryQueue` are the real ones.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.models.webhooks import (
    DeliveryAttempt,
    DeliveryMessage,
    DeliveryRecord,
    Subscription,
    TenantSigningSecret,
)

MAX_SUBSCRIPTIONS_PER_TENANT = 20


@dataclass(frozen=True)
class DeliveryFilter:
    subscription_id: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    status: str | None = None

    def matches(self, record: DeliveryRecord) -> bool:
        return (
            (self.subscription_id is None or record.subscription_id == self.subscription_id)
            and (self.event_id is None or record.event_id == self.event_id)
            and (self.event_type in (None, record.event_type, record.webhook_type))
            and (self.status is None or record.status == self.status)
        )


@dataclass(frozen=True)
class DeliveryPage:
    deliveries: list[DeliveryRecord]
    last_key: dict[str, Any] | None
    items_read: int = 0


class WebhookStore(Protocol):
    def put_subscription(self, subscription: Subscription) -> None: ...

    def save_subscription(self, subscription: Subscription, *, expected_version: int) -> bool:
        """Replace the subscription if it still exists at `expected_version`; else False."""

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None: ...

    def list_subscriptions(self, tenant_id: str) -> list[Subscription]: ...

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> bool: ...

    def get_signing_secret(self, tenant_id: str) -> TenantSigningSecret | None: ...

    def save_signing_secret(
        self, secret: TenantSigningSecret, *, expected_version: int | None
    ) -> bool:
        """Store the tenant's signing secret: only if it has none (`expected_version` None), or
        only if the stored one is still at `expected_version`; else False."""

    def create_delivery(self, record: DeliveryRecord) -> bool:
        """Store a new delivery; False (and nothing written) if its id exists already."""

    def get_delivery(self, tenant_id: str, delivery_id: str) -> DeliveryRecord | None: ...

    def save_delivery(self, record: DeliveryRecord, *, expected: tuple[int, int]) -> bool:
        """Replace the delivery if the stored one is still at (round, attempts) == expected."""

    def add_attempt(self, tenant_id: str, attempt: DeliveryAttempt) -> None: ...

    def list_attempts(self, tenant_id: str, delivery_id: str) -> list[DeliveryAttempt]: ...

    def list_deliveries(
        self, tenant_id: str, where: DeliveryFilter, *, limit: int, start_key: dict[str, Any] | None
    ) -> DeliveryPage: ...


class DeliveryQueue(Protocol):
    def schedule(self, message: DeliveryMessage, delay_seconds: float) -> None:
        """Queue the attempt; SQS caps the delay at 900 s (callers re-queue for the rest)."""

    def dead_letter(self, message: DeliveryMessage, reason: str) -> None: ...

    def dead_letter_depth(self) -> int | None: ...


class InMemoryWebhookStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.signing_secrets: dict[str, TenantSigningSecret] = {}
        self.deliveries: dict[tuple[str, str], DeliveryRecord] = {}
        self.attempts: dict[tuple[str, str], list[DeliveryAttempt]] = {}

    def put_subscription(self, subscription: Subscription) -> None:
        with self._lock:
            key = (subscription.tenant_id, subscription.id)
            self.subscriptions[key] = subscription.model_copy()

    def save_subscription(self, subscription: Subscription, *, expected_version: int) -> bool:
        with self._lock:
            key = (subscription.tenant_id, subscription.id)
            stored = self.subscriptions.get(key)
            if stored is None or stored.version != expected_version:
                return False
            self.subscriptions[key] = subscription.model_copy()
            return True

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        with self._lock:
            found = self.subscriptions.get((tenant_id, subscription_id))
            return found.model_copy() if found else None

    def list_subscriptions(self, tenant_id: str) -> list[Subscription]:
        with self._lock:
            subs = [s.model_copy() for (t, _), s in self.subscriptions.items() if t == tenant_id]
        return sorted(subs, key=lambda s: (s.created_at, s.id))

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> bool:
        with self._lock:
            return self.subscriptions.pop((tenant_id, subscription_id), None) is not None

    def get_signing_secret(self, tenant_id: str) -> TenantSigningSecret | None:
        with self._lock:
            found = self.signing_secrets.get(tenant_id)
            return found.model_copy() if found else None

    def save_signing_secret(
        self, secret: TenantSigningSecret, *, expected_version: int | None
    ) -> bool:
        with self._lock:
            stored = self.signing_secrets.get(secret.tenant_id)
            if (stored.version if stored else None) != expected_version:
                return False
            self.signing_secrets[secret.tenant_id] = secret.model_copy()
            return True

    def create_delivery(self, record: DeliveryRecord) -> bool:
        with self._lock:
            key = (record.tenant_id, record.id)
            if key in self.deliveries:
                return False
            self.deliveries[key] = record.model_copy()
            return True

    def get_delivery(self, tenant_id: str, delivery_id: str) -> DeliveryRecord | None:
        with self._lock:
            found = self.deliveries.get((tenant_id, delivery_id))
            return found.model_copy() if found else None

    def save_delivery(self, record: DeliveryRecord, *, expected: tuple[int, int]) -> bool:
        with self._lock:
            key = (record.tenant_id, record.id)
            stored = self.deliveries.get(key)
            if stored is None or (stored.round, stored.attempts) != expected:
                return False
            self.deliveries[key] = record.model_copy()
            return True

    def add_attempt(self, tenant_id: str, attempt: DeliveryAttempt) -> None:
        with self._lock:
            self.attempts.setdefault((tenant_id, attempt.delivery_id), []).append(attempt)

    def list_attempts(self, tenant_id: str, delivery_id: str) -> list[DeliveryAttempt]:
        with self._lock:
            return list(self.attempts.get((tenant_id, delivery_id), []))

    def list_deliveries(
        self, tenant_id: str, where: DeliveryFilter, *, limit: int, start_key: dict[str, Any] | None
    ) -> DeliveryPage:
        with self._lock:
            rows = sorted(
                (d for (t, _), d in self.deliveries.items() if t == tenant_id and where.matches(d)),
                key=lambda d: (d.created_at, d.id),
                reverse=True,
            )
        if start_key:
            after = (start_key["createdAt"], start_key["id"])
            rows = [d for d in rows if (d.created_at, d.id) < after]
        page = rows[:limit]
        last = {"createdAt": page[-1].created_at, "id": page[-1].id} if len(rows) > limit else None
        return DeliveryPage([d.model_copy() for d in page], last, len(page))


@dataclass
class InMemoryDeliveryQueue:
    """Records what would be sent to SQS; tests run the scheduled messages themselves."""

    scheduled: list[tuple[DeliveryMessage, float]] = field(default_factory=list)
    dead: list[tuple[DeliveryMessage, str]] = field(default_factory=list)

    def schedule(self, message: DeliveryMessage, delay_seconds: float) -> None:
        self.scheduled.append((message, delay_seconds))

    def dead_letter(self, message: DeliveryMessage, reason: str) -> None:
        self.dead.append((message, reason))

    def dead_letter_depth(self) -> int | None:
        return len(self.dead)

    def take(self) -> list[tuple[DeliveryMessage, float]]:
        taken, self.scheduled = self.scheduled, []
        return taken
