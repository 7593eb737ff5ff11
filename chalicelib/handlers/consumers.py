"""Shared shape of the queue consumers: Powertools batch processing with partial failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.models.events import DomainEvent


def process_sqs_batch(
    event: dict[str, Any], context: Any, handle: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run `handle` on each message body; failed messages are reported, not the whole batch."""

    def record_handler(record: SQSRecord) -> None:
        handle(json.loads(record.body))

    # Powertools types the answer as a TypedDict; Lambda takes it as the plain dict it is.
    response = process_partial_response(
        event=event,
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=context,
    )
    return cast(dict[str, Any], response)


class InvocationBudget:
    """What is left of this Lambda invocation (from its context), less a margin kept for the
    work after the last step (writes, handing messages back, the batch response)."""

    def __init__(self, context: Any, margin_seconds: float) -> None:
        self._context = context
        self._margin = margin_seconds
        self._started = False

    def allows(self, seconds: float) -> bool:
        """Whether a step that may take `seconds` can start now. The invocation's first step
        always may: a function whose timeout could never fit one step would otherwise hand the
        same work back forever instead of failing visibly."""
        left = self._context.get_remaining_time_in_millis() / 1000 - self._margin
        if left >= seconds or not self._started:
            self._started = True
            return True
        return False


def domain_event_from_rule_message(body: dict[str, Any]) -> DomainEvent:
    """An EventBridge rule targeting SQS delivers the whole event; the domain event is `detail`."""
    return DomainEvent.model_validate(body["detail"])
