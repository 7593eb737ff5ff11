"""DynamoDB adapter of the layout store, on the cases table (every read a GetItem or a Query on
a key):

  current layout  pk T#<tenant>#LAYOUT#<workflow definition>  sk CURRENT        version
  each version    pk T#<tenant>#LAYOUT#<workflow definition>  sk V#<version, 8 digits>
and a layout for one version of the definition (8 digits too) beside them:
  current layout  pk (the same)                                sk CURRENT#D<definition version>
  each version    pk (the same)                                sk D<definition version>#V#<version>
so the layouts a case view chooses from are one Query (`sk` beginning with CURRENT).
A save is one transaction: the current item on the condition that it is still the version the
editor read, the new version's item, and the admin-trail record.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.aws.dynamodb import dynamodb_resource, dynamodb_table, query_items
from chalicelib.aws.dynamodb_access import _failed_conditions, admin_audit_to_item
from chalicelib.layouts.store import conflict
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.layouts import LayoutVersion

CURRENT_SK = "CURRENT"


def layouts_pk(tenant_id: str, workflow_definition_id: str) -> str:
    return f"T#{tenant_id}#LAYOUT#{workflow_definition_id}"


def current_sk(definition_version: int | None) -> str:
    return CURRENT_SK if definition_version is None else f"{CURRENT_SK}#D{definition_version:08d}"


def versions_prefix(definition_version: int | None) -> str:
    return "V#" if definition_version is None else f"D{definition_version:08d}#V#"


def version_sk(definition_version: int | None, version: int) -> str:
    return f"{versions_prefix(definition_version)}{version:08d}"


def _item_to_version(item: dict[str, Any]) -> LayoutVersion:
    return LayoutVersion.model_validate_json(item["versionJson"])


class DynamoLayoutStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def current(
        self, tenant_id: str, workflow_definition_id: str, definition_version: int | None
    ) -> LayoutVersion | None:
        key = {
            "pk": layouts_pk(tenant_id, workflow_definition_id),
            "sk": current_sk(definition_version),
        }
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return _item_to_version(item) if item else None

    def currents(self, tenant_id: str, workflow_definition_id: str) -> list[LayoutVersion]:
        return [
            _item_to_version(item)
            for item in query_items(
                self._table,
                KeyConditionExpression=Key("pk").eq(layouts_pk(tenant_id, workflow_definition_id))
                & Key("sk").begins_with(CURRENT_SK),
                ConsistentRead=True,
            )
        ]

    def history(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        limit: int,
    ) -> list[LayoutVersion]:
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(layouts_pk(tenant_id, workflow_definition_id))
            & Key("sk").begins_with(versions_prefix(definition_version)),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_item_to_version(item) for item in response.get("Items", [])]

    def get_version(
        self,
        tenant_id: str,
        workflow_definition_id: str,
        definition_version: int | None,
        version: int,
    ) -> LayoutVersion | None:
        key = {
            "pk": layouts_pk(tenant_id, workflow_definition_id),
            "sk": version_sk(definition_version, version),
        }
        item = self._table.get_item(Key=key).get("Item")
        return _item_to_version(item) if item else None

    def save(self, saved: LayoutVersion, audit: AdminAuditRecord) -> None:
        pk = layouts_pk(saved.tenant_id, saved.workflow_definition_id)
        body = saved.model_dump_json()
        expected = saved.version - 1
        current: dict[str, Any] = {
            "TableName": self._table_name,
            "Item": {
                "pk": pk,
                "sk": current_sk(saved.definition_version),
                "recordType": "layout",
                "version": saved.version,
                "versionJson": body,
            },
        }
        if expected == 0:
            current["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            current["ConditionExpression"] = "#v = :expected"
            current["ExpressionAttributeNames"] = {"#v": "version"}
            current["ExpressionAttributeValues"] = {":expected": expected}
        try:
            dynamodb_resource().meta.client.transact_write_items(
                TransactItems=[
                    {"Put": current},
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": {
                                "pk": pk,
                                "sk": version_sk(saved.definition_version, saved.version),
                                "recordType": "layoutVersion",
                                "versionJson": body,
                            },
                        }
                    },
                    {"Put": {"TableName": self._table_name, "Item": admin_audit_to_item(audit)}},
                ]
            )
        except ClientError as exc:
            if 0 in _failed_conditions(exc):
                now = self.current(
                    saved.tenant_id, saved.workflow_definition_id, saved.definition_version
                )
                raise conflict(now.version if now else 0) from exc
            raise
