"""DynamoDB adapter: the case store and the tenant directory on one table.

Keys (single-table design; every request is a GetItem or a Query on a key, never a Scan):
  case          pk T#<tenant>#C#<case>              sk CASE
  audit record  pk T#<tenant>#C#<case>              sk A#<at>#<event id>   (also the outbox)
  active claim  pk T#<tenant>#E#<workflow>#<entity> sk ACTIVE
  API key       pk K#<key hash>                     sk APIKEY
  reviewer      pk T#<tenant>#REVIEWERS             sk R#<reviewer id>
  search term   pk T#<tenant>#Q#<first char>        sk <term>#<case>        (prefix search)
  GSI1 by tenant:          gsi1pk T#<tenant>            gsi1sk <createdAt>#<case>
  GSI2 by tenant + status: gsi2pk T#<tenant>#S#<status> gsi2sk <createdAt>#<case>
  inbox indexes (rows only, no context): status or status + assignee, by createdAt or updatedAt
    inbox-status-updated    gsi2pk                                  updsk <updatedAt>#<case>
    inbox-assignee-created  gsi3pk T#<tenant>#S#<status>#A#<assignee or "-">  gsi2sk
    inbox-assignee-updated  gsi3pk                                  updsk
    awaiting a second approval (sparse: only cases with a pending approval have `approvalpk`)
    inbox-approval-created  approvalpk T#<tenant>#APPROVAL          gsi2sk
    inbox-approval-updated  approvalpk                              updsk
    by SLA deadline (sparse: only open cases whose state has a deadline have `slapk`)
    inbox-sla-due           slapk T#<tenant>#SLA                    slask <dueAt>#<case>
A context (with the config) too large for the case item is an S3 object in the documents bucket,
`tenants/<tenant>/cases/<case>/context/<sha256>.json`, named by the item's `contextRef`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import fields
from decimal import Decimal
from typing import Any, TypeVar

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError
from pydantic.alias_generators import to_camel

from chalicelib.aws.per_thread import per_thread
from chalicelib.aws.s3 import S3DocumentStorage
from chalicelib.caches import register
from chalicelib.cases.inbox import (
    READ_BUDGET_FACTOR,
    InboxPage,
    InboxQuery,
    InboxRow,
    merge_partitions,
)
from chalicelib.cases.search import normalise, search_index, search_partition_char
from chalicelib.cases.store import (
    SYNC_OWNED_FIELDS,
    ActiveCaseExists,
    CasePage,
    audit_records,
    token_digest,
)
from chalicelib.errors import PayloadTooLarge, ServiceUnavailable, VersionConflict
from chalicelib.models.case import (
    AuditRecord,
    Case,
    InflightTransition,
    MessageRecord,
    NoteRecord,
    PageStorage,
    SlaTimer,
    WorkflowTransition,
    migrate_legacy_records,
)
from chalicelib.models.reviewers import Reviewer

CASE_SK = "CASE"
GSI_BY_TENANT = "gsi1"
GSI_BY_STATUS = "gsi2"
UNASSIGNED = "-"
# The attributes an inbox row needs: the inbox indexes project these and nothing else.
INBOX_ROW_ATTRIBUTES = ("tenantId", *(to_camel(f.name) for f in fields(InboxRow)))
# (index name, partition key attribute, sort key attribute) per inbox access pattern: the
# partitions by status, by status + assignee, the sparse one of pending approvals and the sparse
# one of SLA deadlines.
INBOX_INDEXES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("status", "createdAt"): ("gsi2", "gsi2pk", "gsi2sk"),
    ("status", "updatedAt"): ("inbox-status-updated", "gsi2pk", "updsk"),
    ("assignee", "createdAt"): ("inbox-assignee-created", "gsi3pk", "gsi2sk"),
    ("assignee", "updatedAt"): ("inbox-assignee-updated", "gsi3pk", "updsk"),
    ("approval", "createdAt"): ("inbox-approval-created", "approvalpk", "gsi2sk"),
    ("approval", "updatedAt"): ("inbox-approval-updated", "approvalpk", "updsk"),
    # Sparse: only open cases whose state has an SLA deadline (written with the timer).
    ("sla", "dueAt"): ("inbox-sla-due", "slapk", "slask"),
}


@register
@per_thread
def dynamodb_resource() -> Any:
    return boto3.resource("dynamodb")


@register
@per_thread
def dynamodb_table(name: str) -> Any:
    # Building a boto3 Table resource costs about a millisecond: once per table (and thread).
    return dynamodb_resource().Table(name)


def _plain(value: Any) -> Any:
    """DynamoDB returns numbers as Decimal; the domain wants ints."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# BatchGetItem takes at most 100 keys per request.
BATCH_GET_KEYS = 100
BATCH_GET_ATTEMPTS = 5
BATCH_GET_BASE_DELAY = 0.05


def batch_get_items(
    client: Any,
    table_name: str,
    keys: Sequence[dict[str, Any]],
    *,
    attributes: Sequence[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """Every item of `keys` that exists (in no particular order): requests of at most 100 keys,
    and keys DynamoDB leaves unprocessed (throttling, 16 MB responses) asked again with
    exponential backoff and jitter. Still unprocessed after the last attempt, it raises rather
    than silently return fewer items."""
    unique = list({tuple(sorted(key.items())): key for key in keys}.values())
    request: dict[str, Any] = {}
    if attributes:
        names = {f"#a{i}": a for i, a in enumerate(attributes)}
        request = {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}
    items: list[dict[str, Any]] = []
    for start in range(0, len(unique), BATCH_GET_KEYS):
        pending = {table_name: {**request, "Keys": unique[start : start + BATCH_GET_KEYS]}}
        for attempt in range(BATCH_GET_ATTEMPTS):
            if attempt:
                sleep(random.uniform(0, BATCH_GET_BASE_DELAY * 2**attempt))
            response = client.batch_get_item(RequestItems=pending)
            items += response.get("Responses", {}).get(table_name, [])
            pending = response.get("UnprocessedKeys") or {}
            if not pending.get(table_name, {}).get("Keys"):
                break
        else:
            raise ServiceUnavailable("the case store is busy; retry shortly")
    return items


def case_pk(tenant_id: str, case_id: str) -> str:
    return f"T#{tenant_id}#C#{case_id}"


def claim_pk(tenant_id: str, workflow_id: str, entity_id: str) -> str:
    return f"T#{tenant_id}#E#{workflow_id}#{entity_id}"


def query_items(table: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query matches, following LastEvaluatedKey page by page."""
    while True:
        response = table.query(**kwargs)
        yield from response.get("Items", [])
        if "LastEvaluatedKey" not in response:
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


ThreadEntry = TypeVar("ThreadEntry", NoteRecord, MessageRecord)


def put_case_thread_entry(
    client: Any,
    table_name: str,
    entry: NoteRecord | MessageRecord,
    sort_key: str,
    audit: AuditRecord,
) -> None:
    """Adds an entry to one of a case's threads (internal notes, customer messages) with its audit
    record, in one transaction that also checks the case exists. The sort key starts with the
    thread's prefix and the entry's time, so a thread is read back in order by one Query."""
    pk = case_pk(entry.tenant_id, entry.case_id)
    record_type = "note" if isinstance(entry, NoteRecord) else "message"
    client.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": table_name,
                    "Key": {"pk": pk, "sk": CASE_SK},
                    "ConditionExpression": "attribute_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": table_name,
                    "Item": {
                        "pk": pk,
                        "sk": sort_key,
                        "recordType": record_type,
                        f"{record_type}Json": entry.model_dump_json(),
                    },
                }
            },
            {"Put": {"TableName": table_name, "Item": audit_to_item(audit)}},
        ]
    )


def read_case_thread(
    table: Any, tenant_id: str, case_id: str, prefix: str, model: type[ThreadEntry]
) -> list[ThreadEntry]:
    """A case's thread (see `put_case_thread_entry`), oldest first."""
    attribute = "noteJson" if model is NoteRecord else "messageJson"
    items = query_items(
        table,
        KeyConditionExpression=Key("pk").eq(case_pk(tenant_id, case_id))
        & Key("sk").begins_with(prefix),
    )
    return [model.model_validate_json(item[attribute]) for item in items]


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def case_attribute(field: str) -> str:
    """The item attribute of a Case field: camelCase, `Json` appended where kept as JSON text."""
    return to_camel(field) + ("Json" if field in Case.JSON_FIELDS else "")


# Page storage and the sync-owned fields have writers of their own; a case write leaves them.
_OWN_WRITERS = frozenset({"page_storage", *SYNC_OWNED_FIELDS})
# Attributes derived from the case (its indexes, counts, where its context lives); written with
# every case write.
_DERIVED_ATTRIBUTES = (
    "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "updsk", "approvalpk",
    "documentCount", "documentsNeedingDecision",
    "contextRef",  # set where the context lives in S3 (see `DynamoCaseStore._item_for_write`)
)  # fmt: skip
# Attributes written on every case write.
_CASE_FIELDS = (
    *(case_attribute(f) for f in Case.model_fields if f not in _OWN_WRITERS),
    *_DERIVED_ATTRIBUTES,
)


def case_to_item(case: Case) -> dict[str, Any]:
    sort_key = f"{case.created_at}#{case.case_id}"
    item: dict[str, Any] = {
        "pk": case_pk(case.tenant_id, case.case_id),
        "sk": CASE_SK,
        "recordType": "case",
    }
    for field, value in case.model_dump(mode="json").items():
        if field in Case.JSON_FIELDS:
            # JSON keeps the integrator's numbers and nesting exactly (a map would turn them
            # Decimal).
            item[case_attribute(field)] = json.dumps(value, separators=(",", ":"))
        else:
            item[case_attribute(field)] = _without_none(value)
    facts = case.facts
    return item | {
        "gsi1pk": f"T#{case.tenant_id}",
        "gsi1sk": sort_key,
        "gsi2pk": status_partition(case.tenant_id, case.status),
        "gsi2sk": sort_key,
        "gsi3pk": assignee_partition(case.tenant_id, case.status, case.assignee_id),
        "updsk": f"{case.updated_at}#{case.case_id}",
        # Sparse: the item leaves the index when the approval is confirmed, returned or voided.
        "approvalpk": (
            approval_partition(case.tenant_id) if case.pending_approval is not None else None
        ),
        "documentCount": len(facts.documents),
        "documentsNeedingDecision": facts.documents_needing_decision,
    }


def _without_none(value: Any) -> Any:
    """Nested maps keep only the keys that have a value (as the records were always stored)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


# The integrator's context and config stay on the case item up to this size (as stored: escaped
# JSON, where one non-ASCII character can take 12 bytes). Larger ones move to S3 and the item
# keeps a pointer, so anything within the 6 MB request limit fits DynamoDB's 400 KB item.
INLINE_CONTEXT_BYTES = 200 * 1024
_CONTEXT_ATTRIBUTES = ("contextJson", "configJson")


def context_key(tenant_id: str, case_id: str, body: bytes) -> str:
    """Content-addressed within the case: a write never replaces the object an earlier version
    of the item points to, so a failed or concurrent write cannot break a reader."""
    digest = hashlib.sha256(body).hexdigest()
    return f"tenants/{tenant_id}/cases/{case_id}/context/{digest}.json"


def status_partition(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#S#{status}"


def assignee_partition(tenant_id: str, status: str, assignee_id: str | None) -> str:
    return f"{status_partition(tenant_id, status)}#A#{assignee_id or UNASSIGNED}"


def approval_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#APPROVAL"


def item_to_case(item: dict[str, Any]) -> Case:
    item = _plain(item)
    values: dict[str, Any] = {}
    for field in Case.model_fields:
        value = item.get(case_attribute(field))
        if value is not None:
            values[field] = json.loads(value) if field in Case.JSON_FIELDS else value
    if "records_version" not in values:
        # Written before the case's records left the context: read it the way it was meant.
        values["records_version"] = Case.RECORDS_VERSION
        return migrate_legacy_records(Case.model_validate(values))
    return Case.model_validate(values)


def item_to_inbox_row(item: dict[str, Any]) -> InboxRow:
    item = _plain(item)
    values = {f.name: item.get(to_camel(f.name)) for f in fields(InboxRow)}
    return InboxRow(
        **values
        | {
            "document_count": values["document_count"] or 0,
            "documents_needing_decision": values["documents_needing_decision"] or 0,
            "flags": tuple(values["flags"] or ()),
        }
    )


def sla_partition(tenant_id: str) -> str:
    return f"T#{tenant_id}#SLA"


def _inbox_index(query: InboxQuery) -> tuple[str, str, str]:
    if query.sort == "dueAt":
        kind = "sla"
    elif query.awaiting_second_approval:
        kind = "approval"
    else:
        kind = "status" if query.assignees is None else "assignee"
    return INBOX_INDEXES[(kind, query.sort)]


def _inbox_partitions(query: InboxQuery) -> list[str]:
    # One partition for the sparse indexes: statuses, assignees (and a pending approval, for
    # the SLA one) are matched while reading it.
    if query.sort == "dueAt":
        return [sla_partition(query.tenant_id)]
    if query.awaiting_second_approval:
        return [approval_partition(query.tenant_id)]
    if query.assignees is None:
        return [status_partition(query.tenant_id, status) for status in query.statuses]
    return [
        assignee_partition(query.tenant_id, status, assignee)
        for status in query.statuses
        for assignee in query.assignees
    ]


def search_items(case: Case) -> list[dict[str, Any]]:
    index = search_index(case.entity_id, case.entity_name, case.entity_data)
    return [
        {
            "pk": f"T#{case.tenant_id}#Q#{search_partition_char(term)}",
            "sk": f"{term}#{case.case_id}",
            "recordType": "searchTerm",
            "caseId": case.case_id,
            "sources": sorted(sources),
        }
        for term, sources in index.items()
    ]


def _search_index_changes(table: str, before: Case, after: Case) -> list[dict[str, Any]]:
    """Deletes and puts that move a case's search terms from `before` to `after` (a term whose
    sources changed is put again)."""
    old = {item["sk"]: item for item in search_items(before)}
    new = {item["sk"]: item for item in search_items(after)}
    return [
        *(
            {"Delete": {"TableName": table, "Key": {"pk": old[sk]["pk"], "sk": sk}}}
            for sk in old.keys() - new.keys()
        ),
        *(
            {"Put": {"TableName": table, "Item": item}}
            for sk, item in new.items()
            if old.get(sk) != item
        ),
    ]


def audit_to_item(record: AuditRecord) -> dict[str, Any]:
    return {
        "pk": case_pk(record.tenant_id, record.case_id),
        "sk": f"A#{record.at}#{record.event_id}",
        "recordType": "audit",
        "recordJson": record.model_dump_json(),
    }


def item_to_audit(item: dict[str, Any]) -> AuditRecord:
    return AuditRecord.model_validate_json(item["recordJson"])


class DynamoCaseStore:
    def __init__(self, table_name: str, contexts: S3DocumentStorage | None = None) -> None:
        self._table_name = table_name
        # Where contexts too large for the item go; without it they stay inline (and a case
        # over the item limit is refused with 413).
        self._contexts = contexts

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    @property
    def _client(self) -> Any:
        # The resource's client serialises plain Python values, transactions included.
        return dynamodb_resource().meta.client

    def get_case(self, tenant_id: str, case_id: str) -> Case | None:
        item = self._table.get_item(
            Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK}, ConsistentRead=True
        ).get("Item")
        return self._case_from_item(item) if item else None

    def _case_from_item(self, item: dict[str, Any]) -> Case:
        ref = item.get("contextRef")
        if ref:
            if self._contexts is None:
                raise RuntimeError("the case's context is in S3 but the store has no bucket")
            item = {**item, **json.loads(self._contexts.get_object(ref))}
        return item_to_case(item)

    def _item_for_write(self, case: Case) -> dict[str, Any]:
        """The case item; a context too large for it is written to S3 first, and the item points
        to it (`contextRef`) instead of holding it."""
        item = {**case_to_item(case), "contextRef": None}
        inline = {name: item[name] for name in _CONTEXT_ATTRIBUTES}
        if self._contexts is None or sum(map(len, inline.values())) <= INLINE_CONTEXT_BYTES:
            return item
        body = json.dumps(inline, separators=(",", ":")).encode()
        key = context_key(case.tenant_id, case.case_id, body)
        self._contexts.put_object(key, body, "application/json")
        return {**item, "contextRef": key, **dict.fromkeys(_CONTEXT_ATTRIBUTES)}

    def find_active_case_id(self, tenant_id: str, workflow_id: str, entity_id: str) -> str | None:
        item = self._table.get_item(
            Key={"pk": claim_pk(tenant_id, workflow_id, entity_id), "sk": "ACTIVE"},
            ConsistentRead=True,
        ).get("Item")
        return item["caseId"] if item else None

    def create_case(self, case: Case, audit: AuditRecord) -> None:
        claim_key = claim_pk(case.tenant_id, case.workflow_definition_id, case.entity_id)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": {"pk": claim_key, "sk": "ACTIVE", "caseId": case.case_id},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": _drop_none(self._item_for_write(case)),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table_name, "Item": audit_to_item(audit)}},
                    *(
                        {"Put": {"TableName": self._table_name, "Item": item}}
                        for item in search_items(case)
                    ),
                ]
            )
        except ClientError as exc:
            if _cancelled_by_condition(exc, index=0):
                raise ActiveCaseExists(
                    self.find_active_case_id(
                        case.tenant_id, case.workflow_definition_id, case.entity_id
                    )
                ) from exc
            _raise_if_too_large(exc)
            raise

    def update_case(
        self,
        case: Case,
        *,
        expected_version: int,
        audit: AuditRecord | Sequence[AuditRecord],
        new_page_storage: dict[str, PageStorage] | None = None,
        previous: Case | None = None,
    ) -> Case:
        updated = case.model_copy(deep=True)
        updated.version = expected_version + 1
        item = self._item_for_write(updated)
        names: dict[str, str] = {"#version": "version"}
        values: dict[str, Any] = {":expected": expected_version}
        sets: list[str] = []
        removes: list[str] = []
        for index, field in enumerate(_CASE_FIELDS):
            names[f"#f{index}"] = field
            if item[field] is None:
                removes.append(f"#f{index}")
            else:
                values[f":f{index}"] = item[field]
                sets.append(f"#f{index} = :f{index}")
        for index, (page_id, storage) in enumerate((new_page_storage or {}).items()):
            names["#ps"], names[f"#p{index}"] = "pageStorage", page_id
            values[f":p{index}"] = storage.model_dump(exclude_none=True)
            sets.append(f"#ps.#p{index} = :p{index}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        writes: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table_name,
                    "Key": {"pk": item["pk"], "sk": CASE_SK},
                    "UpdateExpression": expression,
                    "ConditionExpression": "#version = :expected",
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                }
            },
            # One write can state several facts (a state change and the completion): all of
            # their audit records commit with it or none does.
            *(
                {"Put": {"TableName": self._table_name, "Item": audit_to_item(record)}}
                for record in audit_records(audit)
            ),
        ]
        if previous is not None:
            writes += _search_index_changes(self._table_name, previous, updated)
        if updated.status != "active":
            claim_key = claim_pk(case.tenant_id, case.workflow_definition_id, case.entity_id)
            writes.append(
                {
                    "Delete": {
                        "TableName": self._table_name,
                        "Key": {"pk": claim_key, "sk": "ACTIVE"},
                        "ConditionExpression": "attribute_not_exists(pk) OR caseId = :case",
                        "ExpressionAttributeValues": {":case": case.case_id},
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=writes)
        except ClientError as exc:
            if _cancelled_by_condition(exc, index=0):
                raise VersionConflict("the case was changed by someone else") from exc
            _raise_if_too_large(exc)
            raise
        for page_id, storage in (new_page_storage or {}).items():
            updated.page_storage.setdefault(page_id, storage)
        return updated

    def set_sla_timer(
        self, tenant_id: str, case_id: str, timer: SlaTimer, *, expected_generation: int | None
    ) -> bool:
        if expected_generation is None:
            condition = "attribute_exists(pk) AND attribute_not_exists(slaTimer)"
            values: dict[str, Any] = {}
        else:
            condition = "slaTimer.generation = :expected"
            values = {":expected": expected_generation}
        # The deadline index holds only cases whose state has a deadline.
        if timer.due_at is not None:
            expression = "SET slaTimer = :timer, slapk = :slapk, slask = :slask"
            values |= {
                ":slapk": sla_partition(tenant_id),
                ":slask": f"{timer.due_at}#{case_id}",
            }
        else:
            expression = "SET slaTimer = :timer REMOVE slapk, slask"
        try:
            self._table.update_item(
                Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues={":timer": timer.model_dump(exclude_none=True), **values},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def set_page_storage(
        self, tenant_id: str, case_id: str, page_id: str, storage: PageStorage, audit: AuditRecord
    ) -> None:
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": {"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                        "UpdateExpression": "SET pageStorage.#page = :storage",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#page": page_id},
                        "ExpressionAttributeValues": {
                            ":storage": storage.model_dump(exclude_none=True)
                        },
                    }
                },
                {"Put": {"TableName": self._table_name, "Item": audit_to_item(audit)}},
            ]
        )

    def park_task_token(
        self, tenant_id: str, case_id: str, state: str, token: str, audit: AuditRecord
    ) -> bool:
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table_name,
                            "Key": {"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                            "UpdateExpression": "SET taskToken = :token, taskTokenState = :state",
                            # The execution may lag behind the case (transitions not yet sent):
                            # park for the state it waits in, and never a token already used.
                            "ConditionExpression": (
                                "attribute_exists(pk) AND (executionState = :state OR "
                                "(attribute_not_exists(executionState) AND #state = :state)) "
                                "AND NOT contains(usedTokens, :digest)"
                            ),
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {
                                ":token": token,
                                ":state": state,
                                ":digest": token_digest(token),
                            },
                        }
                    },
                    {"Put": {"TableName": self._table_name, "Item": audit_to_item(audit)}},
                ]
            )
        except ClientError as exc:
            if _cancelled_by_condition(exc, index=0):
                return False
            raise
        return True

    def claim_transition(
        self,
        tenant_id: str,
        case_id: str,
        transition: WorkflowTransition,
        token: str,
        lease_until: str,
    ) -> bool:
        previous = transition.seq - 1
        delivered = "executionDelivered = :previous" + (
            " OR attribute_not_exists(executionDelivered)" if previous == 0 else ""
        )
        inflight = InflightTransition(
            **transition.model_dump(), token=token, lease_until=lease_until
        )
        try:
            self._table.update_item(
                Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                UpdateExpression=(
                    "SET executionDelivered = :seq, executionState = :to, "
                    "executionInflight = :inflight REMOVE taskToken, taskTokenState "
                    "ADD usedTokens :digests"
                ),
                ConditionExpression=(
                    f"attribute_exists(pk) AND ({delivered}) AND taskToken = :token "
                    "AND taskTokenState = :from AND attribute_not_exists(executionInflight)"
                ),
                ExpressionAttributeValues={
                    ":previous": previous,
                    ":seq": transition.seq,
                    ":to": transition.to_state,
                    ":from": transition.from_state,
                    ":token": token,
                    ":inflight": inflight.model_dump(),
                    ":digests": {token_digest(token)},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def lease_transition(
        self, tenant_id: str, case_id: str, seq: int, expected_lease: str, lease_until: str
    ) -> bool:
        try:
            self._table.update_item(
                Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                UpdateExpression="SET executionInflight.lease_until = :lease",
                ConditionExpression=(
                    "executionInflight.seq = :seq AND executionInflight.lease_until = :expected"
                ),
                ExpressionAttributeValues={
                    ":seq": seq,
                    ":expected": expected_lease,
                    ":lease": lease_until,
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def finish_transition(self, tenant_id: str, case_id: str, seq: int) -> None:
        try:
            self._table.update_item(
                Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                UpdateExpression="REMOVE executionInflight",
                ConditionExpression="executionInflight.seq = :seq",
                ExpressionAttributeValues={":seq": seq},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def restart_execution(self, tenant_id: str, case_id: str, state: str) -> bool:
        try:
            self._table.update_item(
                Key={"pk": case_pk(tenant_id, case_id), "sk": CASE_SK},
                UpdateExpression=(
                    "SET executionState = :state "
                    "REMOVE taskToken, taskTokenState, executionInflight"
                ),
                ConditionExpression=(
                    "attribute_exists(pk) AND (executionState = :state OR "
                    "(attribute_not_exists(executionState) AND #state = :state))"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={":state": state},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def list_cases(
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict[str, Any] | None
    ) -> CasePage:
        if status:
            index, condition = GSI_BY_STATUS, Key("gsi2pk").eq(f"T#{tenant_id}#S#{status}")
        else:
            index, condition = GSI_BY_TENANT, Key("gsi1pk").eq(f"T#{tenant_id}")
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        response = self._table.query(**kwargs)
        cases = [self._case_from_item(item) for item in response.get("Items", [])]
        return CasePage(cases, response.get("LastEvaluatedKey"), response.get("ScannedCount", 0))

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]:
        items = query_items(
            self._table,
            KeyConditionExpression=Key("pk").eq(case_pk(tenant_id, case_id))
            & Key("sk").begins_with("A#"),
        )
        return [item_to_audit(item) for item in items]

    def recent_audit(self, tenant_id: str, case_id: str, limit: int) -> list[AuditRecord]:
        # Newest first with a Limit: one Query reads `limit` items however long the trail is.
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(case_pk(tenant_id, case_id))
            & Key("sk").begins_with("A#"),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [item_to_audit(item) for item in reversed(response.get("Items", []))]

    def add_note(self, note: NoteRecord, audit: AuditRecord) -> None:
        sort_key = f"N#{note.created_at}#{note.note_id}"
        put_case_thread_entry(self._client, self._table_name, note, sort_key, audit)

    def list_notes(self, tenant_id: str, case_id: str) -> list[NoteRecord]:
        return read_case_thread(self._table, tenant_id, case_id, "N#", NoteRecord)

    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        if query.search:
            return self._search_page(query, boundary)
        index, pk_attr, sk_attr = _inbox_index(query)
        budget = query.limit * READ_BUDGET_FACTOR
        partitions: list[tuple[list[InboxRow], str | None]] = []
        items_read = 0
        for partition in _inbox_partitions(query):
            condition = Key(pk_attr).eq(partition)
            sk = Key(sk_attr)
            if query.sort == "dueAt" and query.due_before:
                # Breached only: the deadlines before now, and nothing after them is read.
                if query.descending:
                    condition &= sk.lt(min(boundary or query.due_before, query.due_before))
                elif boundary:
                    condition &= sk.between(boundary, query.due_before)
                else:
                    condition &= sk.lt(query.due_before)
            elif boundary:
                condition &= sk.lt(boundary) if query.descending else sk.gt(boundary)
            kwargs: dict[str, Any] = {
                "IndexName": index,
                "KeyConditionExpression": condition,
                "ScanIndexForward": not query.descending,
                "Limit": query.limit + 1,
            }
            found: list[InboxRow] = []
            frontier: str | None = None
            read = 0
            while True:
                response = self._table.query(**kwargs)
                read += response.get("ScannedCount", 0)
                found += [
                    r
                    for r in map(item_to_inbox_row, response["Items"])
                    if query.matches(r) and query.sort_key(r) != boundary
                ]
                last = response.get("LastEvaluatedKey")
                if last is None or len(found) > query.limit:
                    frontier = last[sk_attr] if last and len(found) <= query.limit else None
                    break
                if read >= budget:
                    frontier = last[sk_attr]
                    break
                kwargs["ExclusiveStartKey"] = last
            items_read += read
            partitions.append((found, frontier))
        return merge_partitions(query, partitions, items_read)

    def _search_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        term = normalise(query.search or "")
        pk = f"T#{query.tenant_id}#Q#{search_partition_char(term)}"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(term),
            "Limit": query.limit * READ_BUDGET_FACTOR,
        }
        if boundary:
            kwargs["ExclusiveStartKey"] = {"pk": pk, "sk": boundary}
        response = self._table.query(**kwargs)
        index_items = response["Items"]
        items_read = response.get("ScannedCount", 0)
        rows_by_id: dict[str, InboxRow] = {}
        case_ids = list(dict.fromkeys(item["caseId"] for item in index_items))
        if case_ids:
            items = batch_get_items(
                self._client,
                self._table_name,
                [{"pk": case_pk(query.tenant_id, c), "sk": CASE_SK} for c in case_ids],
                attributes=INBOX_ROW_ATTRIBUTES,
            )
            items_read += len(items)
            rows_by_id = {item["caseId"]: item_to_inbox_row(item) for item in items}
        matched_in: dict[str, set[str]] = {}
        for item in index_items:
            matched_in.setdefault(item["caseId"], set()).update(item.get("sources", ()))
        # Walk the index in order so the cursor lands right after the last case shown.
        rows: list[InboxRow] = []
        for item in index_items:
            row = rows_by_id.pop(item["caseId"], None)
            if row is not None and query.matches(row):
                rows.append(dataclasses.replace(row, matched_in=frozenset(matched_in[row.case_id])))
                if len(rows) == query.limit:
                    return InboxPage(rows, item["sk"], items_read)
        last = response.get("LastEvaluatedKey")
        return InboxPage(rows, last["sk"] if last else None, items_read)


class DynamoTenantDirectory:
    """API keys (stored only as peppered hashes) and the tenants they belong to."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def tenant_for_key_hash(self, key_hash: str) -> str | None:
        item = self._table.get_item(Key={"pk": f"K#{key_hash}", "sk": "APIKEY"}).get("Item")
        if not item or item.get("revokedAt"):
            return None
        return str(item["tenantId"])

    def put_api_key(self, key_hash: str, tenant_id: str, label: str, created_at: str) -> None:
        self._table.put_item(
            Item={
                "pk": f"K#{key_hash}",
                "sk": "APIKEY",
                "recordType": "apiKey",
                "tenantId": tenant_id,
                "label": label,
                "createdAt": created_at,
            }
        )


def _cancelled_by_condition(exc: ClientError, *, index: int) -> bool:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return False
    reasons = exc.response.get("CancellationReasons") or []
    return len(reasons) > index and reasons[index].get("Code") == "ConditionalCheckFailed"


def _raise_if_too_large(exc: ClientError) -> None:
    """What is left on the case item besides the context (page storage, above all) can still
    outgrow DynamoDB's 400 KB: the client sent too much, so 413 rather than a 500."""
    reasons = exc.response.get("CancellationReasons") or []
    messages = [exc.response.get("Error", {}).get("Message") or ""]
    messages += [reason.get("Message") or "" for reason in reasons]
    if any("Item size has exceeded" in message for message in messages):
        raise PayloadTooLarge(
            "the case would exceed DynamoDB's 400 KB item limit; send fewer documents or pages"
        ) from exc


def audit_record_from_stream_image(new_image: dict[str, Any]) -> AuditRecord | None:
    """The audit record in a stream record's NewImage (DynamoDB JSON), if it is one."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    image = {key: deserializer.deserialize(value) for key, value in new_image.items()}
    if image.get("recordType") != "audit":
        return None
    return item_to_audit(image)


def reviewers_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#REVIEWERS"


class DynamoReviewerDirectory:
    """Reviewers by tenant: pk T#<tenant>#REVIEWERS, sk R#<reviewer id>; listing is one Query."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

    @property
    def _table(self) -> Any:
        return dynamodb_table(self._table_name)

    def get_reviewer(self, tenant_id: str, reviewer_id: str) -> Reviewer | None:
        item = self._table.get_item(
            Key={"pk": reviewers_pk(tenant_id), "sk": f"R#{reviewer_id}"}
        ).get("Item")
        return Reviewer.model_validate_json(item["reviewerJson"]) if item else None

    def list_reviewers(self, tenant_id: str) -> list[Reviewer]:
        items = query_items(
            self._table, KeyConditionExpression=Key("pk").eq(reviewers_pk(tenant_id))
        )
        reviewers = [Reviewer.model_validate_json(item["reviewerJson"]) for item in items]
        return sorted(reviewers, key=lambda r: (r.name.lower(), r.id))

    def put_reviewer(self, reviewer: Reviewer) -> None:
        self._table.put_item(
            Item={
                "pk": reviewers_pk(reviewer.tenant_id),
                "sk": f"R#{reviewer.id}",
                "recordType": "reviewer",
                "reviewerJson": reviewer.model_dump_json(),
            }
        )
