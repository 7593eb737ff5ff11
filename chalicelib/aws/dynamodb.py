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
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.aws.per_thread import per_thread
from chalicelib.cases.inbox import (
    READ_BUDGET_FACTOR,
    InboxPage,
    InboxQuery,
    InboxRow,
    merge_partitions,
)
from chalicelib.cases.search import normalise, search_partition_char, search_terms
from chalicelib.cases.store import ActiveCaseExists, CasePage, audit_records, token_digest
from chalicelib.errors import VersionConflict
from chalicelib.models.case import (
    AuditRecord,
    Case,
    InflightTransition,
    NoteRecord,
    PageStorage,
    WorkflowTransition,
)
from chalicelib.models.reviewers import Reviewer

CASE_SK = "CASE"
GSI_BY_TENANT = "gsi1"
GSI_BY_STATUS = "gsi2"
UNASSIGNED = "-"
# The attributes an inbox row needs: the inbox indexes project these and nothing else.
INBOX_ROW_ATTRIBUTES = (
    "tenantId", "caseId", "workflowDefinitionId", "workflowDefinitionVersion", "state", "status",
    "version", "assigneeId", "createdAt", "updatedAt", "entityType", "entityId", "entityName",
    "documentCount", "documentsNeedingDecision", "flags",
)  # fmt: skip
# (index name, partition key attribute, sort key attribute) per inbox access pattern.
INBOX_INDEXES: dict[tuple[bool, str], tuple[str, str, str]] = {
    (False, "createdAt"): ("gsi2", "gsi2pk", "gsi2sk"),
    (False, "updatedAt"): ("inbox-status-updated", "gsi2pk", "updsk"),
    (True, "createdAt"): ("inbox-assignee-created", "gsi3pk", "gsi2sk"),
    (True, "updatedAt"): ("inbox-assignee-updated", "gsi3pk", "updsk"),
}


@per_thread
def dynamodb_resource() -> Any:
    return boto3.resource("dynamodb")


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


def case_pk(tenant_id: str, case_id: str) -> str:
    return f"T#{tenant_id}#C#{case_id}"


def claim_pk(tenant_id: str, workflow_id: str, entity_id: str) -> str:
    return f"T#{tenant_id}#E#{workflow_id}#{entity_id}"


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# Attributes written on every case write; pageStorage and the task token have writers of their own.
_CASE_FIELDS = (
    "tenantId", "caseId", "workflowDefinitionId", "workflowDefinitionVersion", "state", "status",
    "version", "assigneeId", "createdAt", "updatedAt", "resolvedAt", "entityType", "entityId",
    "ballerineEntityId", "entityName", "contextJson", "configJson", "flags", "workflowTransitions",
    "documentCount", "documentsNeedingDecision",
    "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "updsk",
)  # fmt: skip


def case_to_item(case: Case) -> dict[str, Any]:
    sort_key = f"{case.created_at}#{case.case_id}"
    return {
        "pk": case_pk(case.tenant_id, case.case_id),
        "sk": CASE_SK,
        "recordType": "case",
        "tenantId": case.tenant_id,
        "caseId": case.case_id,
        "workflowDefinitionId": case.workflow_definition_id,
        "workflowDefinitionVersion": case.workflow_definition_version,
        "state": case.state,
        "status": case.status,
        "version": case.version,
        "assigneeId": case.assignee_id,
        "createdAt": case.created_at,
        "updatedAt": case.updated_at,
        "resolvedAt": case.resolved_at,
        "entityType": case.entity_type,
        "entityId": case.entity_id,
        "ballerineEntityId": case.ballerine_entity_id,
        "entityName": case.entity_name,
        # JSON keeps the integrator's numbers and nesting exactly (a map would turn them Decimal).
        "contextJson": json.dumps(case.context, separators=(",", ":")),
        "configJson": json.dumps(case.config, separators=(",", ":")),
        "pageStorage": {k: v.model_dump(exclude_none=True) for k, v in case.page_storage.items()},
        "taskToken": case.task_token,
        "taskTokenState": case.task_token_state,
        "flags": case.flags,
        "workflowTransitions": [t.model_dump() for t in case.workflow_transitions],
        # Written here only when the case is created; afterwards the workflow sync owns them.
        "executionState": case.execution_state,
        "executionDelivered": case.execution_delivered,
        "executionInflight": (
            case.execution_inflight.model_dump() if case.execution_inflight else None
        ),
        "gsi1pk": f"T#{case.tenant_id}",
        "gsi1sk": sort_key,
        "gsi2pk": status_partition(case.tenant_id, case.status),
        "gsi2sk": sort_key,
        "gsi3pk": assignee_partition(case.tenant_id, case.status, case.assignee_id),
        "updsk": f"{case.updated_at}#{case.case_id}",
        "documentCount": len(case.documents),
        "documentsNeedingDecision": case.documents_needing_decision,
    }


def status_partition(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#S#{status}"


def assignee_partition(tenant_id: str, status: str, assignee_id: str | None) -> str:
    return f"{status_partition(tenant_id, status)}#A#{assignee_id or UNASSIGNED}"


def item_to_case(item: dict[str, Any]) -> Case:
    item = _plain(item)
    return Case(
        case_id=item["caseId"],
        tenant_id=item["tenantId"],
        workflow_definition_id=item["workflowDefinitionId"],
        workflow_definition_version=item["workflowDefinitionVersion"],
        state=item["state"],
        status=item["status"],
        version=item["version"],
        assignee_id=item.get("assigneeId"),
        created_at=item["createdAt"],
        updated_at=item["updatedAt"],
        resolved_at=item.get("resolvedAt"),
        entity_type=item["entityType"],
        entity_id=item["entityId"],
        ballerine_entity_id=item["ballerineEntityId"],
        entity_name=item["entityName"],
        context=json.loads(item["contextJson"]),
        config=json.loads(item.get("configJson") or "{}"),
        page_storage={k: PageStorage(**v) for k, v in (item.get("pageStorage") or {}).items()},
        task_token=item.get("taskToken"),
        task_token_state=item.get("taskTokenState"),
        flags=item.get("flags") or [],
        workflow_transitions=[
            WorkflowTransition(**t) for t in item.get("workflowTransitions") or []
        ],
        execution_state=item.get("executionState"),
        execution_delivered=item.get("executionDelivered") or 0,
        execution_inflight=(
            InflightTransition(**item["executionInflight"])
            if item.get("executionInflight")
            else None
        ),
    )


def item_to_inbox_row(item: dict[str, Any]) -> InboxRow:
    item = _plain(item)
    return InboxRow(
        case_id=item["caseId"],
        version=item["version"],
        state=item["state"],
        status=item["status"],
        workflow_definition_id=item["workflowDefinitionId"],
        workflow_definition_version=item["workflowDefinitionVersion"],
        entity_type=item["entityType"],
        entity_id=item["entityId"],
        entity_name=item["entityName"],
        assignee_id=item.get("assigneeId"),
        document_count=item.get("documentCount", 0),
        documents_needing_decision=item.get("documentsNeedingDecision", 0),
        flags=tuple(item.get("flags") or ()),
        created_at=item["createdAt"],
        updated_at=item["updatedAt"],
    )


def _inbox_partitions(query: InboxQuery) -> list[str]:
    if query.assignees is None:
        return [status_partition(query.tenant_id, status) for status in query.statuses]
    return [
        assignee_partition(query.tenant_id, status, assignee)
        for status in query.statuses
        for assignee in query.assignees
    ]


def search_items(case: Case) -> list[dict[str, Any]]:
    terms = search_terms(case.entity_id, case.entity_name, case.entity_data)
    return [
        {
            "pk": f"T#{case.tenant_id}#Q#{search_partition_char(term)}",
            "sk": f"{term}#{case.case_id}",
            "recordType": "searchTerm",
            "caseId": case.case_id,
        }
        for term in terms
    ]


def _search_index_changes(table: str, before: Case, after: Case) -> list[dict[str, Any]]:
    """Deletes and puts that move a case's search terms from `before` to `after`."""
    old = {item["sk"]: item for item in search_items(before)}
    new = {item["sk"]: item for item in search_items(after)}
    return [
        *(
            {"Delete": {"TableName": table, "Key": {"pk": old[sk]["pk"], "sk": sk}}}
            for sk in old.keys() - new.keys()
        ),
        *({"Put": {"TableName": table, "Item": new[sk]}} for sk in new.keys() - old.keys()),
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
    def __init__(self, table_name: str) -> None:
        self._table_name = table_name

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
        return item_to_case(item) if item else None

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
                            "Item": _drop_none(case_to_item(case)),
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
        item = case_to_item(updated)
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
            raise
        for page_id, storage in (new_page_storage or {}).items():
            updated.page_storage.setdefault(page_id, storage)
        return updated

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
        self, tenant_id: str, *, status: str | None, limit: int, start_key: dict | None
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
        cases = [item_to_case(item) for item in response.get("Items", [])]
        return CasePage(cases, response.get("LastEvaluatedKey"), response.get("ScannedCount", 0))

    def list_audit(self, tenant_id: str, case_id: str) -> list[AuditRecord]:
        records: list[AuditRecord] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(case_pk(tenant_id, case_id))
            & Key("sk").begins_with("A#"),
        }
        while True:
            response = self._table.query(**kwargs)
            records.extend(item_to_audit(item) for item in response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                return records
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def add_note(self, note: NoteRecord, audit: AuditRecord) -> None:
        pk = case_pk(note.tenant_id, note.case_id)
        self._client.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": self._table_name,
                        "Key": {"pk": pk, "sk": CASE_SK},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._table_name,
                        "Item": {
                            "pk": pk,
                            "sk": f"N#{note.created_at}#{note.note_id}",
                            "recordType": "note",
                            "noteJson": note.model_dump_json(),
                        },
                    }
                },
                {"Put": {"TableName": self._table_name, "Item": audit_to_item(audit)}},
            ]
        )

    def list_notes(self, tenant_id: str, case_id: str) -> list[NoteRecord]:
        notes: list[NoteRecord] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(case_pk(tenant_id, case_id))
            & Key("sk").begins_with("N#"),
        }
        while True:
            response = self._table.query(**kwargs)
            notes.extend(NoteRecord.model_validate_json(i["noteJson"]) for i in response["Items"])
            if "LastEvaluatedKey" not in response:
                return notes
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def inbox_page(self, query: InboxQuery, boundary: str | None) -> InboxPage:
        if query.search:
            return self._search_page(query, boundary)
        index, pk_attr, sk_attr = INBOX_INDEXES[(query.assignees is not None, query.sort)]
        budget = query.limit * READ_BUDGET_FACTOR
        partitions: list[tuple[list[InboxRow], str | None]] = []
        items_read = 0
        for partition in _inbox_partitions(query):
            condition = Key(pk_attr).eq(partition)
            if boundary:
                sk = Key(sk_attr)
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
                found += [r for r in map(item_to_inbox_row, response["Items"]) if query.matches(r)]
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
            names = {f"#a{i}": a for i, a in enumerate(INBOX_ROW_ATTRIBUTES)}
            items = self._client.batch_get_item(
                RequestItems={
                    self._table_name: {
                        "Keys": [
                            {"pk": case_pk(query.tenant_id, c), "sk": CASE_SK} for c in case_ids
                        ],
                        "ProjectionExpression": ", ".join(names),
                        "ExpressionAttributeNames": names,
                    }
                }
            )["Responses"].get(self._table_name, [])
            items_read += len(items)
            rows_by_id = {item["caseId"]: item_to_inbox_row(item) for item in items}
        # Walk the index in order so the cursor lands right after the last case shown.
        rows: list[InboxRow] = []
        for item in index_items:
            row = rows_by_id.pop(item["caseId"], None)
            if row is not None and query.matches(row):
                rows.append(row)
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
        reviewers: list[Reviewer] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("pk").eq(reviewers_pk(tenant_id))}
        while True:
            response = self._table.query(**kwargs)
            reviewers.extend(
                Reviewer.model_validate_json(item["reviewerJson"])
                for item in response.get("Items", [])
            )
            if "LastEvaluatedKey" not in response:
                return sorted(reviewers, key=lambda r: (r.name.lower(), r.id))
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def put_reviewer(self, reviewer: Reviewer) -> None:
        self._table.put_item(
            Item={
                "pk": reviewers_pk(reviewer.tenant_id),
                "sk": f"R#{reviewer.id}",
                "recordType": "reviewer",
                "reviewerJson": reviewer.model_dump_json(),
            }
        )
