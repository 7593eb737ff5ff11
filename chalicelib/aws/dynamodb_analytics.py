"""DynamoDB adapter for the analytics aggregates (keys: `chalicelib.analytics.keys`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.analytics import keys
from chalicelib.analytics.events import Increment
from chalicelib.analytics.store import Aggregate, ReadCounter
from chalicelib.aws.dynamodb import (
    _cancelled_by_condition,
    _plain,
    dynamodb_resource,
    dynamodb_table,
    query_items,
)

# An event is redelivered within the queue's retention (at most 14 days): its marker outlives it.
SEEN_MARKER_DAYS = 30
NOT_COUNTERS = frozenset({"pk", "sk", "states", "expiresAt"})


def _update(table: str, increment: Increment) -> dict[str, Any]:
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    adds: list[str] = []
    for index, (name, value) in enumerate(sorted(increment.counts.items())):
        names[f"#a{index}"] = name
        values[f":a{index}"] = value
        adds.append(f"#a{index} :a{index}")
    if increment.members:
        names["#states"] = "states"
        values[":states"] = set(increment.members)
        adds.append("#states :states")
    return {
        "Update": {
            "TableName": table,
            "Key": {"pk": increment.pk, "sk": increment.sk},
            "UpdateExpression": "ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
    }


class DynamoMetricsStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def apply(self, tenant_id: str, event_id: str, increments: Sequence[Increment]) -> bool:
        expires = datetime.now(UTC) + timedelta(days=SEEN_MARKER_DAYS)
        marker = {
            "Put": {
                "TableName": self._table_name,
                "Item": {
                    "pk": keys.seen_pk(tenant_id, event_id),
                    "sk": keys.SEEN_SK,
                    "expiresAt": int(expires.timestamp()),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        writes = [marker, *(_update(self._table_name, i) for i in increments)]
        try:
            dynamodb_resource().meta.client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if _cancelled_by_condition(exc, index=0):
                return False
            raise
        return True

    def query(self, pk: str, sk_from: str, sk_to: str, reads: ReadCounter) -> list[Aggregate]:
        table = dynamodb_table(self._table_name)
        found: list[Aggregate] = []
        for item in query_items(
            table, KeyConditionExpression=Key("pk").eq(pk) & Key("sk").between(sk_from, sk_to)
        ):
            reads.items += 1
            plain = _plain(item)
            found.append(
                Aggregate(
                    sk=plain["sk"],
                    counts={k: v for k, v in plain.items() if k not in NOT_COUNTERS},
                    members=frozenset(plain.get("states") or ()),
                )
            )
        return found

    def load(self, items: dict[tuple[str, str], Aggregate]) -> None:
        with dynamodb_table(self._table_name).batch_writer() as batch:
            for (pk, sk), aggregate in items.items():
                item: dict[str, Any] = {"pk": pk, "sk": sk, **aggregate.counts}
                if aggregate.members:
                    item["states"] = set(aggregate.members)
                batch.put_item(Item=item)
