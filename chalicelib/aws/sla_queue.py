"""SQS adapter for SLA timer messages: delayed (at most 15 minutes at a time; the consumer sends
an early message again for the rest of its wait)."""

from __future__ import annotations

import json
import math
from typing import Any

from chalicelib.aws.webhook_queue import _queue_url, sqs_client
from chalicelib.limits import SQS_MAX_DELAY_SECONDS


class SqsTimerQueue:
    """The queue is named (`<prefix>-sla`): its URL is looked up once per process."""

    def __init__(self, queue_name: str) -> None:
        self._queue_name = queue_name

    def schedule(self, message: dict[str, Any], delay_seconds: float) -> None:
        delay = min(SQS_MAX_DELAY_SECONDS, max(0, math.ceil(delay_seconds)))
        sqs_client().send_message(
            QueueUrl=_queue_url(self._queue_name),
            MessageBody=json.dumps(message),
            DelaySeconds=delay,
        )
