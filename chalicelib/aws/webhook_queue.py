"""SQS adapter for webhook attempts: the webhook queue (delayed attempts) and its DLQ."""

from __future__ import annotations

import functools
import json
import math
from typing import Any

import boto3

from chalicelib.caches import register
from chalicelib.limits import SQS_MAX_DELAY_SECONDS
from chalicelib.models.webhooks import DeliveryMessage


@register
@functools.cache
def sqs_client() -> Any:
    return boto3.client("sqs")


@register
@functools.cache
def _queue_url(name: str) -> str:
    return str(sqs_client().get_queue_url(QueueName=name)["QueueUrl"])


def message_body(message: DeliveryMessage, **extra: Any) -> str:
    return json.dumps({"webhookDelivery": message.model_dump(by_alias=True), **extra})


class SqsDeliveryQueue:
    """Queues are given by URL (the cloud exports them) or, failing that, by name (local)."""

    def __init__(self, queue: str, dead_letter_queue: str) -> None:
        self._queue = queue
        self._dlq = dead_letter_queue

    @staticmethod
    def _url(queue: str) -> str:
        return queue if queue.startswith(("http://", "https://")) else _queue_url(queue)

    def schedule(self, message: DeliveryMessage, delay_seconds: float) -> None:
        delay = min(SQS_MAX_DELAY_SECONDS, max(0, math.ceil(delay_seconds)))
        sqs_client().send_message(
            QueueUrl=self._url(self._queue), MessageBody=message_body(message), DelaySeconds=delay
        )

    def dead_letter(self, message: DeliveryMessage, reason: str) -> None:
        sqs_client().send_message(
            QueueUrl=self._url(self._dlq), MessageBody=message_body(message, reason=reason)
        )

    def dead_letter_depth(self) -> int | None:
        attributes = sqs_client().get_queue_attributes(
            QueueUrl=self._url(self._dlq), AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))
