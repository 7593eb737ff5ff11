"""DynamoDB adapter of the tenant's access store: the reviewer directory, custom roles and the
admin trail, on the cases table (every read a GetItem, BatchGetItem or a Query on a key).

  reviewer      pk T#<tenant>#REVIEWERS  sk R#<reviewer id>   (see DynamoReviewerDirectory)
  custom role   pk T#<tenant>#ROLES      sk ROLE#<role id>    version, holders
  admin trail   pk T#<tenant>#ADMIN      sk A#<at>#<event id>
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.auth.access import (
    AdminAuditPage,
    RoleInUse,
    custom_role_ids,
    role_changes,
    unknown_roles_error,
)
from chalicelib.aws.dynamodb import (
    DynamoReviewerDirectory,
    batch_get_items,
    dynamodb_resource,
    query_items,
    reviewers_pk,
)
from chalicelib.errors import Conflict, NotFound, VersionConflict
from chalicelib.models.admin import AdminAuditRecord, CustomRole
from chalicelib.models.reviewers import Reviewer


def roles_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ROLES"


def admin_trail_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ADMIN"


def _role_key(tenant_id: str, role_id: str) -> dict[str, str]:
    return {"pk": roles_pk(tenant_id), "sk": f"ROLE#{role_id}"}


def _reviewer_key(tenant_id: str, reviewer_id: str) -> dict[str, str]:
    return {"pk": reviewers_pk(tenant_id), "sk": f"R#{reviewer_id}"}


def role_to_item(role: CustomRole) -> dict[str, Any]:
    # version and holders are attributes of their own: conditions and counters act on them.
    return {
        **_role_key(role.tenant_id, role.role_id),
        "recordType": "role",
        "roleJson": role.model_dump_json(exclude={"version", "holders"}),
        "version": role.version,
        "holders": role.holders,
    }


def item_to_role(item: dict[str, Any]) -> CustomRole:
    role = CustomRole.model_validate_json(item["roleJson"])
    return role.model_copy(
        update={"version": int(item["version"]), "holders": int(item.get("holders", 0))}
    )


def admin_audit_to_item(record: AdminAuditRecord) -> dict[str, Any]:
    return {
        "pk": admin_trail_pk(record.tenant_id),
        "sk": f"A#{record.at}#{record.event_id}",
        "recordType": "adminAudit",
        "recordJson": record.model_dump_json(),
    }


def _failed_conditions(exc: ClientError) -> list[int]:
    """Which items of a cancelled transaction failed their condition (empty: another cause)."""
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons = exc.response.get("CancellationReasons") or []
    return [i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"]


class DynamoAccessStore(DynamoReviewerDirectory):
    @property
    def _client(self) -> Any:
        return dynamodb_resource().meta.client

    def get_custom_roles(self, tenant_id: str, role_ids: Collection[str]) -> dict[str, CustomRole]:
        ids = sorted(set(role_ids))
        if not ids:
            return {}
        if len(ids) == 1:
            item = self._table.get_item(Key=_role_key(tenant_id, ids[0])).get("Item")
            items = [item] if item else []
        else:
            items = batch_get_items(
                self._client, self._table_name, [_role_key(tenant_id, r) for r in ids]
            )
        roles = [item_to_role(item) for item in items]
        return {role.role_id: role for role in roles}

    def list_custom_roles(self, tenant_id: str) -> list[CustomRole]:
        items = query_items(self._table, KeyConditionExpression=Key("pk").eq(roles_pk(tenant_id)))
        return sorted(map(item_to_role, items), key=lambda r: r.role_id)

    def _audit_put(self, record: AdminAuditRecord) -> dict[str, Any]:
        return {"Put": {"TableName": self._table_name, "Item": admin_audit_to_item(record)}}

    def create_role(self, role: CustomRole, audit: AdminAuditRecord) -> None:
        item = role_to_item(role.model_copy(update={"version": 1, "holders": 0}))
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    self._audit_put(audit),
                ]
            )
        except ClientError as exc:
            if 0 in _failed_conditions(exc):
                raise Conflict(f"a role `{role.role_id}` exists already") from exc
            raise

    def update_role(
        self, role: CustomRole, expected_version: int, audit: AdminAuditRecord
    ) -> CustomRole:
        updated = role.model_copy(update={"version": expected_version + 1})
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table_name,
                            "Key": _role_key(role.tenant_id, role.role_id),
                            "UpdateExpression": "SET roleJson = :json, #v = :next",
                            "ConditionExpression": "#v = :expected",
                            "ExpressionAttributeNames": {"#v": "version"},
                            "ExpressionAttributeValues": {
                                ":json": updated.model_dump_json(exclude={"version", "holders"}),
                                ":next": expected_version + 1,
                                ":expected": expected_version,
                            },
                        }
                    },
                    self._audit_put(audit),
                ]
            )
        except ClientError as exc:
            if 0 in _failed_conditions(exc):
                self._raise_role_conflict(role.tenant_id, role.role_id)
            raise
        current = self.get_custom_roles(role.tenant_id, [role.role_id])
        return current.get(role.role_id, updated)

    def delete_role(
        self, tenant_id: str, role_id: str, expected_version: int, audit: AdminAuditRecord
    ) -> None:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table_name,
                            "Key": _role_key(tenant_id, role_id),
                            "ConditionExpression": "#v = :expected AND holders = :zero",
                            "ExpressionAttributeNames": {"#v": "version"},
                            "ExpressionAttributeValues": {
                                ":expected": expected_version,
                                ":zero": 0,
                            },
                        }
                    },
                    self._audit_put(audit),
                ]
            )
        except ClientError as exc:
            if 0 in _failed_conditions(exc):
                current = self._raise_role_conflict(tenant_id, role_id, expected_version)
                raise RoleInUse(
                    f"{current.holders} user(s) hold the role; take it from them first",
                    details={"holders": current.holders},
                ) from exc
            raise

    def _raise_role_conflict(
        self, tenant_id: str, role_id: str, expected_version: int | None = None
    ) -> CustomRole:
        """Why a role's condition failed: gone (404) or moved on (409); else the role as it is."""
        current = self.get_custom_roles(tenant_id, [role_id]).get(role_id)
        if current is None:
            raise NotFound("no such role")
        if expected_version is None or current.version != expected_version:
            raise VersionConflict(
                "the role was changed by someone else; reload it",
                details={"currentVersion": current.version},
            )
        return current

    def _holder_updates(self, tenant_id: str, given: list[str], taken: list[str]) -> list[Any]:
        updates = []
        for role_id, step in [*((r, 1) for r in given), *((r, -1) for r in taken)]:
            update: dict[str, Any] = {
                "TableName": self._table_name,
                "Key": _role_key(tenant_id, role_id),
                "UpdateExpression": "ADD holders :step",
                "ExpressionAttributeValues": {":step": step},
            }
            # A role given must exist: a concurrent delete makes the whole write fail.
            update["ConditionExpression"] = "attribute_exists(pk)"
            updates.append({"Update": update})
        return updates

    def put_reviewer(self, reviewer: Reviewer) -> None:
        self._table.put_item(Item=self._reviewer_item(reviewer))

    def _reviewer_item(self, reviewer: Reviewer) -> dict[str, Any]:
        return {
            **_reviewer_key(reviewer.tenant_id, reviewer.id),
            "recordType": "reviewer",
            "reviewerJson": reviewer.model_dump_json(exclude={"permissions"}),
            "version": reviewer.version,
        }

    def create_reviewer(self, reviewer: Reviewer, audit: AdminAuditRecord) -> None:
        created = reviewer.model_copy(update={"version": 1})
        given = custom_role_ids(reviewer.roles)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": self._reviewer_item(created),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    *self._holder_updates(reviewer.tenant_id, given, []),
                    self._audit_put(audit),
                ]
            )
        except ClientError as exc:
            failed = _failed_conditions(exc)
            if 0 in failed:
                raise Conflict(f"{reviewer.email} is a user of this tenant already") from exc
            if failed:
                raise unknown_roles_error([given[i - 1] for i in failed]) from exc
            raise

    def update_reviewer(
        self, reviewer: Reviewer, expected_version: int, audits: list[AdminAuditRecord]
    ) -> Reviewer:
        current = self.get_reviewer(reviewer.tenant_id, reviewer.id)
        if current is None:
            raise NotFound("no such user")
        if current.version != expected_version:
            raise VersionConflict(
                "the user was changed by someone else; reload",
                details={"currentVersion": current.version},
            )
        given, taken = role_changes(current.roles, reviewer.roles)
        # A role taken that is gone already has no count to keep (and ADD would recreate it).
        taken = sorted(self.get_custom_roles(reviewer.tenant_id, taken))
        updated = reviewer.model_copy(update={"version": expected_version + 1})
        # Items written before users had versions have no attribute: they are version 1.
        condition = "#v = :expected" + (
            " OR attribute_not_exists(#v)" if expected_version == 1 else ""
        )
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": self._reviewer_item(updated),
                            "ConditionExpression": f"attribute_exists(pk) AND ({condition})",
                            "ExpressionAttributeNames": {"#v": "version"},
                            "ExpressionAttributeValues": {":expected": expected_version},
                        }
                    },
                    *self._holder_updates(reviewer.tenant_id, given, taken),
                    *map(self._audit_put, audits),
                ]
            )
        except ClientError as exc:
            failed = _failed_conditions(exc)
            if 0 in failed:
                raise VersionConflict("the user was changed by someone else; reload") from exc
            if failed:
                raise unknown_roles_error(
                    [given[i - 1] for i in failed if i <= len(given)]
                ) from exc
            raise
        return updated

    def admin_audit_page(
        self, tenant_id: str, *, limit: int, start_key: dict[str, Any] | None
    ) -> AdminAuditPage:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(admin_trail_pk(tenant_id)),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        response = self._table.query(**kwargs)
        records = [
            AdminAuditRecord.model_validate_json(item["recordJson"])
            for item in response.get("Items", [])
        ]
        return AdminAuditPage(records, response.get("LastEvaluatedKey"))


def admin_audit_from_stream_image(new_image: dict[str, Any]) -> AdminAuditRecord | None:
    """The admin-trail record in a stream record's NewImage (DynamoDB JSON), if it is one."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    if deserializer.deserialize(new_image.get("recordType", {"NULL": True})) != "adminAudit":
        return None
    return AdminAuditRecord.model_validate_json(deserializer.deserialize(new_image["recordJson"]))
