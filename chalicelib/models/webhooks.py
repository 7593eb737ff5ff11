"""Webhook subscriptions, deliveries and their attempts: domain records and API bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models.base import ApiModel, JsonInt

# The webhook types of chalicelib.models.events.EVENT_TYPES, spelled out for the API schema
# (tests/unit/test_events.py checks they agree).
WebhookType = Literal[
    "workflow.state.changed",
    "workflow.completed",
    "workflow.context.document.changed",
    "case.assigned",
    "case.note_added",
    "case.sla_breached",
    "workflow.context.changed",
    "workflow.failed",
]
SubscriptionKind = Literal["tenant", "default", "run"]
SubscriptionStatus = Literal["active", "disabled"]
# pending: not attempted yet in this round; retrying: waiting for its next attempt;
# delivered: 2xx; failed: retries exhausted or a non-retryable answer (sent to the DLQ);
# gone: the receiver answered 410 (the subscription is disabled); refused: the URL is not
# allowed (SSRF guard); cancelled: the subscription was deleted or disabled meanwhile.
DeliveryStatus = Literal[
    "pending", "retrying", "delivered", "failed", "gone", "refused", "cancelled"
]
IN_FLIGHT_STATUSES: frozenset[str] = frozenset({"pending", "retrying"})
DEFAULT_SUBSCRIPTION_ID = "default"


class Subscription(ApiModel):
    """A tenant's subscription as stored. `secret` signs; `previous_secret` also signs until
    `previous_secret_expires_at` (rotation overlap), so receivers can switch keys without a gap."""

    id: str
    tenant_id: str
    kind: SubscriptionKind = "tenant"
    url: str
    events: list[WebhookType] = Field(default_factory=list)  # empty: every type
    description: str | None = None
    status: SubscriptionStatus = "active"
    disabled_reason: str | None = None
    secret: str = Field(repr=False)
    previous_secret: str | None = Field(default=None, repr=False)
    previous_secret_expires_at: str | None = None
    created_at: str
    updated_at: str
    created_by: str | None = None
    # +1 on every change: rotation and disabling are conditional on it (no lost update).
    version: int = 1

    def wants(self, webhook_type: str) -> bool:
        return self.status == "active" and (not self.events or webhook_type in self.events)


class TenantSigningSecret(ApiModel):
    """The tenant's own key for its runs' `config.subscriptions` (never the default secret,
    which is the operator's). Shown to an admin once (`revealed`); rotated like a
    subscription's secret, both signing during the overlap."""

    tenant_id: str
    secret: str = Field(repr=False)
    previous_secret: str | None = Field(default=None, repr=False)
    previous_secret_expires_at: str | None = None
    revealed: bool = False
    version: int = 1
    created_at: str
    updated_at: str


class DeliveryRecord(ApiModel):
    """One event for one subscription. Its id is also the `webhook-id` (stable across retries and
    redeliveries, derived from the event id and the subscription id)."""

    id: str
    tenant_id: str
    subscription_id: str
    subscription_kind: SubscriptionKind
    url: str
    event_id: str
    event_type: str
    webhook_type: str
    case_id: str
    payload: str = Field(description="the exact body sent on every attempt")
    status: DeliveryStatus = "pending"
    round: int = Field(default=1, description="1, then +1 on each redelivery")
    attempts: int = Field(default=0, description="attempts made in the current round")
    total_attempts: int = 0
    next_attempt_at: str | None = None
    # The message for the next attempt has been sent (the record is saved first, so a message
    # that comes back before this is set queues that attempt again).
    next_attempt_queued: bool = False
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: str
    updated_at: str
    delivered_at: str | None = None


class DeliveryAttempt(ApiModel):
    delivery_id: str
    round: int
    attempt: int
    at: str
    outcome: Literal["delivered", "retry", "failed", "gone", "refused"]
    status_code: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    retry_in_seconds: float | None = None


class DeliveryMessage(ApiModel):
    """A queued attempt: `attempt` of `round` of a delivery, not to be made before
    `not_before` (epoch seconds). SQS delays at most 15 minutes, so a message that arrives early
    is re-queued for the remaining time (see docs/webhooks.md)."""

    tenant_id: str
    delivery_id: str
    round: int
    attempt: int
    not_before: float = 0.0
    # Set on the copy sent to the DLQ: only that copy, moved back by a redrive, starts a new
    # round; another copy of the round's last attempt is a duplicate.
    dead_letter: bool = False


# -- API bodies ---------------------------------------------------------------------------------
class CreateSubscriptionRequest(ApiModel):
    url: str = Field(
        min_length=8,
        max_length=2048,
        # Schema only: https in the cloud, http to loopback locally (see vet_webhook_url).
        json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
        description="an https URL whose host resolves only to public addresses (the local stack "
        "also takes http to loopback)",
    )
    events: list[WebhookType] = Field(default_factory=list, max_length=10)
    description: str | None = Field(default=None, max_length=500)


class RotateSecretRequest(ApiModel):
    overlap_seconds: JsonInt = Field(
        default=24 * 3600, ge=0, le=7 * 24 * 3600, description="how long the old secret signs too"
    )


class SubscriptionView(ApiModel):
    id: str
    kind: SubscriptionKind
    url: str
    events: list[str]
    description: str | None = None
    status: SubscriptionStatus
    disabled_reason: str | None = None
    previous_secret_expires_at: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    read_only: bool = Field(default=False, description="the default subscription (environment)")


class SubscriptionWithSecret(SubscriptionView):
    secret: str = Field(description="shown once: store it now")


class SigningSecretView(ApiModel):
    """The tenant's per-run signing secret as its admins see it."""

    revealed: bool = Field(description="already shown once: rotate to get a new one")
    previous_secret_expires_at: str | None = None
    created_at: str
    updated_at: str
    secret: str | None = Field(
        default=None, description="only in the answer that reveals or rotates it: store it now"
    )


class SubscriptionList(ApiModel):
    data: list[SubscriptionView]


class DeliveryView(ApiModel):
    id: str
    subscription_id: str
    subscription_kind: SubscriptionKind
    url: str
    event_id: str
    event_type: str
    webhook_type: str
    case_id: str
    status: DeliveryStatus
    round: int
    attempts: int
    total_attempts: int
    next_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: str
    updated_at: str
    delivered_at: str | None = None
    attempt_log: list[DeliveryAttempt] | None = None


class DeliveryList(ApiModel):
    data: list[DeliveryView]
    next_cursor: str | None = None


class DeliveryQuery(ApiModel):
    subscription_id: str | None = Field(default=None, max_length=128)
    event_id: str | None = Field(default=None, max_length=128)
    event_type: str | None = Field(default=None, max_length=64)
    status: DeliveryStatus | None = None
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)
