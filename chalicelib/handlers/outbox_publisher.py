"""DynamoDB stream consumer: publishes each new audit record as a domain event.

Records are published in stream order and the batch stops at the first failure: Lambda resumes
a stream from the lowest failed sequence number, so publishing records after a failure would
publish them twice when the batch is retried.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.audit.outbox import publish_admin_audit_record, publish_audit_record
from chalicelib.aws.dynamodb import audit_record_from_stream_image
from chalicelib.aws.dynamodb_access import admin_audit_from_stream_image
from chalicelib.dependencies import event_publisher
from chalicelib.observability import logger, metrics

outbox_publisher = Blueprint(__name__)


def _publish(record: dict[str, Any]) -> None:
    if record.get("eventName") != "INSERT":
        return
    image = record.get("dynamodb", {}).get("NewImage") or {}
    audit = audit_record_from_stream_image(image)
    if audit is not None:
        event = publish_audit_record(audit, event_publisher())
        logger.debug(
            "domain event published", extra={"case_id": event.case_id, "event_id": event.event_id}
        )
        return
    admin = admin_audit_from_stream_image(image)
    if admin is not None:
        published = publish_admin_audit_record(admin, event_publisher())
        logger.debug("admin event published", extra={"event_id": published.event_id})


@outbox_publisher.lambda_function(name="outbox_publisher")
def publish_outbox(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event.get("Records", []):
        try:
            _publish(record)
        except Exception:
            sequence = record.get("dynamodb", {}).get("SequenceNumber")
            logger.exception("outbox record not published", extra={"sequence": sequence})
            metrics.add_metric(name="OutboxPublishFailed", unit="Count", value=1)
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}
