"""Inbox page cost: items DynamoDB examines for an inbox page at 1,000 and 20,000 cases.

moto answers a Query by scanning the whole table, so wall time grows with the table there and
says nothing about DynamoDB; the items examined (ScannedCount, plus BatchGet reads in search)
are what a page costs in the cloud, and they must not grow with the table.
"""

from __future__ import annotations

import os
from typing import Any

from bench.report import table

REVIEWER = "reviewer-1"
PAGE = 25
SIZES = (1_000, 20_000)
# name -> inbox parameters (as the API takes them)
QUERIES: dict[str, dict[str, Any]] = {
    "default: mine or unassigned, active": {},
    "all statuses, anyone, by updatedAt": {"status": "all", "assignee": "any", "sort": "updatedAt"},
    "anyone, entity type filter": {"entityType": "business", "assignee": "any"},
    "search `person`": {"q": "person"},
    "awaiting second approval, anyone": {"awaitingSecondApproval": True, "assignee": "any"},
}
# Every 7th active case has an approval awaiting a second one (the sparse index's items).
PENDING_EVERY = 7


def synthetic_case(index: int) -> Any:
    from chalicelib.models.case import AWAITING_SECOND_APPROVAL, Case, DecidedBy, PendingApproval

    at = f"2026-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}.{index:06d}Z"
    pending = index % 4 != 0 and index % PENDING_EVERY == 0
    approval = PendingApproval(
        decision="approve", evidence_digest="-", maker=DecidedBy(id=REVIEWER), requested_at=at
    )
    return Case(
        case_id=f"case_{index:08d}",
        tenant_id="demo",
        workflow_definition_id="kyc-manual-review" if index % 3 else "kyb-manual-review",
        workflow_definition_version=1,
        state="manual_review",
        status="active" if index % 4 else "completed",
        assignee_id=REVIEWER if index % 5 == 0 else None,
        created_at=at,
        updated_at=at,
        entity_type="individual" if index % 3 else "business",
        entity_id=f"entity-{index}",
        ballerine_entity_id=f"ent_{index}",
        entity_name=f"Person {index}",
        context={"entity": {"id": f"entity-{index}", "data": {"firstName": f"Person{index}"}}},
        pending_approval=approval if pending else None,
        flags=[AWAITING_SECOND_APPROVAL] if pending else [],
    )


def fill(start: int, stop: int) -> None:
    """Write cases start..stop-1 (with their search terms) straight into the table."""
    import boto3

    from chalicelib.aws.dynamodb import case_to_item, search_items
    from chalicelib.config import get_settings

    table_ = boto3.resource("dynamodb").Table(get_settings().cases_table)
    with table_.batch_writer() as batch:
        for index in range(start, stop):
            case = synthetic_case(index)
            batch.put_item(Item={k: v for k, v in case_to_item(case).items() if v is not None})
            for term in search_items(case):
                batch.put_item(Item=term)


def page_costs(name: str) -> tuple[int, int, int]:
    """(rows on page 1, items read for page 1, items read for page 2)."""
    from chalicelib.dependencies import case_store
    from chalicelib.models.backoffice import InboxParams

    params = InboxParams.model_validate({"limit": PAGE, **QUERIES[name]})
    query = params.to_query("demo", REVIEWER, params.limit)
    store = case_store()
    first = store.inbox_page(query, None)
    second = store.inbox_page(query, first.next_boundary)
    return len(first.rows), first.items_read, second.items_read


def measure_costs(
    sizes: tuple[int, ...] = SIZES,
) -> dict[int, dict[str, tuple[int, int, int]]]:
    """Page costs per table size; needs the resources to exist (moto in-process or local)."""
    costs: dict[int, dict[str, tuple[int, int, int]]] = {}
    filled = 0
    for size in sizes:
        fill(filled, size)
        filled = size
        costs[size] = {name: page_costs(name) for name in QUERIES}
    return costs


def run() -> tuple[str, bool]:
    from moto import mock_aws

    from chalicelib import caches
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from tests.integration.conftest import TEST_ENV

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(TEST_ENV)
    caches.reset_all()
    with mock_aws():
        provision(describe_resources(PREFIX, frontend_origins=[]), REGION)
        costs = measure_costs()
    caches.reset_all()
    small, large = costs[SIZES[0]], costs[SIZES[-1]]
    rows = []
    ok = True
    for name in QUERIES:
        steady = all(
            abs(a - b) <= PAGE for a, b in zip(small[name][1:], large[name][1:], strict=True)
        )
        ok &= steady
        rows.append([name, *small[name][1:], *large[name][1:], "yes" if steady else "NO"])
    headers = [
        "inbox query (page of 25)",
        "p1 @1k",
        "p2 @1k",
        "p1 @20k",
        "p2 @20k",
        "bounded",
    ]
    return table("Inbox: items read per page (1k vs 20k cases)", headers, rows), ok
