"""`make bench`: run every benchmark and print its table; exit 1 if a budget is missed."""

from __future__ import annotations

import os
import sys

# The tables are the output: keep the handlers' logs and metric lines out of them.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

from bench import (
    analytics,
    case_view,
    cold_start,
    frontend,
    inbox,
    ingest,
    screening,
    webhooks,
)


def main() -> int:
    within_budget = True
    for benchmark in (
        cold_start,
        ingest,
        inbox,
        case_view,
        frontend,
        webhooks,
        analytics,
        screening,
    ):
        report, ok = benchmark.run()
        print(report, flush=True)
        within_budget &= ok
    print("all budgets met" if within_budget else "SOME BUDGETS MISSED")
    return 0 if within_budget else 1


if __name__ == "__main__":
    sys.exit(main())
