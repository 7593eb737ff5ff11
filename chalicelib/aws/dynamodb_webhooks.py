"""DynamoDB adapter for webhook subscriptions, deliveries and attempts (the webhooks table).

Keys (every read is a GetItem or a Query; nothing scans):
  subscription  pk T#<tenant>#SUBS          sk S#<subscription id>
  signing key   pk T#<tenant>#SIGNING       sk SECRET   (the tenant's key for per-run subscriptions)
  delivery      pk T#<tenant>#D#<delivery>  sk DELIVERY
  attempt       pk T#<tenant>#D#<delivery>  sk A#<round>#<attempt>#<at>   (one item per attempt)
  GSIs on deliveries, all sorted by gsisk = <createdAt>#<delivery id> (newest first):
    gsi1 every delivery of the tenant   gsi1pk T#<tenant>
    gsi2 by subscription                gsi2pk T#<tenant>#SUB#<subscription id>
    gsi3 by status                      gsi3pk T#<tenant>#ST#<status>
    gsi4 by domain event                gsi4pk T#<tenant>#EV#<event id>
A listing Queries the most selective index for its filters; the rest (event type, a second
filter) is a FilterExpression on that Query.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Attr, ConditionBase, Key
from botocore.exceptions import ClientError

from chalicelib.aws.dynamodb import dynamodb_table, query_items
from chalicelib.models.webhooks import (
    DeliveryAttempt,
    DeliveryRecord,
    Subscription,
    TenantSigningSecret,
)
from chalicelib.webhooks.store import DeliveryFilter, DeliveryPage

DELIVERY_SK = "DELIVERY"
SIGNING_SECRET_SK = "SECRET"
INDEXES = ("gsi1", "gsi2", "gsi3", "gsi4")
SORT_KEY = "gsisk"
MAX_QUERIES_PER_PAGE = 5  # a filtered page stops after this many reads (the cursor continues)


def subscriptions_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SUBS"


def signing_secret_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SIGNING"


def delivery_pk(tenant_id: str, delivery_id: str) -> str:
    return f"T#{tenant_id}#D#{delivery_id}"


def delivery_to_item(record: DeliveryRecord) -> dict[str, Any]:
    tenant = record.tenant_id
    return {
        "pk": delivery_pk(tenant, record.id),
        "sk": DELIVERY_SK,
        "recordType": "webhookDelivery",
        "round": record.round,
        "attempts": record.attempts,
        "status": record.status,
        "subscriptionId": record.subscription_id,
        "eventId": record.event_id,
        "eventType": record.event_type,
        "webhookType": record.webhook_type,
        "recordJson": record.model_dump_json(),
        "gsi1pk": f"T#{tenant}",
        "gsi2pk": f"T#{tenant}#SUB#{record.subscription_id}",
        "gsi3pk": f"T#{tenant}#ST#{record.status}",
        "gsi4pk": f"T#{tenant}#EV#{record.event_id}",
        SORT_KEY: f"{record.created_at}#{record.id}",
    }


def _choose_index(tenant_id: str, where: DeliveryFilter) -> tuple[str, ConditionBase, list[Any]]:
    """The index that serves the most selective filter, its key condition, and the filters left."""
    rest: list[Any] = []
    if where.event_id:
        index, key = "gsi4", f"T#{tenant_id}#EV#{where.event_id}"
    elif where.subscription_id:
        index, key = "gsi2", f"T#{tenant_id}#SUB#{where.subscription_id}"
    elif where.status:
        index, key = "gsi3", f"T#{tenant_id}#ST#{where.status}"
    else:
        index, key = "gsi1", f"T#{tenant_id}"
    if where.subscription_id and index != "gsi2":
        rest.append(Attr("subscriptionId").eq(where.subscription_id))
    if where.status and index not in ("gsi3",):
        rest.append(Attr("status").eq(where.status))
    if where.event_type:
        rest.append(
            Attr("eventType").eq(where.event_type) | Attr("webhookType").eq(where.event_type)
        )
    return index, Key(f"{index}pk").eq(key), rest


class DynamoWebhookStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    # -- subscriptions ------------------------------------------------------------------------
    def put_subscription(self, subscription: Subscription) -> None:
        self._table.put_item(Item=_subscription_item(subscription))

    def save_subscription(self, subscription: Subscription, *, expected_version: int) -> bool:
        # Items written before versions existed have none: they are version 1.
        unversioned = " OR attribute_not_exists(version)" if expected_version == 1 else ""
        return _conditional_put(
            self._table,
            _subscription_item(subscription),
            f"attribute_exists(pk) AND (version = :expected{unversioned})",
            {":expected": expected_version},
        )

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        item = self._table.get_item(
            Key={"pk": subscriptions_pk(tenant_id), "sk": f"S#{subscription_id}"},
            ConsistentRead=True,
        ).get("Item")
        return Subscription.model_validate_json(item["subscriptionJson"]) if item else None

    def list_subscriptions(self, tenant_id: str) -> list[Subscription]:
        items = query_items(
            self._table,
            KeyConditionExpression=Key("pk").eq(subscriptions_pk(tenant_id)),
            ConsistentRead=True,
        )
        subscriptions = [Subscription.model_validate_json(i["subscriptionJson"]) for i in items]
        return sorted(subscriptions, key=lambda s: (s.created_at, s.id))

    def delete_subscription(self, tenant_id: str, subscription_id: str) -> bool:
        response = self._table.delete_item(
            Key={"pk": subscriptions_pk(tenant_id), "sk": f"S#{subscription_id}"},
            ReturnValues="ALL_OLD",
        )
        return bool(response.get("Attributes"))

    # -- the tenant's signing secret ----------------------------------------------------------
    def get_signing_secret(self, tenant_id: str) -> TenantSigningSecret | None:
        item = self._table.get_item(
            Key={"pk": signing_secret_pk(tenant_id), "sk": SIGNING_SECRET_SK}, ConsistentRead=True
        ).get("Item")
        return TenantSigningSecret.model_validate_json(item["secretJson"]) if item else None

    def save_signing_secret(
        self, secret: TenantSigningSecret, *, expected_version: int | None
    ) -> bool:
        item = {
            "pk": signing_secret_pk(secret.tenant_id),
            "sk": SIGNING_SECRET_SK,
            "recordType": "webhookSigningSecret",
            "version": secret.version,
            "secretJson": secret.model_dump_json(),
        }
        if expected_version is None:
            return _conditional_put(self._table, item, "attribute_not_exists(pk)")
        return _conditional_put(
            self._table, item, "version = :expected", {":expected": expected_version}
        )

    # -- deliveries ---------------------------------------------------------------------------
    def create_delivery(self, record: DeliveryRecord) -> bool:
        try:
            self._table.put_item(
                Item=delivery_to_item(record), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get_delivery(self, tenant_id: str, delivery_id: str) -> DeliveryRecord | None:
        item = self._table.get_item(
            Key={"pk": delivery_pk(tenant_id, delivery_id), "sk": DELIVERY_SK},
            ConsistentRead=True,
        ).get("Item")
        return DeliveryRecord.model_validate_json(item["recordJson"]) if item else None

    def save_delivery(self, record: DeliveryRecord, *, expected: tuple[int, int]) -> bool:
        try:
            self._table.put_item(
                Item=delivery_to_item(record),
                ConditionExpression="#round = :round AND attempts = :attempts",
                ExpressionAttributeNames={"#round": "round"},
                ExpressionAttributeValues={":round": expected[0], ":attempts": expected[1]},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def add_attempt(self, tenant_id: str, attempt: DeliveryAttempt) -> None:
        self._table.put_item(
            Item={
                "pk": delivery_pk(tenant_id, attempt.delivery_id),
                "sk": f"A#{attempt.round:05d}#{attempt.attempt:03d}#{attempt.at}",
                "recordType": "webhookAttempt",
                "attemptJson": attempt.model_dump_json(),
            }
        )

    def list_attempts(self, tenant_id: str, delivery_id: str) -> list[DeliveryAttempt]:
        items = query_items(
            self._table,
            KeyConditionExpression=Key("pk").eq(delivery_pk(tenant_id, delivery_id))
            & Key("sk").begins_with("A#"),
        )
        return [DeliveryAttempt.model_validate_json(item["attemptJson"]) for item in items]

    def list_deliveries(
        self, tenant_id: str, where: DeliveryFilter, *, limit: int, start_key: dict[str, Any] | None
    ) -> DeliveryPage:
        index, key_condition, rest = _choose_index(tenant_id, where)
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": key_condition,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if rest:
            condition = rest[0]
            for extra in rest[1:]:
                condition = condition & extra
            kwargs["FilterExpression"] = condition
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        records: list[DeliveryRecord] = []
        items_read = 0
        for _ in range(MAX_QUERIES_PER_PAGE):
            response = self._table.query(**kwargs)
            items_read += int(response.get("ScannedCount", 0))
            items = response.get("Items", [])
            last_key = response.get("LastEvaluatedKey")
            for position, item in enumerate(items):
                records.append(DeliveryRecord.model_validate_json(item["recordJson"]))
                if len(records) == limit:
                    more = position < len(items) - 1 or last_key is not None
                    key = _index_key(item, index) if more else None
                    return DeliveryPage(records, key, items_read)
            if not last_key:
                return DeliveryPage(records, None, items_read)
            kwargs["ExclusiveStartKey"] = last_key
        return DeliveryPage(records, last_key, items_read)


def _subscription_item(subscription: Subscription) -> dict[str, Any]:
    return {
        "pk": subscriptions_pk(subscription.tenant_id),
        "sk": f"S#{subscription.id}",
        "recordType": "webhookSubscription",
        "version": subscription.version,
        "subscriptionJson": subscription.model_dump_json(),
    }


def _conditional_put(
    table: Any, item: dict[str, Any], condition: str, values: dict[str, Any] | None = None
) -> bool:
    """PutItem under `condition`; False (nothing written) if the condition does not hold."""
    kwargs: dict[str, Any] = {"Item": item, "ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        table.put_item(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _index_key(item: dict[str, Any], index: str) -> dict[str, Any]:
    """The ExclusiveStartKey that resumes a Query on `index` right after `item`."""
    return {name: item[name] for name in ("pk", "sk", f"{index}pk", SORT_KEY)}
