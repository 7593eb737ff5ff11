"""The Locust users of `make load`: integrators sending workflow runs and reviewers working the
inbox, against the local stack. What they saw that the checks need (accepted runs, expected
409s, wrong answers) is kept in `Outcomes`."""

from __future__ import annotations

import copy
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from locust import HttpUser, between, task
from locust.clients import ResponseContextManager

from local.environment import REVIEWER_PASSWORD
from tests.integration.test_ingestion_api import individual_run

RUN = "/api/v1/external/workflows/run"
CASES = "/api/v1/backoffice/cases"
API_KEY = {"Authorization": "Bearer secret"}
# The demo tenant's accounts that may decide; six reviewers share them (two sessions each).
DECIDERS = ("admin@demo.test", "alice@demo.test", "bob@demo.test")
RUN_ATTEMPTS = 4
TIMEOUT = 60


@dataclass
class Outcomes:
    accepted: set[str] = field(default_factory=set)  # workflowRuntimeIds answered with 201
    conflicts: Counter[str] = field(default_factory=Counter)  # expected 409s per route
    problems: list[str] = field(default_factory=list)  # answers that were wrong though 2xx
    retried: int = 0  # runs sent again with the same key after a failed attempt
    replayed: int = 0  # runs sent again with the same key after a 201
    resubmitted: int = 0  # re-runs of an entity whose case asked for a re-upload


OUTCOMES = Outcomes()
_TEMPLATE = individual_run("template")  # one rendered page, copied into every run
_reviewer_numbers = count()


def _run_body(entity_id: str) -> dict[str, Any]:
    body = copy.deepcopy(_TEMPLATE)
    body["context"]["entity"]["id"] = entity_id
    return body


def _check(response: ResponseContextManager, *expected: int) -> bool:
    """2xx and `expected` pass; a 409 is counted as expected; anything else is an error."""
    code = response.status_code
    if code == 409:
        OUTCOMES.conflicts[str(response.request_meta["name"])] += 1
        response.success()
        return False
    if 200 <= code < 300 and (not expected or code in expected):
        return True
    response.failure(f"{code}: {response.text[:300]}")
    return False


class Integrator(HttpUser):
    """Sends runs with an `Idempotency-Key`, retrying with the same key when an answer is lost
    or fails; sometimes sends a run again as if the answer never arrived (it must name the same
    case), and re-runs its entities whose case asks for a re-upload."""

    fixed_count = 8
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.runs: list[tuple[str, str]] = []  # (entity id, case id)

    def _run(self, body: dict[str, Any], key: str) -> str | None:
        for attempt in range(RUN_ATTEMPTS):
            if attempt:
                OUTCOMES.retried += 1
                time.sleep(attempt)  # gevent's: the other users go on meanwhile
            with self.client.post(
                RUN,
                json=body,
                headers={**API_KEY, "Idempotency-Key": key},
                name="POST /external/workflows/run",
                catch_response=True,
                timeout=TIMEOUT,
            ) as response:
                if _check(response, 201):
                    case_id = str(response.json()["workflowRuntimeId"])
                    OUTCOMES.accepted.add(case_id)
                    return case_id
                if response.status_code not in (0, 409, 429) and response.status_code < 500:
                    return None  # a client error: sending it again cannot help
        return None

    @task(10)
    def ingest(self) -> None:
        entity_id = f"load-{uuid.uuid4().hex[:16]}"
        body, key = _run_body(entity_id), uuid.uuid4().hex
        case_id = self._run(body, key)
        if case_id is None:
            return
        self.runs.append((entity_id, case_id))
        if random.random() < 0.15:
            OUTCOMES.replayed += 1
            again = self._run(body, key)
            if again is not None and again != case_id:
                OUTCOMES.problems.append(f"replayed key {key} answered {again}, not {case_id}")

    @task(2)
    def resubmit(self) -> None:
        if not self.runs:
            return
        entity_id, case_id = random.choice(self.runs)
        with self.client.get(
            f"/api/v1/external/workflows/{case_id}",
            headers=API_KEY,
            name="GET /external/workflows/{id}",
            catch_response=True,
            timeout=TIMEOUT,
        ) as response:
            if not _check(response) or response.json()["state"] != "revision":
                return
        OUTCOMES.resubmitted += 1
        again = self._run(_run_body(entity_id), uuid.uuid4().hex)
        if again is not None and again != case_id:
            OUTCOMES.problems.append(f"re-run of {entity_id} opened {again}, not {case_id}")


class Reviewer(HttpUser):
    """Claims an unassigned case from the inbox, sometimes notes it, decides its documents,
    then the case: approve, reject or ask for a re-upload."""

    fixed_count = 6
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        email = DECIDERS[next(_reviewer_numbers) % len(DECIDERS)]
        session = self.client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": REVIEWER_PASSWORD},
            name="POST /auth/login",
            timeout=TIMEOUT,
        ).json()
        self.client.headers["Authorization"] = f"Bearer {session['idToken']}"
        self.user_id = session["user"]["id"]

    def _send(self, method: str, path: str, name: str, body: dict[str, Any]) -> Any:
        with self.client.request(
            method, path, json=body, name=name, catch_response=True, timeout=TIMEOUT
        ) as response:
            return response.json() if _check(response) else None

    @task
    def review(self) -> None:
        with self.client.get(
            CASES,
            params={"assignee": "unassigned", "state": "manual_review", "limit": 25},
            name="GET /backoffice/cases",
            catch_response=True,
            timeout=TIMEOUT,
        ) as response:
            rows = response.json()["data"] if _check(response) else []
        if not rows:
            return
        row = random.choice(rows)
        base = f"{CASES}/{row['id']}"
        case = self._send(
            "PUT",
            f"{base}/assignee",
            "PUT /cases/{id}/assignee",
            {"assigneeId": self.user_id, "expectedVersion": row["version"]},
        )
        if case is None:
            return
        if random.random() < 0.3:
            self._send("POST", f"{base}/notes", "POST /cases/{id}/notes", {"text": "load test"})
        version, all_approved = case["version"], True
        for document in case["documents"]:
            if document["decision"]["status"] != "pending":
                continue
            approve = random.random() < 0.8
            all_approved &= approve
            body = {"decision": "approve"}
            if not approve:
                body = {"decision": "reject", "reason": "expired"}
            decided = self._send(
                "POST",
                f"{base}/documents/{document['id']}/decision",
                "POST /cases/{id}/documents/{id}/decision",
                {**body, "expectedVersion": version},
            )
            if decided is None:
                return
            version = decided["version"]
        roll = random.random()
        if roll < 0.15:
            body = {"decision": "revision", "reason": "blurry_or_unreadable"}
        elif all_approved and roll < 0.8:
            body = {"decision": "approve"}
        else:
            body = {"decision": "reject", "reason": "data_mismatch"}
        self._send(
            "POST",
            f"{base}/decision",
            "POST /cases/{id}/decision",
            {**body, "expectedVersion": version},
        )
