"""Ingest: the run handler against the raw AWS calls it must make, same moto backend, same run.

The raw baseline is what any implementation has to do for a run with one inline page: resolve the
API key, claim the idempotency key, put the page in S3, and write case + entity claim + audit in
one transaction.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import boto3

from bench.report import measure, table

BUDGET = 1.3


def _run_body(png: bytes, index: int) -> str:
    return json.dumps(
        {
            "workflowId": "kyc-manual-review",
            "context": {
                "entity": {
                    "id": f"bench-{index}",
                    "type": "individual",
                    "data": {"firstName": "Jane", "lastName": "Doe"},
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

    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from local.sample_documents import render_document_page
    from tests.integration.conftest import TEST_ENV, _clear_client_caches

    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(TEST_ENV)
    _clear_client_caches()
    png = render_document_page("passport", holder_name="Jane Doe")
    with mock_aws():
        provision(describe_resources(PREFIX, frontend_origins=[]), REGION)
        from local.seed import seed_tenants

        seed_tenants()
        from app import app
        from chalicelib.config import get_settings
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

            dynamodb = boto3.client("dynamodb")
            s3 = boto3.client("s3")
            key_hash = hash_api_key("secret", settings.api_key_pepper)

            def raw_calls() -> None:
                n = next(counter)
                json.loads(_run_body(png, n))
                dynamodb.get_item(
                    TableName=settings.cases_table,
                    Key={"pk": {"S": f"K#{key_hash}"}, "sk": {"S": "APIKEY"}},
                )
                dynamodb.put_item(
                    TableName=settings.idempotency_table,
                    Item={"id": {"S": f"raw-{n}"}, "expiration": {"N": "9999999999"}},
                    ConditionExpression="attribute_not_exists(id)",
                )
                dynamodb.query(
                    TableName=settings.cases_table,
                    KeyConditionExpression="pk = :pk",
                    ExpressionAttributeValues={":pk": {"S": f"T#demo#E#kyc#raw-{n}"}},
                )
                s3.put_object(Bucket=settings.documents_bucket, Key=f"raw/{n}", Body=png)
                case = {"pk": {"S": f"T#demo#C#raw-{n}"}, "sk": {"S": "CASE"}}
                dynamodb.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": settings.cases_table,
                                "Item": {**case, "contextJson": {"S": "{}"}},
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": settings.cases_table,
                                "Item": {"pk": {"S": f"T#demo#E#raw-{n}"}, "sk": {"S": "ACTIVE"}},
                            }
                        },
                        {
                            "Put": {
                                "TableName": settings.cases_table,
                                "Item": {"pk": case["pk"], "sk": {"S": f"A#{n}"}},
                            }
                        },
                    ]
                )
                dynamodb.put_item(
                    TableName=settings.idempotency_table,
                    Item={"id": {"S": f"raw-{n}"}, "expiration": {"N": "9999999999"}},
                )

            raw = measure(raw_calls, runs)
            full = measure(handler, runs)
    ratio = full.p50 / raw.p50
    rows = [
        ["raw AWS calls", raw.p50, raw.p99, ""],
        ["run handler", full.p50, full.p99, f"{ratio:.2f}x (budget <= {BUDGET}x)"],
    ]
    title = f"Ingest: POST /workflows/run with one inline page, {runs} runs, moto in-process"
    return table(title, ["what", "p50 ms", "p99 ms", "ratio of p50"], rows), ratio <= BUDGET
