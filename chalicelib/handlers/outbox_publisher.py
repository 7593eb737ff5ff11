"""DynamoDB stream consumer: publishes each new audit record as a domain event."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from chalice import Blueprint

from chalicelib.audit.outbox import publish_audit_record
from chalicelib.aws.dynamodb import audit_record_from_stream_image
from chalicelib.dependencies import event_publisher
from chalicelib.observability import logger

outbox_publisher = Blueprint(__name__)


def _publish(record: DynamoDBRecord) -> None:
    if record.raw_event.get("eventName") != "INSERT":
        return
    new_image = record.raw_event.get("dynamodb", {}).get("NewImage") or {}
    audit = audit_record_from_stream_image(new_image)
    if audit is None:
        return
    event = publish_audit_record(audit, event_publisher())
    logger.debug(
        "domain event published", extra={"case_id": event.case_id, "event_id": event.event_id}
    )


@outbox_publisher.lambda_function(name="outbox_publisher")
def publish_outbox(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(
        event=event,
        record_handler=_publish,
        processor=BatchProcessor(event_type=EventType.DynamoDBStreams),
        context=context,
    )
