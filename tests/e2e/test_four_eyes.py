"""Four-eyes on the local stack, over HTTP: a KYB case approved by alice (its assignee) is pending
and its execution stays in review; alice confirming is refused (self-approval); carol, a senior
reviewer who is not the assignee, confirms; the case completes, the execution reaches `approved`
only then, and the signed `workflow.completed` webhook names both reviewers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.child_stack import Stack, await_ingest, signed_in, states_entered
from tests.conftest import poll
from tests.integration.test_webhooks_api import Receiver

pytestmark = pytest.mark.e2e
SECRET = {"Authorization": "Bearer secret"}
CASES = "/api/v1/backoffice/cases"


@pytest.fixture
def receiver(stack: Stack) -> Iterator[Receiver]:
    """A tenant subscription to `workflow.completed`, delivered to a verifying receiver; removed
    afterwards so the other tests on this stack do not feed it."""
    started = Receiver([]).start()
    with signed_in(stack, "admin@demo.test") as (admin, _):
        created = admin.post(
            "/api/v1/backoffice/webhooks",
            json={"url": started.url, "events": ["workflow.completed"], "description": "four-eyes"},
        )
        assert created.status_code == 201, created.text
        started.secrets.append(created.json()["secret"])
        yield started
        admin.delete(f"/api/v1/backoffice/webhooks/{created.json()['id']}")
    started.stop()


def kyb_run(entity_id: str) -> dict[str, Any]:
    """A KYB case meeting every enforced acceptance criterion once its document is approved."""
    return {
        "workflowId": "kyb-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "business",
                "data": {
                    "companyName": f"Four Eyes {entity_id}",
                    "dateOfIncorporation": "2015-03-02",
                    "ubos": [{"firstName": "Ann", "lastName": "Lee", "ownershipPercentage": 80}],
                },
            },
            "documents": [
                {
                    "type": "certificate_of_incorporation",
                    "category": "registration",
                    "issuer": {"country": "GB"},
                    "pages": [{"provider": "http", "uri": "https://example.com/c.png"}],
                }
            ],
        },
    }


def test_maker_checker_on_the_local_stack(
    stack: Stack, http: httpx.Client, receiver: Receiver
) -> None:
    run = http.post(
        "/api/v1/external/workflows/run",
        json=kyb_run(f"four-eyes-{uuid.uuid4().hex[:8]}"),
        headers=SECRET,
    )
    assert run.status_code == 201, run.text
    case_id = run.json()["workflowRuntimeId"]

    def entered() -> list[str]:
        history = stack.execution_history("kyb-manual-review", case_id)
        return [] if history is None else states_entered(history)

    poll(lambda: entered() == ["manual_review"])
    # The remote page settles first: it is evidence the maker's approval pins.
    await_ingest(stack.base_url, case_id)
    with (
        signed_in(stack, "alice@demo.test") as (alice, alice_session),
        signed_in(stack, "carol@demo.test") as (carol, carol_session),
    ):
        alice_id, carol_id = alice_session["user"]["id"], carol_session["user"]["id"]
        view = alice.get(f"{CASES}/{case_id}").json()
        claimed = alice.put(
            f"{CASES}/{case_id}/assignee",
            json={"assigneeId": alice_id, "expectedVersion": view["version"]},
        )
        assert claimed.status_code == 200, claimed.text
        document_id = view["documents"][0]["id"]
        decided = alice.post(
            f"{CASES}/{case_id}/documents/{document_id}/decision",
            json={"decision": "approve", "expectedVersion": claimed.json()["version"]},
        )
        assert decided.status_code == 200, decided.text
        approved = alice.post(
            f"{CASES}/{case_id}/decision",
            json={"decision": "approve", "expectedVersion": decided.json()["version"]},
        )
        assert approved.status_code == 200, approved.text
        pending = approved.json()
        assert (pending["state"], pending["status"]) == ("manual_review", "active")
        assert pending["pendingApproval"]["maker"]["id"] == alice_id

        again = alice.post(
            f"{CASES}/{case_id}/decision",
            json={"decision": "approve", "expectedVersion": pending["version"]},
        )
        assert again.status_code == 403, again.text
        assert again.json()["error"]["code"] == "self_approval"
        # Nothing moved in Step Functions: the execution still waits in review.
        assert entered() == ["manual_review"]

        as_carol = carol.get(f"{CASES}/{case_id}").json()
        assert as_carol["assignee"]["id"] == alice_id
        assert as_carol["permissions"]["canConfirmApproval"] is True
        confirmed = carol.post(
            f"{CASES}/{case_id}/decision",
            json={"decision": "approve", "expectedVersion": as_carol["version"]},
        )
        assert confirmed.status_code == 200, confirmed.text
        assert (confirmed.json()["state"], confirmed.json()["status"]) == ("approved", "completed")

    poll(lambda: entered()[-1:] == ["approved"])
    assert entered() == ["manual_review", "approved"]
    (completed,) = poll(lambda: receiver.of("workflow.completed", case_id))
    data = completed.data
    assert data["maker"]["id"] == alice_id and data["maker"]["name"]
    assert data["checker"]["id"] == carol_id and data["checker"]["name"]
    assert data["reviewer"]["id"] == carol_id
    assert data["decision"] == "approve" and data["finalState"] == "approved"
