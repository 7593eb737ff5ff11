"""Plays Lambda's event source mappings locally: long-polls each SQS queue and the cases table's
stream, and invokes the matching Chalice handler with the event Lambda would send.

SQS: messages the handler reports in `batchItemFailures` (or all, if it raises) are left on the
queue and come back after a short visibility timeout; the queue's redrive policy moves them to
the DLQ. Stream: a failed record is retried from its sequence number, as Lambda does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
from chalice.app import Chalice
from chalice.local import LambdaContext

from infra.resources import QUEUE_CONSUMERS, STREAM_CONSUMERS

log = logging.getLogger("local.pump")
RETRY_VISIBILITY_SECONDS = 2
STREAM_IDLE_SECONDS = 0.1
STREAM_MAX_ATTEMPTS = 5


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
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.invocations = 0

    def start(self) -> None:
        for consumer in QUEUE_CONSUMERS:
            self._spawn(f"sqs:{consumer.function}", lambda c=consumer: self._poll_queue(c))
        for table, function in STREAM_CONSUMERS.items():
            self._spawn(f"stream:{function}", lambda t=table, f=function: self._poll_stream(t, f))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    target()
                except Exception:
                    if self._stop.is_set():
                        return
                    log.exception("pump %s failed; restarting", name)
                    self._stop.wait(1)

        thread = threading.Thread(target=run, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

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
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=shards[0]["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )["ShardIterator"]
        pending: list[dict[str, Any]] = []
        attempts = 0
        while not self._stop.is_set():
            if not pending:
                response = streams.get_records(ShardIterator=iterator, Limit=100)
                iterator = response["NextShardIterator"]
                pending = response.get("Records", [])
                attempts = 0
                if not pending:
                    self._stop.wait(STREAM_IDLE_SECONDS)
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
            if not failures:
                pending = []
                continue
            attempts += 1
            if attempts >= STREAM_MAX_ATTEMPTS:
                log.error("%s: giving up on %d stream records", function, len(pending))
                pending = []
                continue
            first = min(int(f) for f in failures)
            pending = [r for r in pending if int(r["dynamodb"]["SequenceNumber"]) >= first]
            self._stop.wait(0.5 * attempts)


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
