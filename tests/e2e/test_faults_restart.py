"""The local stack stopped (Ctrl-C) in the middle of a load of ingests and decisions, then
started again on the same data folder (issue 15, item 3): every accepted request's effect is
there, an integrator's retry of a request that got no answer does not create a second case,
every decision's webhooks reach the receiver once, and every execution waits in (or has
finished at) its case's state. The other faults are listed in tests/integration/test_faults.py.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from local.child_stack import launch_stack, states_entered
from tests.conftest import poll
from tests.e2e.test_persistence import DEFAULT_SECRET, SECRET, Session, receiver
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_webhooks_api import Receiver

__all__ = ["receiver"]  # the fixture, with the stack's default webhook secret
RUN = "/api/v1/external/workflows/run"
INTEGRATORS = 3
REVIEWERS = 2
# Stop the stack once this much has been accepted (while the load still runs).
STOP_AFTER_RUNS = 9
STOP_AFTER_DECISIONS = 4


class Load:
    """Integrators ingest new entities with Idempotency-Keys; reviewers approve what was
    ingested. Records what the stack accepted (2xx) and what got no answer."""

    def __init__(self, base_url: str, reviewer: dict[str, str]) -> None:
        self.base_url = base_url
        self.reviewer = reviewer
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.runs: dict[str, str] = {}  # entity id -> case id (201)
        self.unanswered_runs: list[str] = []  # entity ids
        self.to_decide: list[str] = []
        self.approved: set[str] = set()  # case ids (200)
        self.unanswered_decisions: list[str] = []
        self.errors: list[str] = []  # any other answer

    def integrator(self, worker: int) -> None:
        with httpx.Client(base_url=self.base_url, timeout=15) as http:
            n = 0
            while not self.stop.is_set():
                entity = f"load-{worker}-{n}"
                n += 1
                try:
                    response = http.post(
                        RUN,
                        json=individual_run(entity),
                        headers={**SECRET, "Idempotency-Key": entity},
                    )
                except httpx.HTTPError:
                    with self.lock:
                        self.unanswered_runs.append(entity)
                    return  # the stack is going away
                with self.lock:
                    if response.status_code == 201:
                        case_id = response.json()["workflowRuntimeId"]
                        self.runs[entity] = case_id
                        self.to_decide.append(case_id)
                    else:
                        self.errors.append(f"run {response.status_code} {response.text[:200]}")

    def reviewer_loop(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=15, headers=self.reviewer) as http:
            while not self.stop.is_set():
                with self.lock:
                    case_id = self.to_decide.pop(0) if len(self.to_decide) > 2 else None
                if case_id is None:
                    self.stop.wait(0.05)
                    continue
                path = f"/api/v1/backoffice/cases/{case_id}"
                try:
                    # The admin approves at once, over the criteria this load does not meet:
                    # one committed decision per request is what counts. The case's screening
                    # may land between the read and the decision: a 409, so read again.
                    for _ in range(5):
                        version = http.get(path).json()["version"]
                        response = http.post(
                            f"{path}/decision",
                            json={
                                "decision": "approve",
                                "expectedVersion": version,
                                "overrideCriteria": {"justification": "restart test"},
                            },
                        )
                        if response.status_code != 409:
                            break
                except (httpx.HTTPError, KeyError, ValueError):
                    with self.lock:
                        self.unanswered_decisions.append(case_id)
                    return
                with self.lock:
                    if response.status_code == 200:
                        self.approved.add(case_id)
                    else:
                        self.errors.append(f"decision {response.status_code} {response.text[:200]}")

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.runs), len(self.approved)


def executions_of(session: Session, case_id: str) -> list[tuple[str, list[str]]]:
    """(status, states entered) of each execution of the case on this start of the stack."""
    sfn = session.stack.aws_client("stepfunctions")
    machine = session.stack.state_machine_arn("kyc-manual-review")
    found = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
        for execution in page["executions"]:
            name = execution["name"]
            if name != case_id and not name.startswith(f"{case_id}-resumed-"):
                continue
            history = sfn.get_execution_history(
                executionArn=execution["executionArn"], maxResults=1000
            )["events"]
            states = states_entered(history)
            waiting = bool(history) and history[-1]["type"] == "TaskSubmitted"
            found.append(("WAITING" if waiting else execution["status"], states))
    return found


def test_a_restart_in_the_middle_of_a_load_loses_and_repeats_nothing(
    receiver: Receiver, tmp_path: Path
) -> None:
    env = {
        "LOCAL_DATA_DIR": str(tmp_path / "data"),
        "LOCAL_SAVE_SECONDS": "1",
        "WEBHOOK_URL": receiver.url,
        "WEBHOOK_SECRET": DEFAULT_SECRET,
    }
    first = Session(launch_stack(tmp_path / "first.log", env))
    load = Load(first.stack.base_url, first.reviewer)
    workers = [
        threading.Thread(target=load.integrator, args=(w,), daemon=True) for w in range(INTEGRATORS)
    ] + [threading.Thread(target=load.reviewer_loop, daemon=True) for _ in range(REVIEWERS)]
    try:
        for worker in workers:
            worker.start()

        def enough() -> bool:
            runs, decisions = load.counts()
            return (runs >= STOP_AFTER_RUNS and decisions >= STOP_AFTER_DECISIONS) or bool(
                load.errors
            )

        poll(enough, timeout=60)
        # Ctrl-C while requests are still coming: no new ones, the consumers finish, it saves.
        assert first.started.interrupt() == 0
    finally:
        load.stop.set()
        for worker in workers:
            worker.join(timeout=30)
        first.close()
    assert load.errors == []

    second = Session(launch_stack(tmp_path / "second.log", env))
    try:
        # An integrator retries what got no answer, with the same key: at most one case each.
        for entity in load.unanswered_runs:
            response = poll(
                lambda e=entity: (
                    (
                        r := second.http.post(
                            RUN, json=individual_run(e), headers={**SECRET, "Idempotency-Key": e}
                        )
                    ).status_code
                    != 409
                    and r
                ),
            )
            assert response.status_code == 201, response.text
            load.runs[entity] = response.json()["workflowRuntimeId"]
        listed: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = second.http.get(
                "/api/v1/external/workflows",
                params={"limit": 100, **({"cursor": cursor} if cursor else {})},
                headers=SECRET,
            ).json()
            listed += page["data"]
            cursor = page.get("nextCursor")
            if not cursor:
                break
        # One case per entity of the load (the stack's demo cases aside).
        ours = {c["entity"]["id"]: c["id"] for c in listed if c["entity"]["id"].startswith("load-")}
        assert ours == load.runs

        # Every accepted decision is there; the rest of the cases wait for review.
        for case_id in load.runs.values():
            view = second.case(case_id)
            expected = "approved" if case_id in load.approved else None
            if expected:
                assert (view["state"], view["status"]) == ("approved", "completed"), case_id
            else:
                assert view["state"] in ("manual_review", "approved"), case_id

        # Every execution is where its case is: an active case's waits in its state; a
        # completed case's has finished there, or ended before the restart (not in this moto).
        def settled() -> bool:
            for case_id in load.runs.values():
                state = second.case(case_id)["state"]
                executions = executions_of(second, case_id)
                if state == "manual_review":
                    if [s for s, _ in executions].count("WAITING") != 1:
                        return False
                    waiting = next(states for s, states in executions if s == "WAITING")
                    if not waiting:
                        return False  # still at its screening step (a plugin's task)
                    assert waiting[-1] == "manual_review", (case_id, executions)
                else:
                    if any(s in ("WAITING", "RUNNING") for s, _ in executions):
                        return False
                    assert all(states[-1] == state for _, states in executions), executions
            return True

        poll(settled, timeout=60, interval=0.5)

        # Every decided case's webhooks arrived, each under one webhook-id, each once.
        approved = {c for c in load.runs.values() if second.case(c)["state"] == "approved"}

        def delivered() -> bool:
            with receiver.lock:
                kinds = Counter((r.data["caseId"], r.type) for r in receiver.received)
            return all(
                kinds[(c, "workflow.state.changed")] and kinds[(c, "workflow.completed")]
                for c in approved
            )

        poll(delivered, timeout=60, interval=0.2)
        poll(second.all_delivered)
    finally:
        second.close()

    with receiver.lock:
        received = list(receiver.received)
    ids = Counter(r.webhook_id for r in received)
    assert set(ids.values()) == {1}, [i for i, n in ids.items() if n > 1]
    # Each fact once: per case and type (and per plugin: a KYB case records two results).
    per_event = Counter((r.data["caseId"], r.type, r.data.get("plugin")) for r in received)
    assert set(per_event.values()) == {1}, [k for k, n in per_event.items() if n > 1]
    # Decisions' webhooks came for the approved cases only (every case has its screening's).
    assert {c for c, kind, _ in per_event if kind != "workflow.context.changed"} == approved
    assert receiver.rejected == []
