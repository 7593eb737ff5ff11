"""Analytics: items the summary reads with 1,000 and 20,000 cases of history (they must be
equal: a request reads per day and per state, never per case), and event -> metric freshness on
the local stack (a case ingested until the summary counts it).

History: resolved cases over 30 days (the demo history generator), counted in memory and the
aggregate items loaded into moto in-process (ingesting 20,000 cases through moto would take
hours and measure moto).
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Timing, table

SIZES = (1_000, 20_000)
DAYS = 30
FRESHNESS_RUNS = 30
NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)


def _summary_reads(cases: int) -> tuple[int, int]:
    """(events counted, items read by a 30-day summary) with `cases` cases of history."""
    from chalicelib.analytics import service
    from chalicelib.analytics.history import aggregate, demo_history
    from chalicelib.dependencies import metrics_store
    from chalicelib.models.analytics import AnalyticsParams

    per_day = cases // DAYS
    reviewers = [(f"reviewer-{n}", f"Reviewer {n}") for n in range(12)]
    events = demo_history(
        "bench", reviewers, clock=lambda: NOW, days=DAYS, cases_per_day=(per_day, per_day)
    )
    store = metrics_store()
    store.load(aggregate(events))
    params = AnalyticsParams.model_validate({"from": "2026-03-01", "to": "2026-03-30"})
    return len(events), service.summary(store, "bench", params, NOW).items_read


def _items_read() -> dict[int, tuple[int, int]]:
    from moto import mock_aws

    from chalicelib import caches
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from tests.integration.conftest import TEST_ENV

    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(TEST_ENV)
    caches.reset_all()
    results: dict[int, tuple[int, int]] = {}
    try:
        for size in SIZES:
            with mock_aws():
                provision(describe_resources(PREFIX, frontend_origins=[]), REGION)
                results[size] = _summary_reads(size)
            caches.reset_all()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        caches.reset_all()
    return results


def _freshness(runs: int) -> Timing:
    from local.child_stack import running_stack, signed_in
    from tests.conftest import poll
    from tests.integration.test_ingestion_api import individual_run

    log = Path(tempfile.mkdtemp(prefix="bench-analytics-")) / "stack.log"
    samples: list[float] = []
    with running_stack(log) as stack, signed_in(stack) as (client, _):

        def created() -> int:
            response = client.get("/api/v1/backoffice/analytics/summary")
            response.raise_for_status()
            return int(response.json()["counts"]["created"])

        for index in range(runs + 3):
            before = created()
            sent = client.post(
                "/api/v1/external/workflows/run",
                json=individual_run(f"bench-analytics-{index}"),
                headers={"Authorization": "Bearer secret"},
            )
            sent.raise_for_status()
            started = time.monotonic()
            poll(lambda b=before: created() > b, timeout=60, interval=0.02)
            if index >= 3:  # warm-up
                samples.append((time.monotonic() - started) * 1000)
    return Timing(samples)


def run(runs: int = FRESHNESS_RUNS) -> tuple[str, bool]:
    reads = _items_read()
    freshness = _freshness(runs)
    small, large = reads[SIZES[0]], reads[SIZES[-1]]
    equal = small[1] == large[1]
    rows = [
        [f"summary, 30 days, {size:,} cases", items, f"{events:,} events counted"]
        for size, (events, items) in reads.items()
    ]
    rows.append(["same items read at both sizes", "yes" if equal else "NO", ""])
    report = table("Analytics: items read per summary", ["what", "items", "notes"], rows)
    report += "\n" + table(
        "Analytics: event -> metric freshness (local stack)",
        ["what", "p50 ms", "p99 ms", "notes"],
        [
            [
                "ingest answered -> counted in the summary",
                freshness.p50,
                freshness.p99,
                f"{len(freshness.samples_ms)} cases; polled every 20 ms",
            ]
        ],
    )
    return report, equal


if __name__ == "__main__":
    print(run()[0])
