"""Reads for the reconciler (a repair tool, never a request path): every active case and every
webhook delivery still being attempted, across tenants, as paginated scans of sparse indexes
(the cases table's by-status index holds only case items; the webhooks table's by-status index
only deliveries), filtered to what needs reconciling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Attr

from chalicelib.aws.dynamodb import GSI_BY_STATUS, dynamodb_table, item_to_case
from chalicelib.models.case import Case
from chalicelib.models.definitions import PublishedDefinition
from chalicelib.models.webhooks import IN_FLIGHT_STATUSES, DeliveryRecord

DELIVERIES_BY_STATUS = "gsi3"


def _scan(table_name: str, index: str, condition: Any) -> Iterator[dict[str, Any]]:
    table = dynamodb_table(table_name)
    kwargs: dict[str, Any] = {"IndexName": index, "FilterExpression": condition}
    while True:
        page = table.scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def active_cases(cases_table: str) -> Iterator[Case]:
    condition = Attr("recordType").eq("case") & Attr("status").eq("active")
    for item in _scan(cases_table, GSI_BY_STATUS, condition):
        yield item_to_case(item)


def unfinished_deliveries(webhooks_table: str) -> Iterator[DeliveryRecord]:
    condition = Attr("status").is_in(sorted(IN_FLIGHT_STATUSES))
    for item in _scan(webhooks_table, DELIVERIES_BY_STATUS, condition):
        yield DeliveryRecord.model_validate_json(item["recordJson"])


def published_definitions(cases_table: str) -> Iterator[PublishedDefinition]:
    """Every tenant's published definition versions (a scan of the table: few items match,
    and this runs at a local start or by an operator, never on a request)."""
    table = dynamodb_table(cases_table)
    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("recordType").eq("workflowDefinitionVersion")
    }
    while True:
        page = table.scan(**kwargs)
        for item in page.get("Items", []):
            yield PublishedDefinition.model_validate_json(item["publishedJson"])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
