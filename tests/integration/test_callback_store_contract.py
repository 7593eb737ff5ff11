"""One contract, two stores of asynchronous vendors' pending callbacks: the in-memory fake and
DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.aws.dynamodb_callbacks import DynamoCallbackStore
from chalicelib.config import get_settings
from chalicelib.plugins.callbacks import CallbackStore, InMemoryCallbackStore, PendingCallback


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[CallbackStore]:
    if request.param == "memory":
        yield InMemoryCallbackStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoCallbackStore(get_settings().cases_table)


def pending(run_key: str, case_id: str = "case_1") -> PendingCallback:
    return PendingCallback(
        tenant_id="demo",
        case_id=case_id,
        plugin="vendor",
        definition_id="kyc-manual-review",
        definition_version=1,
        task_token=f"token-{run_key}",
        run_key=run_key,
        started_at="2026-01-01T00:00:00.000Z",
        input_digest="d" * 64,
    )


class TestCallbackStoreContract:
    def test_a_retry_replaces_the_request_and_a_callback_completes_once(
        self, store: CallbackStore
    ) -> None:
        assert store.get("case_1", "vendor") is None
        store.put_pending(pending("k1"))
        store.put_pending(pending("k2"))  # the step's retry asked again
        found = store.get("case_1", "vendor")
        assert found == pending("k2") and found.completed_at is None
        assert store.get("case_2", "vendor") is None and store.get("case_1", "other") is None

        assert store.complete("case_1", "vendor", "k1", "2026-01-01T00:01:00.000Z") is False
        assert store.complete("case_1", "vendor", "k2", "2026-01-01T00:01:00.000Z") is True
        assert store.complete("case_1", "vendor", "k2", "2026-01-01T00:02:00.000Z") is False
        completed = store.get("case_1", "vendor")
        assert completed is not None and completed.completed_at == "2026-01-01T00:01:00.000Z"
        assert store.complete("case_9", "vendor", "k2", "2026-01-01T00:01:00.000Z") is False
