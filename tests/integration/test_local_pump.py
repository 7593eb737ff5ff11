"""The local pump plays Lambda's stream mapping: records it cannot hand on go to the failure queue
(the mapping's on-failure destination in the cloud), never silently dropped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.resources import stream_failure_queue
from local import pump as pump_module
from local.environment import REGION
from tests.conftest import poll
from tests.integration.conftest import Api
from tests.integration.test_decisions_api import ingest


class _BrokenBus:
    def publish(self, events: list[Any]) -> None:
        raise ConnectionError("the event bus is unreachable")


@pytest.fixture
def failing_pump(local_aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from app import app
    from chalicelib.handlers import outbox_publisher

    monkeypatch.setattr(outbox_publisher, "event_publisher", lambda: _BrokenBus())
    monkeypatch.setattr(pump_module, "STREAM_RETRY_SECONDS", 0.01, raising=False)
    running = pump_module.Pump(app, local_aws.refs, local_aws.attrs, REGION)
    running.start()
    yield running
    running.stop()


def test_exhausted_stream_records_go_to_the_failure_queue(
    api: Api, local_aws: Any, failing_pump: Any, seed_request: dict[str, Any]
) -> None:
    case_id = ingest(api, seed_request)
    sqs = boto3.client("sqs")
    url = local_aws.refs[stream_failure_queue("CasesTable")]

    def failed() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])

    [message] = poll(failed, timeout=30)
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == pump_module.STREAM_MAX_ATTEMPTS
    batch = body["DDBStreamBatchInfo"]
    assert batch["streamArn"] == local_aws.attrs[("CasesTable", "StreamArn")]
    assert batch["batchSize"] >= 1
    # The stream moves on past the batch, as Lambda's does: just after the failure record is
    # sent, so the test waits for the position rather than reading it the moment it has the record.
    positions = failing_pump.stream_positions
    poll(lambda: positions.get(batch["streamArn"]) == batch["endSequenceNumber"], timeout=10)
    assert case_id
