"""An inbox page reads a bounded number of items whatever the table size: every list is a
Query on an index, never a Scan. moto answers queries by scanning, so wall time says nothing
here; what DynamoDB reports as examined (ScannedCount) and read is what a page costs."""

from __future__ import annotations

from typing import Any

from bench.inbox import PAGE, QUERIES, SIZES, measure_costs


def test_inbox_page_cost_does_not_grow_with_the_table(local_aws: Any) -> None:
    costs = measure_costs()
    small, large = costs[SIZES[0]], costs[SIZES[-1]]
    for name in QUERIES:
        assert small[name][0] == large[name][0] == PAGE, (name, small[name], large[name])
        for at_1k, at_20k in zip(small[name][1:], large[name][1:], strict=True):
            assert abs(at_20k - at_1k) <= PAGE, (name, small[name], large[name])
            assert at_20k <= PAGE * 6, (name, large[name])
