"""An inbox page reads a bounded number of items whatever the table size: every list is a
Query on an index, never a Scan. moto answers queries by scanning, so wall time says nothing
here; what DynamoDB reports as examined (ScannedCount) and read is what a page costs."""

from __future__ import annotations

from typing import Any

from bench.inbox import PAGE, QUERIES, measure_costs

# A page's cost either grows with the table or it does not: 1k against 4k cases shows it as well
# as the bench's 1k against 20k (`make bench`), in a fifth of the time (filling moto is linear).
SIZES = (1_000, 4_000)


def test_inbox_page_cost_does_not_grow_with_the_table(local_aws: Any) -> None:
    costs = measure_costs(SIZES)
    small, large = costs[SIZES[0]], costs[SIZES[-1]]
    for name in QUERIES:
        assert small[name][0] == large[name][0] == PAGE, (name, small[name], large[name])
        for at_small, at_large in zip(small[name][1:], large[name][1:], strict=True):
            assert abs(at_large - at_small) <= PAGE, (name, small[name], large[name])
            assert at_large <= PAGE * 6, (name, large[name])
