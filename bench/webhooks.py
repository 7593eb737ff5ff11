"""Webhooks: decision -> signed delivery latency at a local receiver on the local stack, and the
delivery throughput of one consumer.

Latency: the `make run` stack as a subprocess (moto over HTTP, the pump playing Lambda), a real
receiver on 127.0.0.1 that verifies every signature; the clock runs from sending the case
decision to the receiver holding the verified `workflow.state.changed`. It covers the decision
transaction, the DynamoDB stream, EventBridge, SQS, fan-out, signing and the POST.

Throughput: the `webhook_delivery` handler invoked in-process (as Lambda would, batches of 10)
on moto in-process, each event fanned out to the default subscription at a local receiver.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.report import Timing, table

LATENCY_RUNS = 40
THROUGHPUT_EVENTS = 300


def _latency(runs: int) -> Timing:
    from chalicelib.webhooks.signing import generate_secret
    from local.child_stack import running_stack
    from local.environment import REVIEWER_PASSWORD
    from tests.conftest import poll
    from tests.integration.test_ingestion_api import individual_run
    from tests.integration.test_webhooks_api import Receiver

    secret = generate_secret()
    receiver = Receiver([secret]).start()
    log = Path(tempfile.mkdtemp(prefix="bench-webhooks-")) / "stack.log"
    env = {"WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": secret}
    samples: list[float] = []
    try:
        with running_stack(log, env) as stack, httpx.Client(base_url=stack.base_url) as client:
            session = client.post(
                "/api/v1/auth/login",
                json={"email": "admin@demo.test", "password": REVIEWER_PASSWORD},
            ).json()
            admin = {"Authorization": f"Bearer {session['idToken']}"}
            api_key = {"Authorization": "Bearer secret"}
            cases = []
            for index in range(runs + 3):
                response = client.post(
                    "/api/v1/external/workflows/run",
                    json=individual_run(f"bench-webhook-{index}"),
                    headers=api_key,
                )
                response.raise_for_status()
                cases.append(response.json()["workflowRuntimeId"])
            for index, case_id in enumerate(cases):
                started = time.monotonic()
                decided = client.post(
                    f"/api/v1/backoffice/cases/{case_id}/decision",
                    json={"decision": "reject", "reason": "data_mismatch", "expectedVersion": 1},
                    headers=admin,
                )
                assert decided.status_code == 200, decided.text
                [received] = poll(
                    lambda c=case_id: receiver.of("workflow.state.changed", c), timeout=30
                )
                if index >= 3:  # warm-up: the first decisions pay for imports and connections
                    samples.append((received.at - started) * 1000)
            assert receiver.rejected == []
    finally:
        receiver.stop()
    return Timing(samples)


def _throughput(events: int) -> tuple[float, float]:
    from chalice.local import LambdaContext
    from moto import mock_aws

    from chalicelib import caches
    from chalicelib.webhooks.signing import generate_secret
    from infra.resources import describe_resources
    from local.environment import PREFIX, REGION
    from local.provision import provision
    from tests.integration.conftest import TEST_ENV
    from tests.integration.test_webhooks_api import Receiver

    secret = generate_secret()
    receiver = Receiver([secret]).start()
    saved = dict(os.environ)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(
        {**TEST_ENV, "WEBHOOK_URL": receiver.url, "WEBHOOK_SECRET": secret, "LOG_LEVEL": "ERROR"}
    )
    caches.reset_all()
    try:
        with mock_aws():
            provision(describe_resources(PREFIX, frontend_origins=[]), REGION)
            from app import app
            from chalicelib.models.events import DomainEvent
            from chalicelib.observability import logger

            handler = app.handler_map["webhook_delivery"]

            def batch(start: int) -> dict[str, Any]:
                return {
                    "Records": [
                        {
                            "messageId": f"m{n}",
                            "receiptHandle": f"r{n}",
                            "body": '{"detail": '
                            + DomainEvent(
                                event_id=f"evt_bench_{n}",
                                type="case.note_added",
                                tenant_id="demo",
                                case_id="case_bench",
                                occurred_at="2026-01-01T00:00:00.000Z",
                                actor={"type": "reviewer", "id": "u1", "name": "Bench"},
                                data={"noteId": f"note_{n}", "authorId": "u1"},
                            ).model_dump_json(by_alias=True)
                            + "}",
                            "attributes": {},
                            "messageAttributes": {},
                            "md5OfBody": "",
                            "eventSource": "aws:sqs",
                            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                            "awsRegion": REGION,
                        }
                        for n in range(start, start + 10)
                    ]
                }

            # Per-attempt logs and metrics would flood the report: they go nowhere here.
            level = logger.log_level
            logger.setLevel("ERROR")
            with contextlib.redirect_stdout(io.StringIO()):
                handler(batch(10**6), LambdaContext("webhook_delivery", 256))  # warm-up
                started = time.perf_counter()
                for start in range(0, events, 10):
                    result = handler(batch(start), LambdaContext("webhook_delivery", 256))
                    assert not result.get("batchItemFailures"), result
                elapsed = time.perf_counter() - started
            logger.setLevel(level)
        delivered = len(receiver.received) - 10
        assert delivered == events and receiver.rejected == []
        return delivered / elapsed, elapsed * 1000 / delivered
    finally:
        receiver.stop()
        os.environ.clear()
        os.environ.update(saved)
        caches.reset_all()


def run(runs: int = LATENCY_RUNS, events: int = THROUGHPUT_EVENTS) -> tuple[str, bool]:
    latency = _latency(runs)
    per_second, per_event_ms = _throughput(events)
    rows = [
        [
            "decision -> verified delivery (local stack)",
            latency.p50,
            latency.p99,
            f"{len(latency.samples_ms)} decisions",
        ],
        [
            "one consumer, fan-out + sign + POST (moto in-process)",
            per_event_ms,
            "",
            f"{per_second:.0f} deliveries/s over {events} events",
        ],
    ]
    report = table("Webhooks", ["what", "p50 ms", "p99 ms", "notes"], rows)
    # No budget is set for webhooks (DESIGN.md asks for the numbers); reported, never failing.
    return report, True


if __name__ == "__main__":
    print(run()[0])
