"""Inbox search beyond one BatchGetItem (100 keys), and under throttling (issue 13, item 2)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.aws.dynamodb import (
    DynamoCaseStore,
    batch_get_items,
    case_to_item,
    dynamodb_resource,
    dynamodb_table,
    search_items,
)
from chalicelib.config import get_settings
from chalicelib.errors import ServiceUnavailable
from chalicelib.models.backoffice import InboxParams
from tests.integration.test_backoffice_api import CASES, Reviewers, as_user, ids_of
from tests.integration.test_case_store_contract import make_case

__all__ = ["as_user"]
MATCHING = 130


def janes(count: int) -> list[str]:
    """`count` cases of entities named "Jane Doe", each with exactly one search term starting
    "jane doe"; written as plain items (moto copies the whole table for each transaction, so
    creating them one transaction at a time takes minutes)."""
    cases = [make_case(entity=f"e-{n}") for n in range(count)]
    with dynamodb_table(get_settings().cases_table).batch_writer() as writer:
        for case in cases:
            writer.put_item(Item={k: v for k, v in case_to_item(case).items() if v is not None})
            for item in search_items(case):
                writer.put_item(Item=item)
    return [case.case_id for case in cases]


class ThrottlingClient:
    """The real client, except that the first `throttled` BatchGetItem calls process only the
    first key of each table and hand the rest back as UnprocessedKeys, as DynamoDB does when
    throttled."""

    def __init__(self, client: Any, throttled: int) -> None:
        self._client = client
        self.throttled = throttled
        self.calls = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        if self.calls > self.throttled:
            return self._client.batch_get_item(RequestItems=RequestItems)
        processed = {t: {**r, "Keys": r["Keys"][:1]} for t, r in RequestItems.items()}
        unprocessed = {t: {**r, "Keys": r["Keys"][1:]} for t, r in RequestItems.items()}
        response = self._client.batch_get_item(RequestItems=processed)
        return {**response, "UnprocessedKeys": {t: r for t, r in unprocessed.items() if r["Keys"]}}


def test_a_search_matching_more_than_100_cases_pages_through_all_of_them(
    as_user: Reviewers,
) -> None:
    created = janes(MATCHING)
    admin = as_user("admin@demo.test")
    seen: list[str] = []
    cursor = None
    while True:
        url = f"{CASES}?q=jane%20doe&limit=100&assignee=any"
        url += f"&cursor={cursor}" if cursor else ""
        response = admin.get(url)
        seen += ids_of(response)
        cursor = response.json_body["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_throttled_keys_are_read_again_not_dropped(
    local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = janes(12)
    store = DynamoCaseStore(get_settings().cases_table)
    throttling = ThrottlingClient(store._client, throttled=3)
    monkeypatch.setattr(DynamoCaseStore, "_client", property(lambda _: throttling))
    monkeypatch.setattr("chalicelib.aws.dynamodb.BATCH_GET_BASE_DELAY", 0, raising=False)
    params = InboxParams.model_validate({"q": "jane doe", "assignee": "any"})
    page = store.inbox_page(params.to_query("demo", "reviewer", params.limit), None)
    assert sorted(row.case_id for row in page.rows) == sorted(created)
    assert throttling.calls == 4


def test_keys_still_unprocessed_after_the_last_attempt_raise(local_aws: Any) -> None:
    table = get_settings().cases_table
    throttling = ThrottlingClient(dynamodb_resource().meta.client, throttled=100)
    keys = [{"pk": f"T#demo#C#case_{n}", "sk": "CASE"} for n in range(10)]
    delays: list[float] = []
    with pytest.raises(ServiceUnavailable):
        batch_get_items(throttling, table, keys, sleep=delays.append)
    assert len(delays) == throttling.calls - 1 == 4
