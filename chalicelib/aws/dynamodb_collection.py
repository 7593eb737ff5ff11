"""DynamoDB adapter of the collection store, on the cases table.

Keys (every request a GetItem or a Query on a key):
  collection link  pk CL#<sha256 of the token>   sk LINK       (the token itself is never kept)
  round timer      pk CTIMER                     sk <due at>#<tenant>#<case>#<round>#<gen>#<kind>
  message          pk T#<tenant>#C#<case>        sk M#<created at>#<message id>
A message is written with its audit record (`A#...` in the case's partition) in one transaction.
Timers share one partition: a sweep reads only what is due, and there are at most a few per
open round.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from chalicelib.auth.collection_tokens import CollectionGrant
from chalicelib.aws.dynamodb import (
    dynamodb_resource,
    dynamodb_table,
    put_case_thread_entry,
    read_case_thread,
)
from chalicelib.collection.store import LinkRecord, RoundTimer
from chalicelib.models.case import AuditRecord, MessageRecord

TIMERS_PK = "CTIMER"


def link_pk(token_hash: str) -> str:
    return f"CL#{token_hash}"


class DynamoCollectionStore:
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def put_link(self, link: LinkRecord) -> None:
        self._table.put_item(
            Item={
                "pk": link_pk(link.token_hash),
                "sk": "LINK",
                "recordType": "collectionLink",
                "tenantId": link.tenant_id,
                "caseId": link.case_id,
                "roundNumber": link.round_number,
                "generation": link.generation,
                "expiresAt": link.expires_at,
                "createdAt": link.created_at,
                "channel": link.channel,
            }
        )

    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None:
        item = self._table.get_item(Key={"pk": link_pk(token_hash), "sk": "LINK"}).get("Item")
        if item is None:
            return None
        return LinkRecord(
            token_hash=token_hash,
            tenant_id=str(item["tenantId"]),
            case_id=str(item["caseId"]),
            round_number=int(item["roundNumber"]),
            generation=int(item["generation"]),
            expires_at=str(item["expiresAt"]),
            created_at=str(item["createdAt"]),
            channel=str(item["channel"]),
        ).grant()

    def put_timers(self, timers: list[RoundTimer]) -> None:
        with self._table.batch_writer() as batch:
            for timer in timers:
                batch.put_item(
                    Item={
                        "pk": TIMERS_PK,
                        "sk": timer.sort_key,
                        "recordType": "collectionTimer",
                        "dueAt": timer.due_at,
                        "tenantId": timer.tenant_id,
                        "caseId": timer.case_id,
                        "roundNumber": timer.round_number,
                        "generation": timer.generation,
                        "kind": timer.kind,
                    }
                )

    def due_timers(self, now: str, limit: int) -> list[RoundTimer]:
        # `~` sorts after every character of a timer's key: everything due up to `now`.
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(TIMERS_PK) & Key("sk").lte(f"{now}~"),
            Limit=limit,
        )
        return [
            RoundTimer(
                due_at=str(item["dueAt"]),
                tenant_id=str(item["tenantId"]),
                case_id=str(item["caseId"]),
                round_number=int(item["roundNumber"]),
                generation=int(item["generation"]),
                kind=item["kind"],
            )
            for item in response.get("Items", [])
            if str(item["dueAt"]) <= now
        ]

    def delete_timer(self, timer: RoundTimer) -> None:
        self._table.delete_item(Key={"pk": TIMERS_PK, "sk": timer.sort_key})

    def add_message(self, message: MessageRecord, audit: AuditRecord) -> None:
        sort_key = f"M#{message.created_at}#{message.message_id}"
        client = dynamodb_resource().meta.client
        put_case_thread_entry(client, self._table_name, message, sort_key, audit)

    def list_messages(self, tenant_id: str, case_id: str) -> list[MessageRecord]:
        return read_case_thread(self._table, tenant_id, case_id, "M#", MessageRecord)
