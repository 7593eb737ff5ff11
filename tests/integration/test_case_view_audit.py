"""The case view reads a bounded page of the audit trail, however long it is (issue 13,
item 12): one limited Query, newest first, not the whole trail."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.aws.dynamodb import dynamodb_resource
from chalicelib.cases.case_view import TIMELINE_LENGTH
from chalicelib.dependencies import reviewer_directory
from tests.integration.conftest import Api
from tests.integration.test_backoffice_api import CASES, Reviewers, as_user, ingest
from tests.integration.test_ingestion_api import individual_run

__all__ = ["as_user"]
NOTES = TIMELINE_LENGTH + 15


@pytest.fixture
def items_read(local_aws: Any) -> Iterator[list[int]]:
    """Items each DynamoDB Query examined (its ScannedCount), in order."""
    counts: list[int] = []

    def count(parsed: dict[str, Any], **_: Any) -> None:
        counts.append(parsed.get("ScannedCount", 0))

    events = dynamodb_resource().meta.client.meta.events
    events.register("after-call.dynamodb.Query", count)
    yield counts
    events.unregister("after-call.dynamodb.Query", count)


def test_the_case_view_reads_only_the_newest_audit_records(
    api: Api, as_user: Reviewers, items_read: list[int]
) -> None:
    case_id = ingest(api, individual_run("p-1"))
    alice = as_user("alice@demo.test")
    for n in range(NOTES):
        assert alice.post(f"{CASES}/{case_id}/notes", {"text": f"note {n}"}).status_code == 201
    reviewers = len(reviewer_directory().list_reviewers("demo"))
    items_read.clear()

    view = alice.get(f"{CASES}/{case_id}")
    assert view.status_code == 200, view.body
    # Besides the reviewers' names, only the timeline's records: not the 36 of the whole trail.
    assert sum(items_read) <= TIMELINE_LENGTH + reviewers, items_read
    timeline = view.json_body["timeline"]
    full = alice.get(f"{CASES}/{case_id}/audit").json_body["data"]
    assert len(full) == NOTES + 2  # case.created, the screening's workflow.context.changed
    assert [e["id"] for e in timeline] == [e["id"] for e in full[-TIMELINE_LENGTH:]]
