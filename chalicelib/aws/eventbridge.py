"""EventBridge adapter: publishes domain events to the bus."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import boto3

from chalicelib.caches import register
from chalicelib.models.events import EVENT_SOURCE, BusEvent

MAX_ENTRIES_PER_CALL = 10
# Puts of one batch before its refused entries are left to the caller's retry.
MAX_PUT_ATTEMPTS = 3


@register
@functools.cache
def events_client() -> Any:
    return boto3.client("events")


class EventPublishError(Exception):
    """Some entries were not accepted; the caller retries them (the outbox record stays)."""


class EventBridgePublisher:
    def __init__(self, bus_name: str) -> None:
        self._bus_name = bus_name

    def publish(self, events: Sequence[BusEvent]) -> None:
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            self._put(events[start : start + MAX_ENTRIES_PER_CALL])

    def _put(self, batch: Sequence[BusEvent]) -> None:
        """Put one batch. A partial failure resends only the refused entries: resending the
        whole batch would publish the accepted ones twice."""
        entries = [
            {
                "Source": EVENT_SOURCE,
                "DetailType": event.type,
                "Detail": event.model_dump_json(by_alias=True),
                "EventBusName": self._bus_name,
                "Resources": [event.resource],
            }
            for event in batch
        ]
        errors: list[str | None] = []
        for _ in range(MAX_PUT_ATTEMPTS):
            response = events_client().put_events(Entries=entries)
            if not response.get("FailedEntryCount"):
                return
            # Results come in the order of the entries; a refused one has an ErrorCode.
            results = response.get("Entries", [])
            refused = [i for i, r in enumerate(results) if r.get("ErrorCode")]
            errors = [results[i].get("ErrorCode") for i in refused]
            entries = [entries[i] for i in refused]
        raise EventPublishError(f"EventBridge refused {len(entries)} entries: {errors}")
