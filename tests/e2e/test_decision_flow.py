"""The issue's walk-through on the local stack, over HTTP: ingest the seed, decide the
documents, the re-upload loop, approve, and the execution history in local Step Functions."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import httpx
import pytest

from local.child_stack import Stack, states_entered
from local.environment import REVIEWER_PASSWORD
from tests.conftest import poll

pytestmark = pytest.mark.e2e
SECRET = {"Authorization": "Bearer secret"}


def entered_states(stack: Stack, case_id: str) -> list[str]:
    history = stack.execution_history("risk-score-improvement-dev", case_id)
    return [] if history is None else states_entered(history)


def test_decisions_and_the_reupload_loop(
    stack: Stack, http: httpx.Client, seed_request: dict[str, Any]
) -> None:
    # An entity of its own: other tests on the same stack run the seed's entity too, and a run for
    # an entity with an active case updates that case (its page history would not start empty).
    seed_request = copy.deepcopy(seed_request)
    seed_request["context"]["entity"]["id"] = f"decision-flow-{uuid.uuid4().hex[:8]}"
    run = http.post("/api/v1/external/workflows/run", json=seed_request, headers=SECRET)
    assert run.status_code == 201, run.text
    case_id = run.json()["workflowRuntimeId"]
    login = http.post(
        "/api/v1/auth/login", json={"email": "admin@demo.test", "password": REVIEWER_PASSWORD}
    )
    assert login.status_code == 200, login.text
    reviewer = {"Authorization": f"Bearer {login.json()['idToken']}"}
    cases = f"/api/v1/backoffice/cases/{case_id}"

    def case_now() -> dict[str, Any]:
        response = http.get(f"/api/v1/external/workflows/{case_id}", headers=SECRET)
        assert response.status_code == 200, response.text
        return response.json()

    def decide(body: dict[str, Any], document_id: str | None = None) -> dict[str, Any]:
        path = f"{cases}/documents/{document_id}/decision" if document_id else f"{cases}/decision"
        response = http.post(path, json=body, headers=reviewer)
        assert response.status_code == 200, response.text
        return response.json()

    # The execution waits in manual_review before anything is decided.
    poll(lambda: entered_states(stack, case_id) == ["manual_review"])
    case = case_now()
    license_id, certificate_id = (d["id"] for d in case["documents"])

    decided = decide({"decision": "approve", "expectedVersion": case["version"]}, license_id)
    decided = decide(
        {
            "decision": "revision",
            "reason": "blurry_or_unreadable",
            "comment": "the registration number cannot be read",
            "expectedVersion": decided["version"],
        },
        certificate_id,
    )
    # The mark waits in review; the reviewer sends the request (one round) as the case decision.
    assert (decided["state"], decided["status"]) == ("manual_review", "active")
    revision = decided["documents"][1]["decision"]
    assert (revision["reason"], revision["comment"]) == (
        "blurry_or_unreadable",
        "the registration number cannot be read",
    )
    decided = decide(
        {
            "decision": "revision",
            "reason": "blurry_or_unreadable",
            "expectedVersion": decided["version"],
        }
    )
    assert (decided["state"], decided["status"]) == ("revision", "active")

    # The integrator re-runs the same workflow for the same entity with the new certificate.
    rerun = copy.deepcopy(seed_request)
    rerun["context"]["documents"] = [rerun["context"]["documents"][1]]
    rerun["context"]["documents"][0]["pages"][0]["uri"] += "&resubmitted=1"
    again = http.post("/api/v1/external/workflows/run", json=rerun, headers=SECRET)
    assert again.status_code == 201 and again.json()["workflowRuntimeId"] == case_id
    case = case_now()
    assert case["state"] == "manual_review"
    assert case["documents"][1]["decision"]["status"] == "pending"
    context = http.get(f"/api/v1/external/workflows/{case_id}/context", headers=SECRET).json()
    certificate = context["context"]["documents"][1]
    assert certificate["pages"][0]["uri"].endswith("&resubmitted=1")
    assert len(certificate["pageHistory"]) == 1

    decided = decide({"decision": "approve", "expectedVersion": case["version"]}, certificate_id)
    decided = decide({"decision": "approve", "expectedVersion": decided["version"]})
    assert (decided["state"], decided["status"]) == ("approved", "completed")
    assert case_now()["resolvedAt"]

    poll(lambda: entered_states(stack, case_id)[-1:] == ["approved"])
    assert entered_states(stack, case_id) == [
        "manual_review",
        "revision",
        "manual_review",
        "approved",
    ]
