"""DynamoDB adapter of the saved-view store, on the cases table (every read a Query on a key or
a BatchGetItem):

  personal view  pk T#<tenant>#VIEWS#U#<owner>  sk V#<view id>
  shared view    pk T#<tenant>#VIEWS#SHARED     sk V#<view id>
A reviewer's list is two Queries (their own partition and the shared one), whatever the number
of other users' views. Each write is one transaction with its admin-trail record; sharing or
unsharing a view moves it between partitions in that transaction.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.aws.dynamodb import batch_get_items, dynamodb_resource, dynamodb_table, query_items
from chalicelib.aws.dynamodb_access import _failed_conditions, admin_audit_to_item
from chalicelib.errors import NotFound, VersionConflict
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.views import SavedView
from chalicelib.views.store import _by_name


def personal_views_pk(tenant_id: str, owner_id: str) -> str:
    return f"T#{tenant_id}#VIEWS#U#{owner_id}"


def shared_views_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#VIEWS#SHARED"


def _key(view: SavedView) -> dict[str, str]:
    pk = (
        shared_views_pk(view.tenant_id)
        if view.shared
        else personal_views_pk(view.tenant_id, view.owner_id)
    )
    return {"pk": pk, "sk": f"V#{view.view_id}"}


def view_to_item(view: SavedView) -> dict[str, Any]:
    # The version is an attribute of its own: the conditions act on it.
    return {
        **_key(view),
        "recordType": "savedView",
        "viewJson": view.model_dump_json(exclude={"version"}),
        "version": view.version,
    }


def item_to_view(item: dict[str, Any]) -> SavedView:
    view = SavedView.model_validate_json(item["viewJson"])
    return view.model_copy(update={"version": int(item["version"])})


class DynamoViewStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def list_views(self, tenant_id: str, reviewer_id: str) -> list[SavedView]:
        views = [
            item_to_view(item)
            for pk in (shared_views_pk(tenant_id), personal_views_pk(tenant_id, reviewer_id))
            for item in query_items(self._table, KeyConditionExpression=Key("pk").eq(pk))
        ]
        return _by_name(views)

    def get_view(self, tenant_id: str, reviewer_id: str, view_id: str) -> SavedView | None:
        keys = [
            {"pk": pk, "sk": f"V#{view_id}"}
            for pk in (shared_views_pk(tenant_id), personal_views_pk(tenant_id, reviewer_id))
        ]
        items = batch_get_items(dynamodb_resource().meta.client, self._table_name, keys)
        return item_to_view(items[0]) if items else None

    def _write(self, items: list[dict[str, Any]], view: SavedView, expected: int | None) -> None:
        try:
            dynamodb_resource().meta.client.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if 0 not in _failed_conditions(exc):
                raise
            current = self.get_view(view.tenant_id, view.owner_id, view.view_id)
            if current is None or expected is None:
                raise NotFound("no such view") from exc
            raise VersionConflict(
                "the view changed since you read it", details={"currentVersion": current.version}
            ) from exc

    def _audit_put(self, audit: AdminAuditRecord) -> dict[str, Any]:
        return {"Put": {"TableName": self._table_name, "Item": admin_audit_to_item(audit)}}

    def _delete(self, view: SavedView, expected_version: int) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self._table_name,
                "Key": _key(view),
                "ConditionExpression": "#v = :expected",
                "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":expected": expected_version},
            }
        }

    def create_view(self, view: SavedView, audit: AdminAuditRecord) -> None:
        item = view_to_item(view.model_copy(update={"version": 1}))
        put = {"TableName": self._table_name, "Item": item}
        self._write(
            [
                {"Put": {**put, "ConditionExpression": "attribute_not_exists(pk)"}},
                self._audit_put(audit),
            ],
            view,
            None,
        )

    def update_view(
        self, before: SavedView, after: SavedView, expected_version: int, audit: AdminAuditRecord
    ) -> SavedView:
        stored = after.model_copy(update={"version": expected_version + 1})
        put: dict[str, Any] = {"TableName": self._table_name, "Item": view_to_item(stored)}
        if _key(before) == _key(after):
            put["ConditionExpression"] = "#v = :expected"
            put["ExpressionAttributeNames"] = {"#v": "version"}
            put["ExpressionAttributeValues"] = {":expected": expected_version}
            items = [{"Put": put}, self._audit_put(audit)]
        else:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
            items = [self._delete(before, expected_version), {"Put": put}, self._audit_put(audit)]
        self._write(items, before, expected_version)
        return stored

    def delete_view(self, view: SavedView, expected_version: int, audit: AdminAuditRecord) -> None:
        self._write(
            [self._delete(view, expected_version), self._audit_put(audit)], view, expected_version
        )
