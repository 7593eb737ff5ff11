"""SLA timers consumer: domain events (case created, state changed) arm or disarm the case's
timer; timer messages fire it (docs/sla.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from chalicelib.dependencies import case_store, sla_settings, sla_timer_queue
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch
from chalicelib.observability import flush_metrics
from chalicelib.sla.timers import arm, fire

sla_timers = Blueprint(__name__)


@sla_timers.lambda_function(name="sla_timers")
def handle_sla_timers(event: dict[str, Any], context: Any) -> dict[str, Any]:
    cases, settings, queue = case_store(), sla_settings(), sla_timer_queue()

    def handle(body: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        if "slaTimer" in body:
            fire(cases, settings, queue, body["slaTimer"], now)
            return
        domain_event = domain_event_from_rule_message(body)
        state = (domain_event.data.get("after") or {}).get("state")
        if state:
            arm(
                cases,
                settings,
                queue,
                tenant_id=domain_event.tenant_id,
                case_id=domain_event.case_id,
                state=state,
                entered_at=domain_event.occurred_at,
                now=now,
            )

    try:
        return process_sqs_batch(event, context, handle)
    finally:
        flush_metrics()
