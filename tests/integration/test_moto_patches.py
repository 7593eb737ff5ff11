"""The local stack's moto patches (local/moto_patches.py), each run in a fresh interpreter so the
patched moto does not leak into other tests: a cancelled transaction still leaves nothing behind
(no item, no stream record), and a transaction no longer costs the size of the table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from local.child_stack import PROJECT_DIR


def _key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "x"}}


def _increment(pk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": "t",
            "Key": _key(pk),
            "UpdateExpression": "SET v = v + :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }


def _probe(mode: str, items: int) -> None:
    """Run in a child interpreter: prints what a cancelled transaction left, and the cost."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )
    from local.moto_patches import cheap_transaction_backups, serialise_dynamodb

    if mode == "patched":
        cheap_transaction_backups()
    serialise_dynamodb()
    import boto3
    from botocore.exceptions import ClientError
    from moto import mock_aws

    from local.persistence import read_stream

    with mock_aws():
        db = boto3.client("dynamodb")
        db.create_table(
            TableName="t",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        for i in range(items):
            db.put_item(TableName="t", Item={**_key(f"p{i}"), "v": {"N": "1"}})
        started = time.perf_counter()
        for i in range(10):
            db.transact_write_items(
                TransactItems=[_increment("p0"), {"Put": {"TableName": "t", "Item": _key(f"n{i}")}}]
            )
        per_transaction = (time.perf_counter() - started) / 10
        refused = _increment("p0")
        refused["Update"]["ConditionExpression"] = "v = :never"
        refused["Update"]["ExpressionAttributeValues"][":never"] = {"N": "-1"}
        try:
            db.transact_write_items(
                TransactItems=[{"Put": {"TableName": "t", "Item": _key("ghost")}}, refused]
            )
            cancelled = False
        except ClientError as exc:
            cancelled = exc.response["Error"]["Code"] == "TransactionCanceledException"
        arn = db.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_stream(boto3.client, arn)]
        result = {
            "per_transaction": per_transaction,
            "cancelled": cancelled,
            "ghost": "Item" in db.get_item(TableName="t", Key=_key("ghost")),
            "p0": db.get_item(TableName="t", Key=_key("p0"))["Item"]["v"]["N"],
            "stream": len(keys),
            "ghost_in_stream": "ghost" in keys,
        }
    print(json.dumps(result))


def probe(mode: str, items: int) -> dict[str, Any]:
    code = f"from tests.integration.test_moto_patches import _probe; _probe({mode!r}, {items})"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_cheap_transaction_backups_keep_moto_semantics_at_a_fraction_of_the_cost() -> None:
    plain, patched = probe("plain", 1000), probe("patched", 1000)
    for result in (plain, patched):
        assert result["cancelled"] and not result["ghost"] and not result["ghost_in_stream"]
        assert (result["p0"], result["stream"]) == ("11", 1000 + 20)
    # Measured: ~500 ms against ~5 ms per transaction at 1,000 items.
    assert patched["per_transaction"] * 10 < plain["per_transaction"]


def test_remembered_state_machine_definitions_still_refuse_invalid_ones(
    local_aws: Any,
) -> None:
    """`local_aws` applies the patch: the bundled definitions were parsed once already."""
    import boto3
    from botocore.exceptions import ClientError

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    role = "arn:aws:iam::123456789012:role/sfn"
    valid = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    for name in ("first", "second"):  # the second creation takes the remembered path
        sfn.create_state_machine(name=name, definition=valid, roleArn=role)
    with pytest.raises(ClientError, match="in definition"):
        sfn.create_state_machine(
            name="broken", definition=json.dumps({"StartAt": "Nowhere"}), roleArn=role
        )


def test_local_aws_serves_the_sent_emails_on_their_own() -> None:
    """The mailbox reads SES's sent emails from an endpoint of their own, the same messages as
    data.json lists, without serialising every model of every service for them."""
    import boto3
    import httpx

    from local.child_stack import free_port
    from local.mailbox import sent_messages
    from local.stack import start_local_aws

    port = free_port()
    process = start_local_aws(port)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        ses = boto3.client(
            "ses",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        ses.verify_email_identity(EmailAddress="no-reply@demo.test")
        assert sent_messages(endpoint) == []
        ses.send_email(
            Source="no-reply@demo.test",
            Destination={"ToAddresses": ["customer@example.com"]},
            Message={"Subject": {"Data": "Please upload"}, "Body": {"Text": {"Data": "Hello"}}},
        )
        [message] = sent_messages(endpoint)
        assert message["destinations"]["ToAddresses"] == ["customer@example.com"]
        assert (message["subject"], message["body"]) == ("Please upload", "Hello")
        listed = httpx.get(f"{endpoint}/moto-api/data.json", timeout=30).json()["ses"]["Message"]
        assert [m["id"] for m in listed] == [message["id"]]
    finally:
        process.terminate()
        process.wait(timeout=10)
