"""Metrics consumer: each domain event of the metrics rule is counted once into the analytics
aggregates (a redelivery finds its seen-marker and changes nothing)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.analytics.service import record_event
from chalicelib.dependencies import metrics_store
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch
from chalicelib.observability import flush_metrics, logger

metrics_consumer = Blueprint(__name__)


@metrics_consumer.lambda_function(name="metrics_consumer")
def count_events(event: dict[str, Any], context: Any) -> dict[str, Any]:
    store = metrics_store()

    def handle(body: dict[str, Any]) -> None:
        domain_event = domain_event_from_rule_message(body)
        if not record_event(store, domain_event):
            logger.debug("event already counted", extra={"event_id": domain_event.event_id})

    try:
        return process_sqs_batch(event, context, handle)
    finally:
        flush_metrics()
