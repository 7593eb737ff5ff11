"""What the issue asks to see under stress: parallel decisions, Step Functions outages and a
publisher crash after commit. moto in-process, with the local pump running the consumers."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib.auth.permissions import with_permissions
from chalicelib.aws.eventbridge import EventBridgePublisher
from chalicelib.aws.stepfunctions import StepFunctionsWorkflowEngine
from chalicelib.decisions.service import decide_case
from chalicelib.dependencies import case_store, workflow_engine
from chalicelib.errors import Conflict
from chalicelib.handlers import workflow_tasks
from chalicelib.models.reviewers import Reviewer
from chalicelib.observability import metrics
from tests.conftest import poll
from tests.integration.conftest import Api, observe_domain_events
from tests.integration.test_auth_api import login
from tests.integration.test_decisions_api import (
    decide,
    ingest,
    settled_transition,
    states_entered,
    wait_for_token,
)

ADMIN = with_permissions(
    Reviewer(
        id="admin-1", email="admin@demo.test", name="Ada Admin", roles=["admin"], tenant_id="demo"
    )
)
PARALLEL = 20


def received(queue_url: str) -> list[dict[str, Any]]:
    """Messages waiting on the queue (one long poll of a second)."""
    return (
        boto3.client("sqs")
        .receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)
        .get("Messages", [])
    )


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every task token Step Functions accepted."""
    sent: list[tuple[str, str]] = []
    original = StepFunctionsWorkflowEngine.send_event

    def spy(self: Any, task_token: str, event: str) -> None:
        original(self, task_token, event)
        sent.append((task_token, event))

    monkeypatch.setattr(StepFunctionsWorkflowEngine, "send_event", spy)
    return sent


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Case ids the workflow-sync queue consumer handled successfully."""
    handled: list[str] = []
    original = workflow_tasks._sync_on_state_change

    def spy(body: dict[str, Any], receive_count: int) -> None:
        original(body, receive_count)
        handled.append(body["detail"]["caseId"])

    monkeypatch.setattr(workflow_tasks, "_sync_on_state_change", spy)
    return handled


def test_parallel_decisions_one_wins_one_transition_one_token(
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    sends: list[tuple[str, str]],
    syncs: list[str],
) -> None:
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")
    barrier = threading.Barrier(PARALLEL)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            decide_case(
                case_store(),
                workflow_engine(),
                ADMIN,
                case_id,
                decision="reject",
                reason="altered_or_fake",
                expected_version=1,
            )
        except Conflict:  # version_conflict, or case_completed once the winner has committed
            return "409"
        return "2xx"

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(attempt, range(PARALLEL)))

    assert results.count("2xx") == 1
    assert results.count("409") == PARALLEL - 1
    # The queue consumer ran its sync too (after the request path's): still one token sent.
    poll(lambda: case_id in syncs)
    poll(lambda: states_entered(case_id) == ["manual_review", "rejected"])
    assert sends == [(sends[0][0], "reject")]
    audit = [a.action for a in case_store().list_audit("demo", case_id)]
    assert audit.count("case.state_changed") == 1
    assert audit.count("case.completed") == 1


def test_step_functions_down_during_a_decision_then_back(
    api: Api, pipeline: Any, seed_request: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")
    original = StepFunctionsWorkflowEngine.send_event
    attempts: list[str] = []

    def flaky(self: Any, task_token: str, event: str) -> None:
        attempts.append(event)
        if len(attempts) <= 2:  # the request path and the queue's first delivery
            raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
        original(self, task_token, event)

    monkeypatch.setattr(StepFunctionsWorkflowEngine, "send_event", flaky)
    admin = login(api, "admin@demo.test")["idToken"]
    response = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 1})

    assert response.status_code == 200, response.body  # the decision is kept
    assert case_store().get_case("demo", case_id).state == "approved"
    poll(lambda: states_entered(case_id) == ["manual_review", "approved"])
    assert len(attempts) == 3
    case = settled_transition(case_id)
    assert case.flags == []


def test_step_functions_down_for_good_flags_the_case_and_keeps_the_message(
    api: Api,
    pipeline: Any,
    local_aws: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")
    original = StepFunctionsWorkflowEngine.send_event
    down = threading.Event()
    down.set()

    def outage(self: Any, task_token: str, event: str) -> None:
        if down.is_set():
            raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
        original(self, task_token, event)

    counted: list[str] = []
    add_metric = metrics.add_metric

    def count(*args: Any, **kwargs: Any) -> None:
        counted.append(kwargs.get("name", args[0] if args else ""))
        add_metric(*args, **kwargs)

    monkeypatch.setattr(StepFunctionsWorkflowEngine, "send_event", outage)
    monkeypatch.setattr(metrics, "add_metric", count)
    admin = login(api, "admin@demo.test")["idToken"]
    response = decide(
        api, admin, case_id, {"decision": "revision", "reason": "expired", "expectedVersion": 1}
    )
    assert response.status_code == 200, response.body

    flagged = poll(
        lambda: (
            (c := case_store().get_case("demo", case_id))
            and "workflow_sync_failed" in c.flags
            and c
        ),
        timeout=60,
    )
    assert flagged.state == "revision"
    assert "WorkflowSyncFailed" in counted
    actions = [a.action for a in case_store().list_audit("demo", case_id)]
    assert "case.flagged" in actions
    sqs = boto3.client("sqs")
    dlq = local_aws.refs["WorkflowSyncQueueDLQ"]
    parked = poll(lambda: received(dlq))  # nothing is dropped: it waits in the DLQ
    assert json.loads(parked[0]["Body"])["detail"]["caseId"] == case_id
    assert states_entered(case_id) == ["manual_review"]

    # Step Functions is back; an operator redrives the DLQ: the execution catches up, the flag
    # goes.
    down.clear()
    sqs.send_message(QueueUrl=local_aws.refs["WorkflowSyncQueue"], MessageBody=parked[0]["Body"])
    sqs.delete_message(QueueUrl=dlq, ReceiptHandle=parked[0]["ReceiptHandle"])
    poll(lambda: states_entered(case_id) == ["manual_review", "revision"])
    poll(lambda: "workflow_sync_failed" not in case_store().get_case("demo", case_id).flags)


def test_a_publisher_crash_after_commit_still_publishes_once(
    api: Api,
    pipeline: Any,
    local_aws: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sqs = boto3.client("sqs")
    queue_url = observe_domain_events("decision-observer")
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")

    original = EventBridgePublisher.publish
    crashes: list[str] = []

    def crash_once(self: Any, batch: Any) -> None:
        if not crashes and any(e.type == "case.state_changed" for e in batch):
            crashes.append(batch[0].event_id)
            raise RuntimeError("publisher crashed after the commit")
        original(self, batch)

    monkeypatch.setattr(EventBridgePublisher, "publish", crash_once)
    admin = login(api, "admin@demo.test")["idToken"]
    response = decide(
        api, admin, case_id, {"decision": "revision", "reason": "expired", "expectedVersion": 1}
    )
    assert response.status_code == 200, response.body
    # A later fact on the same case, published after the retried one (the stream is ordered).
    assert (
        api.post(f"/api/v1/external/workflows/{case_id}/event", {"name": "resubmitted"}).status_code
        == 200
    )

    received: list[dict[str, Any]] = []

    def state_changes() -> list[dict[str, Any]]:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            received.append(json.loads(message["Body"]))
        changes = [e for e in received if e["detail-type"] == "case.state_changed"]
        return changes if len(changes) >= 2 else []

    changes = poll(state_changes)
    assert crashes  # the publisher did crash on the first state change
    assert [e["detail"]["data"]["event"] for e in changes] == ["revision", "resubmitted"]
    assert [e["detail"]["eventId"] for e in changes].count(crashes[0]) == 1


@pytest.fixture
def token_held_until_decided(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, Any]:
    """Holds the execution's first token in the task-token consumer until released, so a
    decision commits (and the sync queue finds nothing to send) before the token arrives."""
    held, release = threading.Event(), threading.Event()
    original = workflow_tasks._park

    def late(body: dict[str, Any], receive_count: int) -> None:
        if body["state"] == "manual_review" and not release.is_set():
            held.set()
            release.wait(timeout=60)
        original(body, receive_count)

    monkeypatch.setattr(workflow_tasks, "_park", late)
    return held, release


def _decide_before_the_token(
    api: Api, case_id: str, held: threading.Event, syncs: list[str]
) -> None:
    poll(held.is_set)
    admin = login(api, "admin@demo.test")["idToken"]
    response = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 1})
    assert response.status_code == 200, response.body
    poll(lambda: case_id in syncs)  # the sync queue ran: no token parked, nothing to send


def test_a_failed_send_from_the_token_consumer_is_retried_by_its_redelivery(
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    syncs: list[str],
    token_held_until_decided: tuple[threading.Event, Any],
) -> None:
    held, release = token_held_until_decided
    original = StepFunctionsWorkflowEngine.send_event
    attempts: list[str] = []

    def fails_once(self: Any, task_token: str, event: str) -> None:
        attempts.append(event)
        if len(attempts) == 1:
            raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")
        original(self, task_token, event)

    monkeypatch.setattr(StepFunctionsWorkflowEngine, "send_event", fails_once)
    case_id = ingest(api, seed_request)
    _decide_before_the_token(api, case_id, held, syncs)
    assert attempts == []

    release.set()  # the token arrives: parked, claimed, the send fails; SQS redelivers it
    poll(lambda: states_entered(case_id) == ["manual_review", "approved"])
    assert attempts == ["approve", "approve"]
    case = settled_transition(case_id)
    assert case.flags == []


def test_a_token_whose_send_keeps_failing_flags_the_case_and_stays_in_the_dlq(
    api: Api,
    pipeline: Any,
    local_aws: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    syncs: list[str],
    token_held_until_decided: tuple[threading.Event, Any],
) -> None:
    held, release = token_held_until_decided

    def outage(self: Any, task_token: str, event: str) -> None:
        raise EndpointConnectionError(endpoint_url="https://states.us-east-1.amazonaws.com")

    monkeypatch.setattr(StepFunctionsWorkflowEngine, "send_event", outage)
    case_id = ingest(api, seed_request)
    _decide_before_the_token(api, case_id, held, syncs)
    release.set()

    poll(
        lambda: "workflow_sync_failed" in case_store().get_case("demo", case_id).flags,
        timeout=60,
    )
    parked = poll(lambda: received(local_aws.refs["WorkflowTaskQueueDLQ"]))
    assert json.loads(parked[0]["Body"])["caseId"] == case_id
    assert states_entered(case_id) == ["manual_review"]
