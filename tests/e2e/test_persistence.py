"""The local stack keeps its data across restarts (local/persistence.py): a reviewer's work is
there after Ctrl-C or a crash, the case's execution waits in the case's state again and moves
on to the end, and no webhook is delivered twice."""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chalicelib.webhooks.signing import generate_secret
from local.child_stack import Stack, StackProcess, launch_stack, states_entered
from local.environment import REVIEWER_PASSWORD
from local.persistence import DataFolder
from tests.conftest import poll
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_webhooks_api import Receiver

SECRET = {"Authorization": "Bearer secret"}
DEFAULT_SECRET = generate_secret()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver([DEFAULT_SECRET]).start()
    yield started
    started.stop()


class Session:
    """One start of the stack on the shared data folder, signed in as the demo admin."""

    def __init__(self, started: StackProcess) -> None:
        self.started = started
        self.stack: Stack = started.stack
        self.http = httpx.Client(base_url=self.stack.base_url, timeout=30)
        login = self.http.post(
            "/api/v1/auth/login", json={"email": "admin@demo.test", "password": REVIEWER_PASSWORD}
        )
        assert login.status_code == 200, login.text
        self.admin_id = login.json()["user"]["id"]
        self.reviewer = {"Authorization": f"Bearer {login.json()['idToken']}"}

    def case(self, case_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v1/backoffice/cases/{case_id}", headers=self.reviewer)
        assert response.status_code == 200, response.text
        return response.json()

    def send(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.request(
            method, f"/api/v1/backoffice/cases/{path}", json=body, headers=self.reviewer
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def states_entered(self, case_id: str) -> list[str] | None:
        """The states the case's execution entered, once it waits (None before)."""
        history = self.stack.execution_history("kyc-manual-review", case_id)
        if not history or history[-1]["type"] not in ("TaskSubmitted", "ExecutionSucceeded"):
            return None
        return states_entered(history)

    def all_delivered(self) -> bool:
        deliveries = self.http.get(
            "/api/v1/backoffice/webhooks/deliveries?limit=100", headers=self.reviewer
        ).json()["data"]
        return bool(deliveries) and all(d["status"] == "delivered" for d in deliveries)

    def close(self) -> None:
        self.http.close()
        self.started.stop()


def saved_at(data: Path) -> float:
    """When the last complete snapshot began; 0 while there is none, or while a save is swapping
    it in (its directories are renamed under the reader)."""
    try:
        latest = DataFolder(data).latest()
        return float(latest.meta["savedAt"]) if latest else 0.0
    except FileNotFoundError:
        return 0.0


@pytest.mark.parametrize("stop", ["interrupt", "kill"])
def test_work_survives_a_restart_and_the_case_moves_on_to_the_end(
    stop: str, receiver: Receiver, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    env = {
        "LOCAL_DATA_DIR": str(data),
        "LOCAL_SAVE_SECONDS": "1",
        "WEBHOOK_URL": receiver.url,
        "WEBHOOK_SECRET": DEFAULT_SECRET,
    }
    run = individual_run(f"persist-{stop}")
    uploaded = base64.b64decode(run["context"]["documents"][0]["pages"][0]["data"])

    first = Session(launch_stack(tmp_path / "first.log", env))
    try:
        created = first.http.post("/api/v1/external/workflows/run", json=run, headers=SECRET)
        assert created.status_code == 201, created.text
        case_id = created.json()["workflowRuntimeId"]
        assert poll(lambda: first.states_entered(case_id)) == ["manual_review"]
        view = first.case(case_id)
        claimed = first.send(
            "PUT",
            f"{case_id}/assignee",
            {"assigneeId": first.admin_id, "expectedVersion": view["version"]},
        )
        first.send("POST", f"{case_id}/notes", {"text": "address checked by phone"})
        document_id = view["documents"][0]["id"]
        decided = first.send(
            "POST",
            f"{case_id}/documents/{document_id}/decision",
            {"decision": "approve", "expectedVersion": claimed["version"]},
        )
        assert decided["state"] == "manual_review"
        for kind in ("case.assigned", "case.note_added", "workflow.context.document.changed"):
            poll(lambda k=kind: receiver.of(k, case_id))
        poll(first.all_delivered)
        if stop == "interrupt":
            assert first.started.interrupt() == 0
        else:
            # A crash: only what the periodic save has written survives, so wait for a save
            # that began after the last change (the request below is activity: one will).
            settled = time.time()
            assert first.all_delivered()
            poll(lambda: saved_at(data) > settled)
            first.started.kill()
    finally:
        first.close()

    second = Session(launch_stack(tmp_path / "second.log", env))
    try:
        assert second.admin_id == first.admin_id  # the reviewer keeps its id
        view = second.case(case_id)
        assert (view["state"], view["status"]) == ("manual_review", "active")
        assert view["assignee"]["id"] == first.admin_id
        document = view["documents"][0]
        assert document["decision"]["status"] == "approved"
        assert document["decision"]["decidedBy"]["id"] == first.admin_id
        notes = second.http.get(
            f"/api/v1/backoffice/cases/{case_id}/notes", headers=second.reviewer
        ).json()["data"]
        assert [(n["text"], n["author"]["id"]) for n in notes] == [
            ("address checked by phone", first.admin_id)
        ]
        [page] = document["pages"]
        assert page["storageStatus"] == "stored"
        assert httpx.get(page["url"]).content == uploaded

        # The reconciler gave the case a new execution, waiting in the case's state.
        assert poll(lambda: second.states_entered(case_id), timeout=60) == ["manual_review"]
        final = second.send(
            "POST",
            f"{case_id}/decision",
            {"decision": "approve", "expectedVersion": view["version"]},
        )
        assert (final["state"], final["status"]) == ("approved", "completed")
        poll(lambda: (second.states_entered(case_id) or [])[-1:] == ["approved"])
        poll(lambda: receiver.of("workflow.completed", case_id))
        poll(second.all_delivered)
    finally:
        second.close()

    # Every webhook reached the receiver once, across the restart.
    ids = Counter(r.webhook_id for r in receiver.received if r.data.get("caseId") == case_id)
    assert ids and set(ids.values()) == {1}, ids
    kinds = Counter(r.type for r in receiver.received if r.data.get("caseId") == case_id)
    assert kinds["workflow.context.document.changed"] == 1
    assert kinds["case.assigned"] == kinds["case.note_added"] == kinds["workflow.completed"] == 1
