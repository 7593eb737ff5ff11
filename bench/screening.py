"""Sanctions screening: one name against a 10,000-entry list (the bundled real listings plus
synthetic entries from `local.sanctions_sample`), p50 and p99, for a listed name and a clean
one; and the time to load and index the list (once per list version in a warm function).

The plugin step's added latency on the local stack (`make run`'s, started on free ports): the
time from a run's 201 to its execution waiting in `manual_review`, for a case on
`kyc-manual-review` (its screening runs on ingest, before the initial state: a queue message,
the plugin worker's screening and recorded result, the token back) and one on
`risk-score-improvement-dev` (no plugins), in turns, one case at a time, same entity data.
The execution history is polled every 20 ms."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.report import Timing, measure, table

ENTRIES = 10_000
RUNS = 200
NAMES = (
    ("listed: Vladimir Putin, born 1952-10-07", "Vladimir Putin", "1952-10-07", "ru"),
    ("clean: Jane Doe", "Jane Doe", "1990-04-12", "de"),
    ("transliterated: Путин Владимир", "Путин Владимир", None, None),
)
STEP_CASES = 20
SCREENED, PLAIN = "kyc-manual-review", "risk-score-improvement-dev"
POLL_SECONDS = 0.02


def _waiting_after_run(stack: Any, client: Any, machines: dict[str, str], workflow: str) -> float:
    """Milliseconds from the run's 201 to its execution entering `manual_review`."""
    from local.child_stack import states_entered

    sfn = stack.aws_client("stepfunctions")
    body = {
        "workflowId": workflow,
        "context": {
            "entity": {
                "id": f"bench-step-{uuid.uuid4().hex[:10]}",
                "type": "individual",
                "data": {"firstName": "Jane", "lastName": "Doe", "dateOfBirth": "1990-04-12"},
            },
            "documents": [],
        },
    }
    response = client.post(
        "/api/v1/external/workflows/run", json=body, headers={"Authorization": "Bearer secret"}
    )
    answered = time.perf_counter()
    response.raise_for_status()
    arn = machines[workflow].replace(":stateMachine:", ":execution:")
    arn += f":{response.json()['workflowRuntimeId']}"
    deadline = answered + 60
    while time.perf_counter() < deadline:
        try:
            events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        except sfn.exceptions.ExecutionDoesNotExist:
            events = []
        if "manual_review" in states_entered(events):
            return (time.perf_counter() - answered) * 1000
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{workflow}: not waiting in manual_review 60 s after the run")


def plugin_step_latency(cases: int = STEP_CASES) -> dict[str, Timing]:
    """Run -> waiting in `manual_review` on the local stack, with and without the screening
    step, in turns (after one warm-up case of each)."""
    import httpx

    from local.child_stack import running_stack

    log = Path(tempfile.mkdtemp(prefix="bench-screening-")) / "stack.log"
    samples: dict[str, list[float]] = {SCREENED: [], PLAIN: []}
    with running_stack(log) as stack, httpx.Client(base_url=stack.base_url, timeout=30) as client:
        machines = {w: stack.state_machine_arn(w) for w in samples}
        for workflow in samples:
            _waiting_after_run(stack, client, machines, workflow)
        for _ in range(cases):
            for workflow, into in samples.items():
                into.append(_waiting_after_run(stack, client, machines, workflow))
    return {workflow: Timing(values) for workflow, values in samples.items()}


def run() -> tuple[str, bool]:
    from chalicelib.plugins.sanctions.lists import load_ftm
    from chalicelib.plugins.sanctions.matching import ScreeningIndex, Subject
    from local.sanctions_sample import REAL_FTM, ftm_lines, synthetic_entities

    content = ftm_lines(REAL_FTM + synthetic_entities(ENTRIES - len(REAL_FTM)))
    started = time.perf_counter()
    index = ScreeningIndex([load_ftm("bench", content)])
    load_ms = (time.perf_counter() - started) * 1000
    rows: list[list[object]] = [["load + index the list (once)", len(index), load_ms, load_ms, "-"]]
    for label, name, birth_date, country in NAMES:
        subject = Subject("entity", "person", name, birth_date, country)
        hits = len(index.screen(subject))
        timing = measure(lambda s=subject: index.screen(s), RUNS)  # type: ignore[misc]
        rows.append([label, len(index), timing.p50, timing.p99, hits])
    report = table(
        f"Sanctions screening: one name against {ENTRIES:,} entries ({RUNS} runs)",
        ["what", "entries", "p50 ms", "p99 ms", "hits"],
        rows,
    )
    steps = plugin_step_latency()
    screened, plain = steps[SCREENED], steps[PLAIN]
    report += "\n" + table(
        f"Plugin step: run answered -> execution waiting in manual_review (local stack, "
        f"{STEP_CASES} cases each, in turns)",
        ["workflow", "p50 ms", "p99 ms", "notes"],
        [
            [PLAIN, plain.p50, plain.p99, "no plugins"],
            [SCREENED, screened.p50, screened.p99, "sanctions screening on ingest"],
            [
                "added by the plugin step",
                screened.p50 - plain.p50,
                screened.p99 - plain.p99,
                "difference of the percentiles",
            ],
        ],
    )
    return report, True
