"""SQS adapter for handing a consumer's unfinished message back to its queue."""

from __future__ import annotations

from chalicelib.aws.webhook_queue import _queue_url, sqs_client


class SqsWorkQueue:
    """A queue given by URL (the cloud exports them) or, failing that, by name (local)."""

    def __init__(self, queue: str) -> None:
        self._queue = queue

    @property
    def url(self) -> str:
        if self._queue.startswith(("http://", "https://")):
            return self._queue
        return _queue_url(self._queue)

    def send(self, body: str) -> None:
        sqs_client().send_message(QueueUrl=self.url, MessageBody=body)
