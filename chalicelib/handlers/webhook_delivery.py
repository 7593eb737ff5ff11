"""Webhook delivery consumer: domain events (from the EventBridge rule) are fanned out to their
subscriptions; queued attempts (retries, redeliveries) are made when due."""

from __future__ import annotations

import time
from typing import Any

from chalice import Blueprint

from chalicelib.config import get_webhook_settings
from chalicelib.dependencies import webhook_dispatcher
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch
from chalicelib.models.webhooks import DeliveryMessage
from chalicelib.observability import flush_metrics

webhook_delivery = Blueprint(__name__)


@webhook_delivery.lambda_function(name="webhook_delivery")
def deliver_webhooks(event: dict[str, Any], context: Any) -> dict[str, Any]:
    deadline = time.monotonic() + get_webhook_settings().invocation_budget_seconds
    dispatcher = webhook_dispatcher(deadline=deadline)

    def handle(body: dict[str, Any]) -> None:
        if "webhookDelivery" in body:
            dispatcher.handle_message(DeliveryMessage.model_validate(body["webhookDelivery"]))
        else:
            dispatcher.fan_out(domain_event_from_rule_message(body))

    try:
        return process_sqs_batch(event, context, handle)
    finally:
        flush_metrics()
