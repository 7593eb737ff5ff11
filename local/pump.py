"""Plays Lambda's event source mappings locally: long-polls each SQS queue and the cases table's
stream, and invokes the matching Chalice handler with the event Lambda would send.

SQS: messages the handler reports in `batchItemFailures` (or all, if it raises) are left on the
queue and come back after a short visibility timeout; the queue's redrive policy moves them to
the DLQ. Stream: a failed record is retried from its sequence number, as Lambda does; once the
retries are exhausted the batch's position goes to the table's stream failure queue (Lambda's
on-failure destination in the cloud, `infra/resources.py`) and the stream moves on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.app import Chalice
from chalice.local import LambdaContext

from infra.resources import (
    QUEUE_CONSUMERS,
    SCHEDULED_FUNCTIONS,
    STREAM_CONSUMERS,
    ScheduledFunction,
    stream_failure_queue,
)
from local.provision import ACCOUNT_ID

log = logging.getLogger("local.pump")
RETRY_VISIBILITY_SECONDS = 2
STREAM_IDLE_SECONDS = 0.1
STREAM_MAX_ATTEMPTS = 5
STREAM_RETRY_SECONDS = 0.5  # times the attempt number


# Chalice's default function timeout, which the deploy keeps for the consumers (infra/cloud.py);
# consumers budget their work by the context's remaining time.
FUNCTION_TIMEOUT_MS = 60_000


def invoke(app: Chalice, function: str, event: dict[str, Any]) -> Any:
    context = LambdaContext(function, memory_size=512, max_runtime_ms=FUNCTION_TIMEOUT_MS)
    return app.handler_map[function](event, context)


class Pump:
    def __init__(
        self, app: Chalice, refs: dict[str, str], attrs: dict[tuple[str, str], str], region: str
    ) -> None:
        self._app = app
        self._refs = refs
        self._attrs = attrs
        self._region = region
        # Sources (the stream, the clocks) stop first; then the queues' consumers drain; `_stop`
        # ends whatever is still running.
        self._sources_stop = threading.Event()
        self._draining = threading.Event()
        self._stop = threading.Event()
        self._source_threads: list[threading.Thread] = []
        self._queue_threads: list[threading.Thread] = []
        self.invocations = 0
        # Per stream ARN, the last record handed on (published, skipped or sent to the failure
        # queue); and a hook told of every record the consumer processed without failing.
        self.stream_positions: dict[str, str] = {}
        self.on_stream_records: Callable[[str, list[dict[str, Any]]], None] | None = None

    def start(self) -> None:
        queues, sources = self._queue_threads, self._source_threads
        for consumer in QUEUE_CONSUMERS:
            self._spawn(queues, f"sqs:{consumer.function}", lambda c=consumer: self._poll_queue(c))
        for table, function in STREAM_CONSUMERS.items():
            self._spawn(
                sources, f"stream:{function}", lambda t=table, f=function: self._poll_stream(t, f)
            )
        for scheduled in SCHEDULED_FUNCTIONS:
            if scheduled.function in self._app.handler_map:
                self._spawn(
                    sources, f"timer:{scheduled.function}", lambda s=scheduled: self._tick(s)
                )

    @property
    def stopping(self) -> bool:
        return self._sources_stop.is_set()

    def stop(self, drain_seconds: float = 0) -> None:
        """Stop the sources (the stream, the clocks), then give the queues' consumers up to
        `drain_seconds` to handle what their queues hold, each until a receive finds its queue
        empty: a message left in local AWS dies with it (the cloud's queues keep theirs), and a
        published event's webhooks and projections are not re-derived by the reconciler. What
        waits unseen (a delayed retry, a message being retried) is the reconciler's."""
        deadline = time.monotonic() + drain_seconds
        self._sources_stop.set()
        _join(self._source_threads, deadline)
        self._draining.set()
        _join(self._queue_threads, deadline)
        self._stop.set()
        for thread in (*self._source_threads, *self._queue_threads):
            thread.join(timeout=5)
            if thread.is_alive():
                log.warning("pump %s did not stop within its drain", thread.name)

    def _spawn(
        self, threads: list[threading.Thread], name: str, target: Callable[[], None]
    ) -> None:
        """Run `target` until it returns (its source stopped, or its queue drained), restarting it
        after an unexpected error."""

        def run() -> None:
            while True:
                try:
                    target()
                    return
                except Exception:
                    if self._stop.is_set():
                        return
                    log.exception("pump %s failed; restarting", name)
                    self._stop.wait(1)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        threads.append(thread)

    # -- scheduled ------------------------------------------------------------
    def _tick(self, scheduled: ScheduledFunction) -> None:
        """Plays a function's schedule: an invocation every `local_seconds`."""
        while not self._sources_stop.wait(scheduled.local_seconds):
            # Not counted in `invocations` (that is activity; a clock tick is not).
            invoke(self._app, scheduled.function, {"source": "local.pump"})

    # -- SQS ------------------------------------------------------------------
    def _poll_queue(self, consumer: Any) -> None:
        sqs = boto3.client("sqs", region_name=self._region)
        url = self._refs[consumer.queue]
        arn = self._attrs[(consumer.queue, "Arn")]
        while not self._stop.is_set():
            messages = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=consumer.batch_size,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                if self._draining.is_set():
                    return
                continue
            event = {"Records": [_sqs_record(m, arn, self._region) for m in messages]}
            try:
                result = invoke(self._app, consumer.function, event) or {}
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            except Exception:
                log.exception("%s failed on a whole batch", consumer.function)
                failed = {m["MessageId"] for m in messages}
            finally:
                self.invocations += 1
            for message in messages:
                if message["MessageId"] in failed:
                    sqs.change_message_visibility(
                        QueueUrl=url,
                        ReceiptHandle=message["ReceiptHandle"],
                        VisibilityTimeout=RETRY_VISIBILITY_SECONDS,
                    )
                else:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    # -- DynamoDB stream ------------------------------------------------------
    def _poll_stream(self, table_logical_id: str, function: str) -> None:
        streams = boto3.client("dynamodbstreams", region_name=self._region)
        stream_arn = self._attrs[(table_logical_id, "StreamArn")]
        shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
        shard_id = shards[0]["ShardId"]
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=shard_id,
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        pending: list[dict[str, Any]] = []
        attempts = 0
        while not self._sources_stop.is_set():
            if not pending:
                response = streams.get_records(ShardIterator=iterator, Limit=100)
                iterator = response["NextShardIterator"]
                pending = response.get("Records", [])
                attempts = 0
                if not pending:
                    self._sources_stop.wait(STREAM_IDLE_SECONDS)
                    continue
            event = {
                "Records": [
                    {**r, "eventSourceARN": stream_arn, "awsRegion": self._region} for r in pending
                ]
            }
            try:
                result = invoke(self._app, function, event) or {}
                failures = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            except Exception:
                log.exception("%s failed on a whole batch", function)
                failures = [pending[0]["dynamodb"]["SequenceNumber"]]
            self.invocations += 1
            first = min((int(f) for f in failures), default=None)
            done = [
                r for r in pending if first is None or int(r["dynamodb"]["SequenceNumber"]) < first
            ]
            self._processed(stream_arn, done)
            if first is None:
                pending = []
                continue
            attempts += 1
            pending = pending[len(done) :]
            if attempts >= STREAM_MAX_ATTEMPTS:
                log.error("%s: %d stream records to the failure queue", function, len(pending))
                self._send_to_failure_queue(
                    table_logical_id, function, (stream_arn, shard_id), pending, attempts
                )
                self.stream_positions[stream_arn] = pending[-1]["dynamodb"]["SequenceNumber"]
                pending = []
                continue
            self._sources_stop.wait(STREAM_RETRY_SECONDS * attempts)

    def _processed(self, stream_arn: str, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        if self.on_stream_records is not None:
            self.on_stream_records(stream_arn, records)
        self.stream_positions[stream_arn] = records[-1]["dynamodb"]["SequenceNumber"]

    def _send_to_failure_queue(
        self,
        table_logical_id: str,
        function: str,
        position: tuple[str, str],
        records: list[dict[str, Any]],
        attempts: int,
    ) -> None:
        """The record Lambda sends to a stream mapping's on-failure destination: where the
        batch is, not its data (the audit records stay in the table to be republished)."""
        stream_arn, shard_id = position
        arrivals = [r["dynamodb"].get("ApproximateCreationDateTime") for r in records]
        body = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"arn:aws:lambda:{self._region}:{ACCOUNT_ID}:function:{function}",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": str(arrivals[0]),
                "approximateArrivalOfLastRecord": str(arrivals[-1]),
                "batchSize": len(records),
                "streamArn": stream_arn,
            },
        }
        boto3.client("sqs", region_name=self._region).send_message(
            QueueUrl=self._refs[stream_failure_queue(table_logical_id)],
            MessageBody=json.dumps(body, default=str),
        )


def _sqs_record(message: dict[str, Any], arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def _join(threads: list[threading.Thread], deadline: float) -> None:
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
