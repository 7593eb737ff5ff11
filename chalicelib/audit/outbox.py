"""The outbox: every audit record is committed with its fact, and the table's stream hands it
here to be published, so a crash between commit and publish cannot lose an event."""

from __future__ import annotations

from typing import Protocol

from chalicelib.models.case import AuditRecord
from chalicelib.models.events import DomainEvent


class EventPublisher(Protocol):
    def publish(self, events: list[DomainEvent]) -> None: ...


def publish_audit_record(record: AuditRecord, publisher: EventPublisher) -> DomainEvent:
    event = DomainEvent.from_audit(record)
    publisher.publish([event])
    return event
