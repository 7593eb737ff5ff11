"""The delivery log as admins see it: filtered, cursor-paginated, one delivery with its attempts."""

from __future__ import annotations

from chalicelib.errors import NotFound
from chalicelib.models.webhooks import (
    DeliveryAttempt,
    DeliveryList,
    DeliveryQuery,
    DeliveryRecord,
    DeliveryView,
)
from chalicelib.pagination import decode_cursor, encode_cursor
from chalicelib.webhooks.store import DeliveryFilter, WebhookStore


def delivery_view(
    record: DeliveryRecord, attempts: list[DeliveryAttempt] | None = None
) -> DeliveryView:
    fields = record.model_dump(exclude={"tenant_id", "payload", "next_attempt_queued"})
    return DeliveryView(**fields, attempt_log=attempts)


def list_deliveries(
    store: WebhookStore, tenant_id: str, query: DeliveryQuery, *, cursor_secret: str
) -> DeliveryList:
    where = DeliveryFilter(
        subscription_id=query.subscription_id,
        event_id=query.event_id,
        event_type=query.event_type,
        status=query.status,
    )
    # The cursor is bound to the tenant and the filters: it cannot be replayed on another query.
    scope = f"webhook-deliveries|{tenant_id}|{where}"
    start_key = decode_cursor(query.cursor, scope=scope, secret=cursor_secret)
    page = store.list_deliveries(tenant_id, where, limit=query.limit, start_key=start_key)
    return DeliveryList(
        data=[delivery_view(record) for record in page.deliveries],
        next_cursor=encode_cursor(page.last_key, scope=scope, secret=cursor_secret),
    )


def get_delivery(store: WebhookStore, tenant_id: str, delivery_id: str) -> DeliveryView:
    record = store.get_delivery(tenant_id, delivery_id)
    if record is None:
        raise NotFound("no such delivery")
    return delivery_view(record, store.list_attempts(tenant_id, delivery_id))
