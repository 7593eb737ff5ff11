"""Analytics: items the summary reads with 1,000 and 20,000 cases of history (they must be
equal: a request reads per day and per state, never per case), and event -> metric freshness on
the local stack (a case ingested until the summary counts it). SLAs, on the same stack: how long
after its deadline a case is flagged breached (the pump's stand-in for the cloud's timer).

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

import httpx

from bench.report import Timing, table

SIZES = (1_000, 20_000)
DAYS = 30
FRESHNESS_RUNS = 30
BREACH_CASES = 20
BREACH_SLA_SECONDS = 3
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


def _freshness(client: httpx.Client, runs: int) -> Timing:
    from tests.conftest import poll
    from tests.integration.test_ingestion_api import individual_run

    samples: list[float] = []

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


def _breach_lag(client: httpx.Client, cases: int) -> Timing:
    """Deadline -> the case listed with the `sla_breached` flag (the timer fired), per case."""
    from tests.conftest import poll
    from tests.integration.test_ingestion_api import individual_run

    sla = {"workflows": {"kyc-manual-review": {"manual_review": BREACH_SLA_SECONDS}}}
    client.put("/api/v1/backoffice/settings/sla", json=sla).raise_for_status()
    for index in range(cases):
        client.post(
            "/api/v1/external/workflows/run",
            json=individual_run(f"bench-sla-{index}"),
            headers={"Authorization": "Bearer secret"},
        ).raise_for_status()
    seen: dict[str, float] = {}

    def all_seen() -> bool:
        page = client.get(
            "/api/v1/backoffice/cases",
            params={"assignee": "any", "flag": "sla_breached", "limit": 100},
        )
        page.raise_for_status()
        now = time.time()
        for row in page.json()["data"]:
            due = datetime.fromisoformat(row["dueAt"].replace("Z", "+00:00")).timestamp()
            seen.setdefault(row["id"], (now - due) * 1000)
        return len(seen) >= cases

    poll(all_seen, timeout=120, interval=0.1)
    return Timing(list(seen.values()))


def _local_stack(runs: int, cases: int) -> tuple[Timing, Timing]:
    from local.child_stack import running_stack, signed_in

    log = Path(tempfile.mkdtemp(prefix="bench-analytics-")) / "stack.log"
    with running_stack(log) as stack, signed_in(stack) as (client, _):
        return _freshness(client, runs), _breach_lag(client, cases)


def run(runs: int = FRESHNESS_RUNS, cases: int = BREACH_CASES) -> tuple[str, bool]:
    reads = _items_read()
    freshness, breach = _local_stack(runs, cases)
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
    report += "\n" + table(
        "SLA: deadline -> breach flagged (local stack)",
        ["what", "p50 ms", "p99 ms", "notes"],
        [
            [
                f"{BREACH_SLA_SECONDS} s SLA, dueAt -> listed with sla_breached",
                breach.p50,
                breach.p99,
                f"{len(breach.samples_ms)} cases at once; inbox polled every 100 ms; "
                "must stay under 60 s",
            ]
        ],
    )
    return report, equal


if __name__ == "__main__":
    print(run()[0])
