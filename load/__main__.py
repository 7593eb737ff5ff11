"""`make load`: Locust, headless, against the local stack for LOAD_SECONDS (default 60), then the
exactly-once checks. Exits 1 if a request failed (409s apart) or a check did not hold.

The stack runs as a child process on free ports with a temporary data folder. Two receivers on
127.0.0.1 verify every request's signature with `standardwebhooks` and answer 500 to one
attempt in five: the default subscription's (WEBHOOK_URL/WEBHOOK_SECRET) and a demo-tenant
subscription created through the API. Retries come on a shortened schedule so a run drains in
seconds; ten attempts make a dead letter from the 20 % failures practically impossible
(0.2^10), so one in the DLQ means a defect.
"""

from __future__ import annotations

# Locust patches the standard library for gevent when imported: before anything opens sockets.
import locust.env  # isort: skip

import os
import random
import sys
import tempfile
import time
from pathlib import Path

import gevent
from locust.stats import StatsEntry

from bench.report import table
from chalicelib.webhooks.signing import generate_secret
from load import checks
from load.users import OUTCOMES, Integrator, Reviewer
from local.child_stack import running_stack, signed_in
from tests.integration.test_webhooks_api import Receiver

FAILING_SHARE = 0.2
RETRY_DELAYS = "0,1,2,3,4,5,6,8,10,12"
STOP_SECONDS = 120


def _run_locust(base_url: str, seconds: int) -> tuple[locust.env.Environment, float]:
    # Users finish the task in hand when time is up: a run killed in flight would be a case
    # whose 201 nobody saw.
    env = locust.env.Environment(
        user_classes=[Integrator, Reviewer], host=base_url, stop_timeout=STOP_SECONDS
    )
    runner = env.create_local_runner()
    users = Integrator.fixed_count + Reviewer.fixed_count
    started = time.monotonic()
    runner.start(users, spawn_rate=users)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env, time.monotonic() - started


def _traffic_table(env: locust.env.Environment, seconds: float) -> str:
    def row(name: str, entry: StatsEntry) -> list[object]:
        return [
            name,
            entry.num_requests,
            entry.num_requests / seconds,
            entry.get_response_time_percentile(0.5),
            entry.get_response_time_percentile(0.99),
            OUTCOMES.conflicts[name] if name != "total" else sum(OUTCOMES.conflicts.values()),
            entry.num_failures,
        ]

    rows = [row(e.name, e) for e in sorted(env.stats.entries.values(), key=lambda e: e.name)]
    rows.append(row("total", env.stats.total))
    title = (
        f"Load: {Integrator.fixed_count} integrators, {Reviewer.fixed_count} reviewers, "
        f"{seconds:.0f} s, local stack"
    )
    headers = ["route", "requests", "req/s", "p50 ms", "p99 ms", "409 (expected)", "errors"]
    return table(title, headers, rows)


def main() -> int:
    seconds = int(os.environ.get("LOAD_SECONDS", "60"))
    drain_seconds = int(os.environ.get("LOAD_DRAIN_SECONDS", "240"))
    chance = random.Random()

    def flaky() -> int:
        return 500 if chance.random() < FAILING_SHARE else 200

    default_secret = generate_secret()
    default_receiver = Receiver([default_secret], default=flaky).start()
    tenant_receiver = Receiver([], default=flaky).start()
    log = Path(tempfile.mkdtemp(prefix="load-")) / "stack.log"
    env = {
        "WEBHOOK_URL": default_receiver.url,
        "WEBHOOK_SECRET": default_secret,
        "WEBHOOK_RETRY_DELAYS_SECONDS": RETRY_DELAYS,
        "WEBHOOK_TIMEOUT_SECONDS": "10",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    print(f"starting the local stack (log: {log})", flush=True)
    try:
        with running_stack(log, env) as stack, signed_in(stack, timeout=60) as (admin, _):
            created = admin.post("/api/v1/backoffice/webhooks", json={"url": tenant_receiver.url})
            created.raise_for_status()
            tenant_receiver.secrets.append(created.json()["secret"])
            receivers = {"default": default_receiver, created.json()["id"]: tenant_receiver}
            before = set(checks.all_cases(admin))
            print(f"running {seconds} s of load", flush=True)
            locust_env, elapsed = _run_locust(stack.base_url, seconds)
            print(_traffic_table(locust_env, elapsed), flush=True)
            drained = checks.drain(stack, admin, drain_seconds)
            print(f"drained in {drained:.0f} s; checking", flush=True)

            def verify() -> list[checks.Result]:
                cases = {k: v for k, v in checks.all_cases(admin).items() if k not in before}
                events = checks.expected_events(admin, set(cases))
                return [
                    checks.cases_match_runs(cases, set(), OUTCOMES.accepted),
                    *checks.webhooks_once(admin, events, receivers),
                    checks.executions_in_sync(stack, cases),
                    checks.dead_letters(stack),
                ]

            results = checks.poll_checks(verify, timeout=drain_seconds)
    finally:
        default_receiver.stop()
        tenant_receiver.stop()

    failures = locust_env.stats.total.num_failures + len(locust_env.runner.exceptions)
    errors = [
        checks.Result(
            "errors (409s apart)",
            not failures and not OUTCOMES.problems,
            f"{failures} failed requests or exceptions; runs retried {OUTCOMES.retried}, "
            f"replayed {OUTCOMES.replayed} (same case each time), "
            f"re-run after a re-upload request {OUTCOMES.resubmitted}"
            + (f"; wrong answers: {OUTCOMES.problems[:3]}" if OUTCOMES.problems else ""),
        )
    ]
    for error in locust_env.stats.errors.values():
        print(f"error x{error.occurrences}: {error.method} {error.name}: {error.error}")
    for exception in locust_env.runner.exceptions.values():
        print(f"exception x{exception['count']}: {exception['msg']}\n{exception['traceback']}")
    rows = [[r.check, "ok" if r.ok else "FAILED", r.detail] for r in errors + results]
    print(table("After draining", ["check", "result", "detail"], rows))
    ok = all(r.ok for r in errors + results)
    print("all checks passed" if ok else f"SOME CHECKS FAILED (stack log: {log})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
