"""DynamoDB adapter of the published workflow definitions, on the cases table (every read a
GetItem or a Query on a key):

  newest version of each  pk T#<tenant>#WFDEFS              sk <definition id>   version
  each version            pk T#<tenant>#WFDEF#<definition>  sk V#<version, 8 digits>
A publish is one transaction: the newest-version item on the condition that it is still the
version before, the new version's item, and the admin-trail record.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.aws.dynamodb import dynamodb_resource, dynamodb_table
from chalicelib.aws.dynamodb_access import _failed_conditions, admin_audit_to_item
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.definitions import PublishedDefinition
from chalicelib.workflows.published import conflict


def latest_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#WFDEFS"


def versions_pk(tenant_id: str, definition_id: str) -> str:
    return f"T#{tenant_id}#WFDEF#{definition_id}"


def version_sk(version: int) -> str:
    return f"V#{version:08d}"


def _item_to_published(item: dict[str, Any]) -> PublishedDefinition:
    return PublishedDefinition.model_validate_json(item["publishedJson"])


class DynamoDefinitionStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def latest(self, tenant_id: str, definition_id: str) -> PublishedDefinition | None:
        key = {"pk": latest_pk(tenant_id), "sk": definition_id}
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _item_to_published(item) if item else None

    def get_version(
        self, tenant_id: str, definition_id: str, version: int
    ) -> PublishedDefinition | None:
        key = {"pk": versions_pk(tenant_id, definition_id), "sk": version_sk(version)}
        item = self._table.get_item(Key=key).get("Item")
        return _item_to_published(item) if item else None

    def list_latest(self, tenant_id: str) -> list[PublishedDefinition]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(latest_pk(tenant_id))}
        while True:
            response = self._table.query(**kwargs)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [_item_to_published(item) for item in items]

    def save(self, published: PublishedDefinition, audit: AdminAuditRecord) -> None:
        body = published.model_dump_json()
        expected = published.version - 1
        latest: dict[str, Any] = {
            "TableName": self._table_name,
            "Item": {
                "pk": latest_pk(published.tenant_id),
                "sk": published.definition_id,
                "recordType": "workflowDefinition",
                "version": published.version,
                "publishedJson": body,
            },
        }
        if expected == 0:
            latest["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            latest["ConditionExpression"] = "#v = :expected"
            latest["ExpressionAttributeNames"] = {"#v": "version"}
            latest["ExpressionAttributeValues"] = {":expected": expected}
        version_item = {
            "pk": versions_pk(published.tenant_id, published.definition_id),
            "sk": version_sk(published.version),
            "recordType": "workflowDefinitionVersion",
            "publishedJson": body,
        }
        try:
            dynamodb_resource().meta.client.transact_write_items(
                TransactItems=[
                    {"Put": latest},
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": version_item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table_name, "Item": admin_audit_to_item(audit)}},
                ]
            )
        except ClientError as exc:
            if set(_failed_conditions(exc)) & {0, 1}:
                now = self.latest(published.tenant_id, published.definition_id)
                raise conflict(now.version if now else 0) from exc
            raise
