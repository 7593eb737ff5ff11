"""The outbox publisher stops at the first failure, so a retried batch publishes nothing twice."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from chalicelib.handlers import outbox_publisher
from chalicelib.models.case import Actor, AuditRecord
from chalicelib.models.events import DomainEvent


def stream_record(n: int) -> dict[str, Any]:
    audit = AuditRecord(
        event_id=f"evt_{n}",
        tenant_id="demo",
        case_id="case_1",
        action="case.note_added",
        at="2026-11-29T10:00:00Z",
        actor=Actor(type="reviewer", id="r1"),
    )
    image = {"pk": "T#demo#C#case_1", "recordType": "audit", "recordJson": audit.model_dump_json()}
    serializer = TypeSerializer()
    return {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": str(100 + n),
            "NewImage": {k: serializer.serialize(v) for k, v in image.items()},
        },
    }


class FlakyPublisher:
    def __init__(self, fail_on: str | None) -> None:
        self.fail_on = fail_on
        self.published: list[str] = []

    def publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            if event.event_id == self.fail_on:
                raise ConnectionError("EventBridge unavailable")
            self.published.append(event.event_id)


@pytest.mark.parametrize(
    ("fail_on", "published", "failures"),
    [
        (None, ["evt_1", "evt_2", "evt_3"], []),
        ("evt_2", ["evt_1"], ["102"]),
    ],
)
def test_batch_stops_at_the_first_failure(
    monkeypatch: pytest.MonkeyPatch, fail_on: str | None, published: list, failures: list
) -> None:
    publisher = FlakyPublisher(fail_on)
    monkeypatch.setattr(outbox_publisher, "event_publisher", lambda: publisher)
    event = {"Records": [stream_record(1), stream_record(2), stream_record(3)]}
    result = outbox_publisher.publish_outbox(event, None)
    assert publisher.published == published
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == failures


def test_other_records_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    publisher = FlakyPublisher(None)
    monkeypatch.setattr(outbox_publisher, "event_publisher", lambda: publisher)
    modified = {**stream_record(1), "eventName": "MODIFY"}
    case_item = {
        "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": "1", "NewImage": {"recordType": {"S": "case"}}},
    }
    assert outbox_publisher.publish_outbox({"Records": [modified, case_item]}, None) == {
        "batchItemFailures": []
    }
    assert publisher.published == []
