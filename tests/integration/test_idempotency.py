"""An attempt that dies with its Lambda invocation must not block its Idempotency-Key."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.aws.idempotency import run_once
from chalicelib.config import get_settings
from chalicelib.errors import Conflict
from tests.conftest import poll


class InvocationEndingNow:
    """A Lambda context with no time left: what an attempt killed by its timeout had."""

    def get_remaining_time_in_millis(self) -> int:
        return 1


class Timeout(BaseException):
    """Stands for the runtime killing the invocation: no `except Exception` sees it."""


def test_a_timed_out_attempt_does_not_block_the_retry(local_aws: Any) -> None:
    table = get_settings().idempotency_table

    def dies() -> dict[str, Any]:
        raise Timeout

    with pytest.raises(Timeout):
        run_once(
            table,
            scope="test",
            key="k1",
            payload={"a": 1},
            action=dies,
            lambda_context=InvocationEndingNow(),
        )

    def retry() -> dict[str, Any] | None:
        try:
            return run_once(
                table, scope="test", key="k1", payload={"a": 1}, action=lambda: {"ok": True}
            )
        except Conflict:
            return None

    assert poll(retry) == {"ok": True}
