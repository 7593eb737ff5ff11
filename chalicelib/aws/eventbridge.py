"""EventBridge adapter: publishes domain events to the bus."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import boto3

from chalicelib.caches import register
from chalicelib.models.events import EVENT_SOURCE, DomainEvent

MAX_ENTRIES_PER_CALL = 10


@register
@functools.cache
def events_client() -> Any:
    return boto3.client("events")


class EventPublishError(Exception):
    """Some entries were not accepted; the caller retries them (the outbox record stays)."""


class EventBridgePublisher:
    def __init__(self, bus_name: str) -> None:
        self._bus_name = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            batch = events[start : start + MAX_ENTRIES_PER_CALL]
            response = events_client().put_events(
                Entries=[
                    {
                        "Source": EVENT_SOURCE,
                        "DetailType": event.type,
                        "Detail": event.model_dump_json(by_alias=True),
                        "EventBusName": self._bus_name,
                        "Resources": [f"case/{event.case_id}"],
                    }
                    for event in batch
                ]
            )
            if response.get("FailedEntryCount"):
                failed = [
                    e.get("ErrorCode") for e in response.get("Entries", []) if e.get("ErrorCode")
                ]
                raise EventPublishError(f"EventBridge refused {len(failed)} entries: {failed}")
