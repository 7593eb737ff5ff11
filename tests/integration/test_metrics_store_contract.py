"""One contract, two metrics stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.analytics.events import Increment
from chalicelib.analytics.store import InMemoryMetricsStore, MetricsStore, ReadCounter
from chalicelib.aws.dynamodb_analytics import DynamoMetricsStore
from chalicelib.config import get_analytics_table


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[MetricsStore]:
    if request.param == "memory":
        yield InMemoryMetricsStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoMetricsStore(get_analytics_table())


PK = "T#demo#M#all"


def test_increments_add_up_and_each_event_counts_once(store: MetricsStore) -> None:
    first = [Increment(PK, "D#2026-03-02", {"created|09": 1, "decided|10": 2})]
    assert store.apply("demo", "evt_1", first) is True
    assert store.apply("demo", "evt_1", first) is False  # a redelivery changes nothing
    assert store.apply("demo", "evt_2", [Increment(PK, "D#2026-03-02", {"created|09": 1})])
    reads = ReadCounter()
    (item,) = store.query(PK, "D#2026-03-02", "D#2026-03-02#S", reads)
    assert item.sk == "D#2026-03-02"
    assert item.counts == {"created|09": 2, "decided|10": 2}
    assert reads.items == 1


def test_the_same_event_id_in_another_tenant_is_another_event(store: MetricsStore) -> None:
    increment = [Increment(PK, "D#2026-03-02", {"created|09": 1})]
    assert store.apply("demo", "evt_1", increment)
    assert store.apply("acme", "evt_1", increment)


def test_counters_go_down_and_sets_collect_members(store: MetricsStore) -> None:
    pk = "T#demo#O#all#manual_review"
    store.apply("demo", "e1", [Increment(pk, "TOTAL", {"n": 1})])
    store.apply("demo", "e2", [Increment(pk, "TOTAL", {"n": -1})])
    store.apply("demo", "e3", [Increment("T#demo#O#all", "STATES", {}, ("manual_review",))])
    store.apply(
        "demo", "e4", [Increment("T#demo#O#all", "STATES", {}, ("revision", "manual_review"))]
    )
    reads = ReadCounter()
    (total,) = store.query(pk, "TOTAL", "TOTAL", reads)
    assert total.counts == {"n": 0}
    (states,) = store.query("T#demo#O#all", "STATES", "STATES", reads)
    assert states.members == {"manual_review", "revision"}


def test_a_query_returns_the_range_in_order(store: MetricsStore) -> None:
    for index, sk in enumerate(["D#2026-03-01", "D#2026-03-02", "D#2026-03-02#S", "D#2026-03-04"]):
        store.apply("demo", f"e{index}", [Increment(PK, sk, {"x|00": 1})])
    reads = ReadCounter()
    found = store.query(PK, "D#2026-03-02", "D#2026-03-03#S", reads)
    assert [item.sk for item in found] == ["D#2026-03-02", "D#2026-03-02#S"]
    assert reads.items == 2
    assert store.query("T#demo#M#none", "D#", "D#~", reads) == []
