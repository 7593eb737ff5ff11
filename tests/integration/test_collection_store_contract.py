"""One contract, two collection stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.aws.dynamodb import DynamoCaseStore
from chalicelib.aws.dynamodb_collection import DynamoCollectionStore
from chalicelib.collection.store import (
    CollectionStore,
    InMemoryCollectionStore,
    LinkRecord,
    RoundTimer,
)
from chalicelib.config import get_settings
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, MessageRecord
from tests.integration.test_case_store_contract import audit, make_case


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[CollectionStore]:
    if request.param == "memory":
        yield InMemoryCollectionStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoCollectionStore(get_settings().cases_table)


def link(token_hash: str, **changes: Any) -> LinkRecord:
    values: dict[str, Any] = {
        "token_hash": token_hash,
        "tenant_id": "demo",
        "case_id": "case_1",
        "round_number": 2,
        "generation": 3,
        "expires_at": "2030-01-01T00:00:00.000Z",
        "created_at": utc_now(),
        "channel": "reviewer",
    }
    return LinkRecord(**{**values, **changes})


def timer(due_at: str, kind: str = "reminder", case_id: str = "case_1") -> RoundTimer:
    return RoundTimer(
        due_at=due_at,
        tenant_id="demo",
        case_id=case_id,
        round_number=1,
        generation=1,
        kind=kind,  # type: ignore[arg-type]
    )


class TestCollectionStoreContract:
    def test_a_link_is_found_by_its_hash_only(self, store: CollectionStore) -> None:
        store.put_link(link("a" * 64))
        grant = store.grant_for_token_hash("a" * 64)
        assert grant is not None
        assert (grant.tenant_id, grant.case_id, grant.round_number, grant.generation) == (
            "demo",
            "case_1",
            2,
            3,
        )
        assert grant.expires_at.year == 2030
        assert store.grant_for_token_hash("b" * 64) is None

    def test_due_timers_come_oldest_first_and_go_when_deleted(self, store: CollectionStore) -> None:
        late = timer("2030-01-03T00:00:00.000Z", "expiry")
        early = timer("2030-01-01T00:00:00.000Z")
        other = timer("2030-01-02T00:00:00.000Z", case_id="case_2")
        store.put_timers([late, early, other])
        assert store.due_timers("2029-12-31T23:59:59.999Z", 10) == []
        assert store.due_timers("2030-01-02T00:00:00.000Z", 10) == [early, other]
        assert store.due_timers("2030-01-05T00:00:00.000Z", 1) == [early]
        store.delete_timer(early)
        assert store.due_timers("2030-01-05T00:00:00.000Z", 10) == [other, late]

    def test_messages_are_kept_in_order_per_case(
        self, store: CollectionStore, request: pytest.FixtureRequest
    ) -> None:
        case = make_case()
        if isinstance(store, DynamoCollectionStore):
            DynamoCaseStore(get_settings().cases_table).create_case(case, audit(case))
        for text in ("first", "second"):
            message = MessageRecord(
                message_id=new_id("msg"),
                tenant_id=case.tenant_id,
                case_id=case.case_id,
                text=text,
                author=Actor(type="customer", id="round:1"),
                created_at=utc_now(),
            )
            record = AuditRecord(
                event_id=new_id("evt"),
                tenant_id=case.tenant_id,
                case_id=case.case_id,
                action="case.message_added",
                at=message.created_at,
                actor=message.author,
            )
            store.add_message(message, record)
        assert [m.text for m in store.list_messages(case.tenant_id, case.case_id)] == [
            "first",
            "second",
        ]
        assert store.list_messages(case.tenant_id, "case_other") == []
