"""Subscriptions: a tenant's (managed by its admins), the default one (`WEBHOOK_URL` +
`WEBHOOK_SECRET`), and a run's own (`config.subscriptions`, Ballerine-compatible), and which of
them want a given event."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.documents.remote_fetch import Resolver
from chalicelib.errors import Conflict, InvalidRequest, NotFound
from chalicelib.ids import new_id, stable_id, utc_now
from chalicelib.models.case import Case
from chalicelib.models.webhooks import (
    DEFAULT_SUBSCRIPTION_ID,
    CreateSubscriptionRequest,
    Subscription,
    SubscriptionView,
)
from chalicelib.webhooks.signing import generate_secret
from chalicelib.webhooks.store import MAX_SUBSCRIPTIONS_PER_TENANT, WebhookStore
from chalicelib.webhooks.urls import WebhookUrlRefused, vet_webhook_url

MAX_WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class DefaultSubscription:
    url: str
    secret: str

    @property
    def configured(self) -> bool:
        return bool(self.url and self.secret)


@dataclass(frozen=True)
class Target:
    """A subscription resolved for one event: where to send and how to find its secrets later."""

    subscription_id: str
    kind: str
    url: str


def _refused(exc: WebhookUrlRefused) -> InvalidRequest:
    return InvalidRequest(
        "the webhook URL is not allowed",
        details=[{"path": "url", "message": str(exc), "type": exc.reason}],
    )


def create_subscription(
    store: WebhookStore,
    tenant_id: str,
    request: CreateSubscriptionRequest,
    *,
    created_by: str,
    allow_local: bool,
    resolve: Resolver = socket.getaddrinfo,
) -> Subscription:
    """A new subscription with a fresh secret (returned to the caller once, never listed)."""
    try:
        vet_webhook_url(request.url, allow_local=allow_local, resolve=resolve)
    except WebhookUrlRefused as exc:
        raise _refused(exc) from exc
    if len(store.list_subscriptions(tenant_id)) >= MAX_SUBSCRIPTIONS_PER_TENANT:
        raise Conflict(f"a tenant has at most {MAX_SUBSCRIPTIONS_PER_TENANT} subscriptions")
    now = utc_now()
    subscription = Subscription(
        id=new_id("whs"),
        tenant_id=tenant_id,
        url=request.url,
        events=sorted(set(request.events)),
        description=request.description,
        secret=generate_secret(),
        created_at=now,
        updated_at=now,
        created_by=created_by,
    )
    store.put_subscription(subscription)
    return subscription


def delete_subscription(store: WebhookStore, tenant_id: str, subscription_id: str) -> None:
    if subscription_id == DEFAULT_SUBSCRIPTION_ID:
        raise Conflict("the default subscription comes from the environment (WEBHOOK_URL)")
    if not store.delete_subscription(tenant_id, subscription_id):
        raise NotFound("no such webhook subscription")


def rotate_secret(
    store: WebhookStore, tenant_id: str, subscription_id: str, *, overlap_seconds: int
) -> Subscription:
    """A new secret; the old one keeps signing (both signatures sent) for `overlap_seconds`.
    Conditional on the version read: a concurrent change (another rotation, a 410) -> 409."""
    subscription = store.get_subscription(tenant_id, subscription_id)
    if subscription is None:
        raise NotFound("no such webhook subscription")
    rotated = subscription.model_copy(
        update={**rotated_keys(subscription, overlap_seconds), "version": subscription.version + 1}
    )
    if not store.save_subscription(rotated, expected_version=subscription.version):
        raise Conflict("the subscription changed meanwhile; try again")
    return rotated


def disable_subscription(store: WebhookStore, subscription: Subscription, reason: str) -> None:
    """Disable it (conditionally on its version, re-reading after a concurrent change, so a
    rotation made meanwhile is kept and the disabling is not lost either)."""
    current: Subscription | None = subscription
    for _ in range(MAX_WRITE_ATTEMPTS):
        if current is None or current.status == "disabled":
            return
        disabled = current.model_copy(
            update={
                "status": "disabled",
                "disabled_reason": reason,
                "updated_at": utc_now(),
                "version": current.version + 1,
            }
        )
        if store.save_subscription(disabled, expected_version=current.version):
            return
        current = store.get_subscription(current.tenant_id, current.id)
    raise Conflict("the subscription kept changing while it was being disabled")


class SigningKeys(Protocol):
    """What signs: a subscription's secrets, or a tenant's own signing secret."""

    secret: str
    previous_secret: str | None
    previous_secret_expires_at: str | None


def rotated_keys(keys: SigningKeys, overlap_seconds: int) -> dict[str, Any]:
    """The fields of `keys` after a rotation: a new secret, the old one kept for the overlap."""
    now = datetime.now(UTC)
    overlap = overlap_seconds > 0
    return {
        "secret": generate_secret(),
        "previous_secret": keys.secret if overlap else None,
        "previous_secret_expires_at": (
            _iso(now + timedelta(seconds=overlap_seconds)) if overlap else None
        ),
        "updated_at": _iso(now),
    }


def signing_secrets(keys: SigningKeys, now: datetime | None = None) -> list[str]:
    now = now or datetime.now(UTC)
    secrets = [keys.secret]
    expires = keys.previous_secret_expires_at
    if keys.previous_secret and expires and _parse(expires) > now:
        secrets.append(keys.previous_secret)
    return secrets


def subscription_view(subscription: Subscription) -> SubscriptionView:
    return SubscriptionView.model_validate(
        subscription.model_dump(
            include=set(SubscriptionView.model_fields) - {"read_only"}, exclude_none=False
        )
    )


def list_subscription_views(
    store: WebhookStore, tenant_id: str, default: DefaultSubscription
) -> list[SubscriptionView]:
    views = [subscription_view(s) for s in store.list_subscriptions(tenant_id)]
    if default.url:
        views.insert(
            0,
            SubscriptionView(
                id=DEFAULT_SUBSCRIPTION_ID,
                kind="default",
                url=default.url,
                events=[],
                status="active" if default.configured else "disabled",
                disabled_reason=None if default.configured else "WEBHOOK_SECRET is not set",
                read_only=True,
            ),
        )
    return views


def run_subscriptions(case: Case) -> list[dict[str, Any]]:
    """The run's Ballerine-style `config.subscriptions`: `[{type: "webhook", url, events}]`."""
    raw = (case.config or {}).get("subscriptions") or []
    if not isinstance(raw, list):
        return []
    return [
        s
        for s in raw
        if isinstance(s, dict) and s.get("type", "webhook") == "webhook" and s.get("url")
    ]


def run_subscription_id(case_id: str, url: str) -> str:
    return stable_id("run", case_id, url)


def targets_for(
    event_type: str,
    webhook_type: str,
    tenant_subscriptions: list[Subscription],
    default: DefaultSubscription,
    case: Case | None,
) -> list[Target]:
    """Every subscription that wants this event, one per URL (tenant's first, then the default,
    then the run's), so one receiver never gets the same event twice under two ids."""
    targets: list[Target] = []
    seen: set[str] = set()

    def add(target: Target) -> None:
        if target.url not in seen:
            seen.add(target.url)
            targets.append(target)

    for subscription in tenant_subscriptions:
        if subscription.wants(webhook_type):
            add(Target(subscription.id, "tenant", subscription.url))
    if default.configured:
        add(Target(DEFAULT_SUBSCRIPTION_ID, "default", default.url))
    if case is not None:
        for raw in run_subscriptions(case):
            events = raw.get("events") or []
            if events and webhook_type not in events and event_type not in events:
                continue
            url = str(raw["url"])
            add(Target(run_subscription_id(case.case_id, url), "run", url))
    return targets


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))
