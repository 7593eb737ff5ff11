"""Ingest: the run handler against the raw AWS calls it must make, same moto backend, same run.

The raw baseline is what any implementation has to do for a run with one inline page: resolve the
API key, claim the idempotency key, look for the entity's active case, put the page in S3, write
case + entity claim + audit + search terms in one transaction (the same items the handler writes),
and complete the idempotency record. Both are timed in turns on tables reset to the same size.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3

from bench.report import measure_alternately, table

BUDGET = 1.3
PERSON = {"firstName": "Jane", "lastName": "Doe"}


def _run_body(png: bytes, index: int) -> str:
    return json.dumps(
        {
            "workflowId": "kyc-manual-review",
            "context": {
                "entity": {
                    "id": f"bench-{index}",
                    "type": "individual",
                    "data": PERSON,
                },
                "documents": [
                    {
                        "category": "identification",
                        "type": "passport",
                        "pages": [
                            {
                                "provider": "base64",
                                "type": "png",
                                "data": base64.b64encode(png).decode(),
                            }
                        ],
                    }
                ],
            },
        }
    )


def run(runs: int = 60) -> tuple[str, bool]:
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib import caches
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from local.sample_documents import render_document_page
    from tests.integration.conftest import TEST_ENV

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(TEST_ENV)
    caches.reset_all()
    png = render_document_page("passport", holder_name="Jane Doe")
    with mock_aws():
        resources = describe_resources(PREFIX, frontend_origins=[])
        # moto keeps every stream record and deep-copies the table with them in each
        # transaction, so a stream makes every write slower than the last; the outbox is not
        # part of the request path being measured.
        resources["CasesTable"]["Properties"].pop("StreamSpecification")
        provision(resources, REGION)
        from local.seed import seed_tenants

        seed_tenants()
        from app import app
        from chalicelib.aws.dynamodb import audit_to_item, case_to_item, claim_pk, search_items
        from chalicelib.config import get_settings
        from chalicelib.ids import utc_now
        from chalicelib.models.case import Actor, AuditRecord, Case, PageStorage
        from chalicelib.tenants.api_keys import hash_api_key

        settings = get_settings()
        counter = iter(range(10**6))
        with Client(app) as client:

            def handler() -> Any:
                response = client.http.post(
                    "/api/v1/external/workflows/run",
                    headers={
                        "Authorization": "Bearer secret",
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"bench-{next(counter)}",
                    },
                    body=_run_body(png, next(counter)),
                )
                assert response.status_code == 201, response.body

            dynamodb = boto3.resource("dynamodb").meta.client
            s3 = boto3.client("s3")
            key_hash = hash_api_key("secret", settings.api_key_pepper)

            def raw_calls() -> None:
                n = next(counter)
                context = json.loads(_run_body(png, n))["context"]
                page = context["documents"][0]["pages"][0]
                page.pop("data")
                page["id"], context["documents"][0]["id"] = f"page-{n}", f"doc-{n}"
                dynamodb.get_item(
                    TableName=settings.cases_table, Key={"pk": f"K#{key_hash}", "sk": "APIKEY"}
                )
                dynamodb.put_item(
                    TableName=settings.idempotency_table,
                    Item={"id": f"raw-{n}", "expiration": 9999999999, "status": "INPROGRESS"},
                    ConditionExpression="attribute_not_exists(id)",
                )
                dynamodb.get_item(
                    TableName=settings.cases_table,
                    Key={"pk": claim_pk("demo", "kyc-manual-review", f"bench-{n}"), "sk": "ACTIVE"},
                )
                key = f"raw/{n}"
                s3.put_object(Bucket=settings.documents_bucket, Key=key, Body=png)
                # The same items the handler writes, so moto's per-item work is the same too.
                case = Case(
                    case_id=f"raw-{n}",
                    tenant_id="demo",
                    workflow_definition_id="kyc-manual-review",
                    workflow_definition_version=1,
                    state="manual_review",
                    created_at=utc_now(),
                    updated_at=utc_now(),
                    entity_type="individual",
                    entity_id=f"bench-{n}",
                    ballerine_entity_id=f"ent-{n}",
                    entity_name="Jane Doe",
                    context=context,
                    page_storage={
                        f"page-{n}": PageStorage(
                            status="stored", key=key, content_type="image/png", updated_at=utc_now()
                        )
                    },
                )
                audit = AuditRecord(
                    event_id=f"evt-{n}",
                    tenant_id="demo",
                    case_id=case.case_id,
                    action="case.created",
                    at=utc_now(),
                    actor=Actor(type="integrator", id="demo"),
                )
                items = [
                    {k: v for k, v in case_to_item(case).items() if v is not None},
                    {"pk": claim_pk("demo", "kyc-manual-review", f"bench-{n}"), "sk": "ACTIVE"},
                    audit_to_item(audit),
                    *search_items(case),
                ]
                dynamodb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": settings.cases_table, "Item": item}} for item in items
                    ]
                )
                dynamodb.update_item(
                    TableName=settings.idempotency_table,
                    Key={"id": f"raw-{n}"},
                    UpdateExpression="SET #s = :done, #d = :data",
                    ExpressionAttributeNames={"#s": "status", "#d": "data"},
                    ExpressionAttributeValues={":done": "COMPLETED", ":data": "{}"},
                )

            table_ = boto3.resource("dynamodb").Table(settings.cases_table)

            def reset() -> None:
                # moto copies whole tables in every transaction: keep them at the same small
                # size for every sample, as DynamoDB's cost does not depend on table size.
                with table_.batch_writer() as batch:
                    for item in table_.scan(ProjectionExpression="pk, sk")["Items"]:
                        if not item["pk"].startswith("K#"):
                            batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})

            raw, full = measure_alternately(raw_calls, handler, runs, reset=reset)
    ratio = full.p50 / raw.p50
    rows = [
        ["raw AWS calls", raw.p50, raw.p99, ""],
        ["run handler", full.p50, full.p99, f"{ratio:.2f}x (budget <= {BUDGET}x)"],
    ]
    title = f"Ingest: POST /workflows/run with one inline page, {runs} runs, moto in-process"
    return table(title, ["what", "p50 ms", "p99 ms", "ratio of p50"], rows), ratio <= BUDGET
