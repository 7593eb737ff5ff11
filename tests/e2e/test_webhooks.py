"""Webhooks end to end on the local stack (a subprocess) with real receivers on 127.0.0.1 that
verify every request with `standardwebhooks`: decisions, assignment and notes arrive signed;
a failing receiver is retried with the same webhook-id on a shortened schedule; an always-failing
one ends in the DLQ and a redelivery succeeds once it is fixed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from chalicelib.models.webhooks import IN_FLIGHT_STATUSES
from chalicelib.webhooks.signing import generate_secret
from local.child_stack import Stack, await_ingest, running_stack, signed_in
from tests.conftest import poll
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_webhooks_api import Receiver, dead_letters_with

DEFAULT_SECRET = generate_secret()
SECRET = {"Authorization": "Bearer secret"}
WEBHOOKS = "/api/v1/backoffice/webhooks"
DELIVERIES = f"{WEBHOOKS}/deliveries"
# Attempts at 0, 1 s, 2 s and 4 s after the first; a 5 s timeout stands in for the real 15 s
# (shorter, a receiver's answer delayed on a loaded machine would count as a timeout).
RETRY_DELAYS = "0,1,2,4"
ATTEMPT_TIMEOUT_SECONDS = 5


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    started = Receiver([DEFAULT_SECRET]).start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def webhook_stack(receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        "WEBHOOK_URL": receiver.url,
        "WEBHOOK_SECRET": DEFAULT_SECRET,
        "WEBHOOK_RETRY_DELAYS_SECONDS": RETRY_DELAYS,
        "WEBHOOK_TIMEOUT_SECONDS": str(ATTEMPT_TIMEOUT_SECONDS),
    }
    log = tmp_path_factory.mktemp("webhook-stack") / "stack.log"
    with running_stack(log, env) as stack:
        yield stack


@pytest.fixture(scope="module")
def admin(webhook_stack: Stack) -> Iterator[httpx.Client]:
    with signed_in(webhook_stack) as (client, session):
        client.headers["X-Admin-Id"] = session["user"]["id"]
        yield client


def ingest(admin: httpx.Client, entity_id: str) -> str:
    response = admin.post(
        "/api/v1/external/workflows/run", json=individual_run(entity_id), headers=SECRET
    )
    assert response.status_code == 201, response.text
    case_id: str = response.json()["workflowRuntimeId"]
    await_ingest(str(admin.base_url), case_id)
    return case_id


def add_note(admin: httpx.Client, case_id: str, text: str) -> None:
    response = admin.post(f"/api/v1/backoffice/cases/{case_id}/notes", json={"text": text})
    assert response.status_code == 201, response.text


def answered_delivery(admin: httpx.Client, webhook_id: str) -> dict[str, Any]:
    """The delivery's log once its last attempt is saved: the receiver records a request before it
    answers, and the delivery Lambda saves the outcome only after the answer, so the log lags."""

    def settled() -> dict[str, Any] | None:
        delivery: dict[str, Any] = admin.get(f"{DELIVERIES}/{webhook_id}").json()
        return None if delivery["status"] in IN_FLIGHT_STATUSES else delivery

    found: dict[str, Any] = poll(settled)
    return found


def test_decisions_assignment_and_notes_arrive_signed_with_the_right_type_and_data(
    admin: httpx.Client, receiver: Receiver
) -> None:
    tenant_receiver = Receiver([]).start()
    try:
        created = admin.post(
            WEBHOOKS, json={"url": tenant_receiver.url, "events": ["workflow.completed"]}
        )
        assert created.status_code == 201, created.text
        tenant_receiver.secrets.append(created.json()["secret"])

        case_id = ingest(admin, "wh-e2e-happy")
        base = f"/api/v1/backoffice/cases/{case_id}"
        view = admin.get(base).json()
        admin_id = admin.headers["X-Admin-Id"]
        assigned = admin.put(
            f"{base}/assignee", json={"assigneeId": admin_id, "expectedVersion": view["version"]}
        )
        assert assigned.status_code == 200, assigned.text
        add_note(admin, case_id, "looks off")
        document_id = view["documents"][0]["id"]
        doc = admin.post(
            f"{base}/documents/{document_id}/decision",
            json={
                "decision": "reject",
                "reason": "expired",
                "expectedVersion": assigned.json()["version"],
            },
        )
        assert doc.status_code == 200, doc.text
        final = admin.post(
            f"{base}/decision",
            json={
                "decision": "reject",
                "reason": "data_mismatch",
                "comment": "names differ",
                "expectedVersion": doc.json()["version"],
            },
        )
        assert final.status_code == 200, final.text

        got = {
            kind: poll(lambda k=kind: receiver.of(k, case_id))[0]
            for kind in (
                "case.assigned",
                "case.note_added",
                "workflow.context.document.changed",
                "workflow.state.changed",
                "workflow.completed",
            )
        }
        assert got["case.assigned"].data["assigneeId"] == admin_id
        assert got["case.note_added"].data["authorId"] == admin_id
        changed = got["workflow.context.document.changed"].data
        assert (changed["documentId"], changed["newStatus"], changed["reason"]) == (
            document_id,
            "rejected",
            "expired",
        )
        state = got["workflow.state.changed"].data
        assert (state["previousState"], state["newState"]) == ("manual_review", "rejected")
        completed = got["workflow.completed"].data
        assert completed["workflowRuntimeId"] == case_id
        assert completed["entityId"] == "wh-e2e-happy"
        assert completed["decision"] == "reject" and completed["reason"] == "data_mismatch"
        assert completed["reviewer"]["name"] == "Ada Admin"
        assert completed["documents"][0]["decision"]["status"] == "rejected"
        for received in got.values():
            assert received.headers["webhook-signature"].startswith("v1,")
            assert received.data["caseId"] == case_id

        [tenant_completed] = poll(lambda: tenant_receiver.of("workflow.completed", case_id))
        assert tenant_completed.webhook_id != got["workflow.completed"].webhook_id
        assert tenant_receiver.of("workflow.state.changed") == []
        assert receiver.rejected == [] and tenant_receiver.rejected == []
    finally:
        tenant_receiver.stop()


def test_a_failing_receiver_still_gets_the_event_with_the_same_id_after_retries(
    admin: httpx.Client, receiver: Receiver
) -> None:
    case_id = ingest(admin, "wh-e2e-retry")
    # The case's screening result goes out first (workflow.context.changed): the script is
    # for the note's delivery.
    [screened] = poll(lambda: receiver.of("workflow.context.changed", case_id), timeout=60)
    hang = ("hang", ATTEMPT_TIMEOUT_SECONDS + 3)
    receiver.case_scripts[case_id] = [500, hang]
    add_note(admin, case_id, "retry me")
    [arrived] = poll(lambda: receiver.of("case.note_added", case_id), timeout=60)
    requests = [r for r in receiver.requests if r[2] == case_id and r[0] != screened.webhook_id]
    assert [r[3] for r in requests] == ["500", str(hang), "200"]
    assert {r[0] for r in requests} == {arrived.webhook_id}
    log = answered_delivery(admin, arrived.webhook_id)
    assert log["status"] == "delivered"
    outcomes = [(a["outcome"], a["statusCode"]) for a in log["attemptLog"]]
    assert outcomes == [("retry", 500), ("retry", None), ("delivered", 200)]
    assert log["attemptLog"][1]["error"].startswith("timeout")


def test_an_always_failing_receiver_dead_letters_and_redelivery_succeeds_once_fixed(
    admin: httpx.Client, receiver: Receiver, webhook_stack: Stack
) -> None:
    case_id = ingest(admin, "wh-e2e-dlq")
    # The case's screening result goes out first: the failing receiver is for the note.
    poll(lambda: receiver.of("workflow.context.changed", case_id), timeout=60)
    receiver.case_defaults[case_id] = 503
    add_note(admin, case_id, "nobody home")

    def failed() -> list[dict[str, Any]]:
        rows = admin.get(f"{DELIVERIES}?status=failed").json()["data"]
        return [row for row in rows if row["caseId"] == case_id]

    [dead] = poll(failed, timeout=60)
    assert dead["attempts"] == len(RETRY_DELAYS.split(",")) and dead["lastStatusCode"] == 503
    sqs = webhook_stack.aws_client("sqs")
    dlq = sqs.get_queue_url(QueueName="kyc-local-webhook-dlq")["QueueUrl"]

    assert dead["id"] in dead_letters_with(sqs, dlq, dead["id"])
    assert receiver.of("case.note_added", case_id) == []

    receiver.case_defaults.pop(case_id)
    redelivered = admin.post(f"{DELIVERIES}/{dead['id']}/redeliver")
    assert redelivered.status_code == 202, redelivered.text
    [arrived] = poll(lambda: receiver.of("case.note_added", case_id))
    assert arrived.webhook_id == dead["id"]
    log = answered_delivery(admin, dead["id"])
    assert (log["status"], log["round"]) == ("delivered", 2)


def test_nothing_was_delivered_twice_or_under_two_ids(receiver: Receiver) -> None:
    """Across every test above: one webhook-id per event, and each event delivered once."""
    ids_per_event: dict[str, set[str]] = defaultdict(set)
    for webhook_id, event_id, _, _ in receiver.requests:
        ids_per_event[event_id].add(webhook_id)
    assert receiver.requests and all(len(ids) == 1 for ids in ids_per_event.values())
    delivered = [r.webhook_id for r in receiver.received]
    assert len(delivered) == len(set(delivered))
