"""The local pump plays Lambda's stream mapping: records it cannot hand on go to the failure queue
(the mapping's on-failure destination in the cloud), never silently dropped; and a stop lets the
queues' consumers handle what local AWS's queues hold before they die with it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from infra.resources import QUEUE_CONSUMERS, STREAM_CONSUMERS, stream_failure_queue
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

    [message] = poll(failed)
    body = json.loads(message["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == pump_module.STREAM_MAX_ATTEMPTS
    batch = body["DDBStreamBatchInfo"]
    assert batch["streamArn"] == local_aws.attrs[("CasesTable", "StreamArn")]
    assert batch["batchSize"] >= 1
    # The stream moves on past the batch, as Lambda's does: just after the failure record is
    # sent, so the test waits for the position rather than reading it the moment it has the record.
    positions = failing_pump.stream_positions
    poll(lambda: positions.get(batch["streamArn"]) == batch["endSequenceNumber"])
    assert case_id


class _HoldingApp:
    """Stands in for the Chalice app: the plugin worker records the bodies it is given, and its
    first message ("first") stops the pump before it returns, with "second" still queued."""

    def __init__(self) -> None:
        self.pump: Any = None
        self.handled: list[str] = []
        self.stopper: threading.Thread | None = None
        self.handler_map: dict[str, Callable[[dict[str, Any], Any], Any]] = {
            **{consumer.function: lambda event, context: {} for consumer in QUEUE_CONSUMERS},
            **{function: lambda event, context: {} for function in STREAM_CONSUMERS.values()},
            "plugin_worker": self._plugin_worker,
        }

    def _plugin_worker(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            self.handled.append(record["body"])
            if record["body"] == "first":
                self.stopper = threading.Thread(target=self.pump.stop, args=(60,))
                self.stopper.start()
                poll(lambda: self.pump.stopping)
        return {"batchItemFailures": []}


def test_a_stop_lets_the_consumers_drain_their_queues(local_aws: Any) -> None:
    """Local AWS's queues die with the stack: what they hold when it stops is handled first."""
    app = _HoldingApp()
    app.pump = pump_module.Pump(app, local_aws.refs, local_aws.attrs, REGION)  # type: ignore[arg-type]
    sqs = boto3.client("sqs")
    url = local_aws.refs["PluginQueue"]
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    app.pump.start()
    poll(lambda: app.stopper is not None)
    assert app.stopper is not None
    app.stopper.join(timeout=60)
    assert not app.stopper.is_alive()
    assert app.handled == ["first", "second"]
