"""The outbox: every audit record is committed with its fact, and the table's stream hands it
here to be published, so a crash between commit and publish cannot lose an event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from chalicelib.models.case import AuditRecord
from chalicelib.models.events import AdminEvent, BusEvent, DomainEvent

if TYPE_CHECKING:
    from chalicelib.models.admin import AdminAuditRecord


class EventPublisher(Protocol):
    def publish(self, events: Sequence[BusEvent]) -> None: ...


def publish_audit_record(record: AuditRecord, publisher: EventPublisher) -> DomainEvent:
    event = DomainEvent.from_audit(record)
    publisher.publish([event])
    return event


def publish_admin_audit_record(record: AdminAuditRecord, publisher: EventPublisher) -> AdminEvent:
    event = AdminEvent.from_admin_audit(record)
    publisher.publish([event])
    return event
