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


def domain_event_from_rule_message(body: dict[str, Any]) -> DomainEvent:
    """An EventBridge rule targeting SQS delivers the whole event; the domain event is `detail`."""
    return DomainEvent.model_validate(body["detail"])
