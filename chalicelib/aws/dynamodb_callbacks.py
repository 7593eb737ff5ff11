"""DynamoDB adapter of the pending vendor callbacks, on the cases table. The callback route
knows only the case id and the plugin (the vendor calls it), so the key holds no tenant:

  pending callback  pk HOOK#<case id>  sk P#<plugin>

One item per case and plugin (a retry's request replaces it), kept as the record of the
vendor's callback like the case's other items.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.aws.dynamodb import dynamodb_table
from chalicelib.plugins.callbacks import PendingCallback


def _key(case_id: str, plugin: str) -> dict[str, str]:
    return {"pk": f"HOOK#{case_id}", "sk": f"P#{plugin}"}


class DynamoCallbackStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    def put_pending(self, callback: PendingCallback) -> None:
        item: dict[str, Any] = {
            **_key(callback.case_id, callback.plugin),
            "recordType": "pendingCallback",
            "callbackJson": callback.model_dump_json(exclude={"completed_at"}),
            "runKey": callback.run_key,
        }
        dynamodb_table(self._table_name).put_item(Item=item)

    def get(self, case_id: str, plugin: str) -> PendingCallback | None:
        item = (
            dynamodb_table(self._table_name)
            .get_item(Key=_key(case_id, plugin), ConsistentRead=True)
            .get("Item")
        )
        if item is None:
            return None
        callback = PendingCallback.model_validate_json(item["callbackJson"])
        return callback.model_copy(update={"completed_at": item.get("completedAt")})

    def complete(self, case_id: str, plugin: str, run_key: str, at: str) -> bool:
        try:
            dynamodb_table(self._table_name).update_item(
                Key=_key(case_id, plugin),
                UpdateExpression="SET completedAt = :at",
                ConditionExpression="runKey = :key AND attribute_not_exists(completedAt)",
                ExpressionAttributeValues={":at": at, ":key": run_key},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
