"""Faults injected at each step after a commit (issue 15, item 3): the event is still published
and delivered, the execution still advances, and nothing is done twice.

Faults are injected where the app meets AWS: the method of the app's own (cached) boto3 client
is wrapped to fail, refuse or lose its answer a given number of times; the local pump (or a
direct invocation, where the test must control the retry) plays Lambda's redelivery.

One place that lists every fault and the test that shows it (in this file unless a path is
given; R = tests/integration/test_decisions_reliability.py,
W = tests/unit/test_webhook_delivery.py):

EventBridge PutEvents
- refuses the entry (FailedEntryCount 1), outbox publisher after a decision:
  test_put_events_refusing_the_entry_is_retried_from_the_stream_and_delivered_once
- refuses some entries of a batch, EventBridge adapter:
  test_a_partial_put_events_failure_resends_only_the_refused_entries
The process killed between commit and publish
- the publisher crashes before publishing:
  R::test_a_publisher_crash_after_commit_still_publishes_once
- it published, then died before the stream checkpoint (the batch comes again):
  test_a_stream_batch_published_again_after_a_crash_reaches_the_receiver_once
- ... and the second copy reaches the webhook consumer while the first is still attempting:
  test_two_copies_of_an_event_fanned_out_at_once_reach_the_receiver_once
  (and a copy still takes over a first attempt that died:
  test_a_delivery_whose_first_attempt_died_is_taken_over_by_a_copy)
SQS SendMessage
- queuing the next webhook attempt, after attempt 1 was recorded:
  test_queuing_the_next_webhook_attempt_fails_and_the_event_is_still_delivered_once
  (in memory: W::test_a_failed_send_of_the_next_attempt_is_retried_by_the_message_coming_back)
- queuing an admin's redelivery:
  W::test_a_redelivery_that_cannot_be_queued_leaves_the_delivery_redeliverable
- the document-fetch hand-back, after some pages were stored:
  test_a_failed_hand_back_of_unfetched_pages_is_retried_and_each_page_stored_once
- the workflow-sync and task-token queues: EventBridge rules and Step Functions send to them,
  the app does not (their delivery is AWS's own retry); their consumers' failures are below.
S3 PutObject
- an inline page, ingest (before its commit: the run fails whole and its retry succeeds):
  test_a_failed_page_upload_fails_the_run_and_its_retry_creates_one_case
- a fetched page, document-fetch consumer after case.created:
  test_a_failed_page_store_is_retried_by_the_queue_and_the_page_stored_once
- a context too large for the case item, re-run (before its commit):
  test_a_failed_large_context_put_commits_nothing_and_the_retry_commits_once
Step Functions SendTaskSuccess
- fails on the request path and the sync queue's first delivery, after a decision:
  R::test_step_functions_down_during_a_decision_then_back
- fails until the DLQ (case flagged, message kept, redrive moves it on):
  R::test_step_functions_down_for_good_flags_the_case_and_keeps_the_message
- fails in the token consumer, after the token is parked:
  R::test_a_failed_send_from_the_token_consumer_is_retried_by_its_redelivery
- accepted, but its answer lost, after a decision:
  test_send_task_success_accepted_but_its_answer_lost_moves_the_execution_once
The local stack stopped in the middle of a load
- tests/e2e/test_faults_restart.py::test_a_restart_in_the_middle_of_a_load_loses_and_repeats_nothing
- a request still being handled at Ctrl-C commits before the final save:
  test_stopping_the_stack_lets_requests_in_flight_commit_before_the_final_save
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError, ReadTimeoutError

from chalicelib.aws.eventbridge import EventBridgePublisher, events_client
from chalicelib.aws.s3 import s3_client
from chalicelib.aws.stepfunctions import STALE_TOKEN_ERRORS, sfn_client
from chalicelib.aws.webhook_queue import sqs_client
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from chalicelib.ids import utc_now
from chalicelib.models.events import DomainEvent
from chalicelib.webhooks.delivery import DeliveryInProgress, WebhookDispatcher
from local.pump import invoke
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
from tests.integration.test_document_fetch_budget import (
    FakeContext,
    handed_back,
    rule_message,
    start_case,
    statuses,
)
from tests.integration.test_ingestion_api import RUN, individual_run
from tests.integration.test_ingestion_pipeline import image_server, remote_run
from tests.integration.test_webhooks_api import Receiver, receiver
from tests.unit.test_webhook_delivery import ScriptedSender, world
from tests.unit.test_webhook_delivery import event as unit_event

# Fixtures used by name below.
__all__ = ["image_server", "receiver", "world"]

Fault = Callable[[Callable[..., Any], dict[str, Any]], Any]


def inject(
    monkeypatch: pytest.MonkeyPatch,
    client: Any,
    operation: str,
    fault: Fault,
    *,
    times: int = 1,
    when: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> list[dict[str, Any]]:
    """Wrap `client.operation`: its first `times` calls matching `when` go to `fault(original,
    kwargs)` instead. Returns the calls that were faulted."""
    original = getattr(client, operation)
    faulted: list[dict[str, Any]] = []

    def wrapper(**kwargs: Any) -> Any:
        if len(faulted) < times and when(kwargs):
            faulted.append(kwargs)
            return fault(original, kwargs)
        return original(**kwargs)

    monkeypatch.setattr(client, operation, wrapper)
    return faulted


def aws_error(code: str, status: int, operation: str) -> Fault:
    def fail(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        raise ClientError(
            {
                "Error": {"Code": code, "Message": "injected"},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            operation,
        )

    return fail


def s3_put_fails(
    monkeypatch: pytest.MonkeyPatch, code: str, status: int, key_part: str
) -> list[dict[str, Any]]:
    """S3 PutObject answers `code` once for a key containing `key_part`."""
    return inject(
        monkeypatch,
        s3_client(),
        "put_object",
        aws_error(code, status, "PutObject"),
        when=lambda kw: key_part in kw["Key"],
    )


def answer_lost(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """The call reaches AWS and is done there; its answer never comes back."""
    original(**kwargs)
    raise ReadTimeoutError(endpoint_url="https://aws.example")


@pytest.fixture
def fan_outs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(event id, deliveries attempted) for every domain event the webhook consumer fanned out."""
    seen: list[tuple[str, int]] = []
    original = WebhookDispatcher.fan_out

    def spy(self: WebhookDispatcher, event: DomainEvent) -> Any:
        records = original(self, event)
        seen.append((event.event_id, len(records)))
        return records

    monkeypatch.setattr(WebhookDispatcher, "fan_out", spy)
    return seen


def webhooks_of(receiver: Receiver, case_id: str) -> list[tuple[str, str, str]]:
    """(webhook-id, type, event id) of every verified 2xx request about the case."""
    with receiver.lock:
        return [
            (r.webhook_id, r.type, r.data["eventId"])
            for r in receiver.received
            if r.data.get("caseId") == case_id
        ]


def assert_each_once(receiver: Receiver, case_id: str) -> None:
    """Every webhook-id reached the receiver once, and every event under one webhook-id."""
    received = webhooks_of(receiver, case_id)
    assert received
    ids = Counter(webhook_id for webhook_id, _, _ in received)
    assert set(ids.values()) == {1}, ids
    events = Counter(event_id for _, _, event_id in received)
    assert set(events.values()) == {1}, events


def audit_actions(case_id: str) -> list[str]:
    return [a.action for a in case_store().list_audit("demo", case_id)]


def approve_when_waiting(api: Api, case_id: str) -> None:
    wait_for_token(case_id, "manual_review")
    admin = login(api, "admin@demo.test")["idToken"]
    response = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 1})
    assert response.status_code == 200, response.body


def delivered_types(receiver: Receiver, case_id: str) -> set[str]:
    return {kind for _, kind, _ in webhooks_of(receiver, case_id)}


DECISION_WEBHOOKS = {"workflow.state.changed", "workflow.completed"}


# -- EventBridge ------------------------------------------------------------------------------
def test_put_events_refusing_the_entry_is_retried_from_the_stream_and_delivered_once(
    receiver: Receiver,
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    fan_outs: list[tuple[str, int]],
) -> None:
    accepted: list[str] = []

    def refuse(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        return {
            "FailedEntryCount": len(kwargs["Entries"]),
            "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "injected"}
                for _ in kwargs["Entries"]
            ],
        }

    refused = inject(
        monkeypatch,
        events_client(),
        "put_events",
        refuse,
        when=lambda kw: kw["Entries"][0]["DetailType"] == "case.state_changed",
    )
    original = events_client().put_events

    def counting(**kwargs: Any) -> Any:
        response = original(**kwargs)
        for entry, result in zip(kwargs["Entries"], response["Entries"], strict=True):
            if "EventId" in result and "ErrorCode" not in result:
                accepted.append(json.loads(entry["Detail"])["eventId"])
        return response

    monkeypatch.setattr(events_client(), "put_events", counting)

    case_id = ingest(api, seed_request)
    approve_when_waiting(api, case_id)

    poll(lambda: delivered_types(receiver, case_id) >= DECISION_WEBHOOKS)
    assert refused, "the fault was not injected"
    [state_changed] = [
        a.event_id
        for a in case_store().list_audit("demo", case_id)
        if a.action == "case.state_changed"
    ]
    # Refused once, then published once; every other event published once too.
    assert state_changed in accepted and set(Counter(accepted).values()) == {1}
    assert [event_id for event_id, _ in fan_outs].count(state_changed) == 1
    assert_each_once(receiver, case_id)
    poll(lambda: states_entered(case_id) == ["manual_review", "approved"])


def test_a_partial_put_events_failure_resends_only_the_refused_entries(
    local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_url = observe_domain_events("partial-observer")
    events = [
        DomainEvent(
            event_id=f"evt_partial_{n}",
            type="case.note_added",
            tenant_id="demo",
            case_id="case_partial",
            occurred_at=utc_now(),
            actor={"type": "reviewer", "id": "u1"},
            data={"noteId": f"note_{n}"},
        )
        for n in range(3)
    ]

    def refuse_the_second(original: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        entries = kwargs["Entries"]
        done = original(**{**kwargs, "Entries": [entries[0], *entries[2:]]})["Entries"]
        refusal = {"ErrorCode": "ThrottlingException", "ErrorMessage": "injected"}
        return {"FailedEntryCount": 1, "Entries": [done[0], refusal, *done[1:]]}

    inject(monkeypatch, events_client(), "put_events", refuse_the_second)

    EventBridgePublisher(get_settings().event_bus).publish(events)

    sqs = boto3.client("sqs")
    seen: list[str] = []

    def on_the_bus() -> list[str]:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            seen.append(json.loads(message["Body"])["detail"]["eventId"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return seen if len(seen) >= 3 else []

    poll(on_the_bus)
    assert sorted(seen) == [e.event_id for e in events]


# -- the process killed between commit and publish ----------------------------------------------
def test_a_stream_batch_published_again_after_a_crash_reaches_the_receiver_once(
    receiver: Receiver,
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    fan_outs: list[tuple[str, int]],
) -> None:
    """The publisher published, then died before Lambda checkpointed the stream: the same
    records come again and are published again. Every consumer must make the copy a no-op."""
    records: list[dict[str, Any]] = []

    def keep(stream_arn: str, batch: list[dict[str, Any]]) -> None:
        records.extend(batch)

    pipeline.on_stream_records = keep
    case_id = ingest(api, seed_request)
    approve_when_waiting(api, case_id)
    poll(lambda: delivered_types(receiver, case_id) >= DECISION_WEBHOOKS)
    poll(lambda: states_entered(case_id) == ["manual_review", "approved"])
    # A fan-out is recorded once its deliveries return: just after the receiver got them.
    received = {event_id for _, _, event_id in webhooks_of(receiver, case_id)}
    first = poll(lambda: received <= {event_id for event_id, _ in fan_outs} and list(fan_outs))

    pk = f"T#demo#C#{case_id}"
    of_case = [r for r in records if r["dynamodb"].get("NewImage", {}).get("pk", {}).get("S") == pk]
    from app import app

    assert invoke(app, "outbox_publisher", {"Records": of_case}) == {"batchItemFailures": []}

    # Wait for the webhook consumer to have handled each copy, then look at the receiver.
    webhook_events = {event_id for event_id, _ in first}
    poll(
        lambda: all([e for e, _ in fan_outs].count(event_id) == 2 for event_id in webhook_events),
    )
    assert [n for _, n in fan_outs[len(first) :]] == [0] * len(webhook_events)
    assert_each_once(receiver, case_id)
    assert states_entered(case_id) == ["manual_review", "approved"]
    case = case_store().get_case("demo", case_id)
    assert (case.state, case.flags, case.execution_inflight) == ("approved", [], None)


# -- SQS SendMessage ----------------------------------------------------------------------------
def test_queuing_the_next_webhook_attempt_fails_and_the_event_is_still_delivered_once(
    receiver: Receiver,
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = ingest(api, seed_request)
    receiver.case_scripts[case_id] = [500, 500]  # attempt 1 of each decision webhook fails
    failed = inject(
        monkeypatch,
        sqs_client(),
        "send_message",
        aws_error("ServiceUnavailable", 503, "SendMessage"),
        times=2,
        when=lambda kw: "webhookDelivery" in kw["MessageBody"],
    )
    approve_when_waiting(api, case_id)

    poll(lambda: delivered_types(receiver, case_id) >= DECISION_WEBHOOKS)
    assert len(failed) == 2
    assert_each_once(receiver, case_id)
    # Each webhook-id was tried twice in all: the failed attempt, then the delivered one.
    tried = Counter(request[0] for request in receiver.requests if request[2] == case_id)
    assert set(tried.values()) == {2}, tried


def test_a_failed_hand_back_of_unfetched_pages_is_retried_and_each_page_stored_once(
    api: Api,
    local_aws: Any,
    image_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = start_case(api, f"{image_server}/front.png", f"{image_server}/front.png")
    failed = inject(
        monkeypatch,
        sqs_client(),
        "send_message",
        aws_error("ServiceUnavailable", 503, "SendMessage"),
        when=lambda kw: kw["QueueUrl"] == local_aws.refs["DocumentFetchQueue"],
    )
    from app import app

    message = rule_message("demo", case_id, 1)
    # An invocation with time for one fetch only: the second page is to be handed back. The
    # hand-back fails, so the message fails (the whole batch here) and SQS brings it back.
    with pytest.raises(BatchProcessingError):
        app.handler_map["document_fetch"]({"Records": [message]}, FakeContext(1))
    assert failed
    assert statuses("demo", case_id) == ["stored", "pending"]
    again = {**message, "attributes": {"ApproximateReceiveCount": "2"}}
    assert app.handler_map["document_fetch"]({"Records": [again]}, FakeContext(60)) == {
        "batchItemFailures": []
    }
    assert statuses("demo", case_id) == ["stored", "stored"]
    assert handed_back(local_aws) == []
    assert audit_actions(case_id).count("document.page_stored") == 2


# -- S3 -----------------------------------------------------------------------------------------
def test_a_failed_page_upload_fails_the_run_and_its_retry_creates_one_case(
    api: Api, local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = s3_put_fails(monkeypatch, "SlowDown", 503, "/pages/")
    run = individual_run("s3-down")
    key = {"Idempotency-Key": "run-s3-down"}

    refused = api.post(RUN, run, headers=key)
    assert failed and refused.status_code == 503, refused.body
    assert refused.headers.get("Retry-After")
    assert json.loads(refused.body)["error"]["code"] == "service_unavailable"
    listed = json.loads(api.get("/api/v1/external/workflows").body)["data"]
    assert listed == []  # nothing committed, so nothing to publish

    retried = api.post(RUN, run, headers=key)
    assert retried.status_code == 201, retried.body
    case_id = json.loads(retried.body)["workflowRuntimeId"]
    assert api.post(RUN, run, headers=key).status_code == 201  # a replay: the same answer
    listed = json.loads(api.get("/api/v1/external/workflows").body)["data"]
    assert [c["id"] for c in listed] == [case_id]
    assert audit_actions(case_id).count("case.created") == 1
    case = case_store().get_case("demo", case_id)
    assert [case.page_storage[p.id].status for p in case.documents[0].pages] == ["stored"]


def test_a_failed_page_store_is_retried_by_the_queue_and_the_page_stored_once(
    api: Api,
    pipeline: Any,
    image_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed = s3_put_fails(monkeypatch, "InternalError", 500, "/pages/")
    run = remote_run(image_server)
    run["context"]["documents"][0]["pages"] = run["context"]["documents"][0]["pages"][:1]
    response = api.post(RUN, run)
    assert response.status_code == 201, response.body
    case_id = json.loads(response.body)["workflowRuntimeId"]

    def stored() -> bool:
        case = case_store().get_case("demo", case_id)
        return [case.page_storage[p.id].status for p in case.documents[0].pages] == ["stored"]

    poll(stored)
    assert failed
    assert audit_actions(case_id).count("document.page_stored") == 1
    assert "document.page_fetch_failed" not in audit_actions(case_id)


def test_a_failed_large_context_put_commits_nothing_and_the_retry_commits_once(
    api: Api, local_aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = api.post(RUN, individual_run("big-context"))
    assert created.status_code == 201, created.body
    case_id = json.loads(created.body)["workflowRuntimeId"]
    before = case_store().get_case("demo", case_id)
    failed = s3_put_fails(monkeypatch, "ServiceUnavailable", 503, "/context/")
    rerun = individual_run("big-context")
    rerun["context"]["documents"] = []
    rerun["context"]["customData"] = {"notes": "x" * 300_000}
    key = {"Idempotency-Key": "rerun-big"}

    refused = api.post(RUN, rerun, headers=key)
    assert failed and refused.status_code == 503, refused.body
    unchanged = case_store().get_case("demo", case_id)
    assert unchanged.version == before.version
    assert "case.context_updated" not in audit_actions(case_id)

    retried = api.post(RUN, rerun, headers=key)
    assert retried.status_code == 201, retried.body
    assert json.loads(retried.body)["workflowRuntimeId"] == case_id
    updated = case_store().get_case("demo", case_id)
    assert updated.version == before.version + 1
    assert updated.context["customData"] == {"notes": "x" * 300_000}
    assert audit_actions(case_id).count("case.context_updated") == 1


# -- SendTaskSuccess ----------------------------------------------------------------------------
def test_send_task_success_accepted_but_its_answer_lost_moves_the_execution_once(
    receiver: Receiver,
    api: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Step Functions took the token, the answer timed out: the retry finds the token used
    (InvalidToken) and counts the transition as delivered instead of flagging the case."""
    outcomes: list[str] = []
    lost = inject(monkeypatch, sfn_client(), "send_task_success", answer_lost)
    faulty = sfn_client().send_task_success

    def recording(**kwargs: Any) -> Any:
        try:
            result = faulty(**kwargs)
        except Exception as exc:
            outcomes.append(type(exc).__name__)
            raise
        outcomes.append("ok")
        return result

    monkeypatch.setattr(sfn_client(), "send_task_success", recording)

    case_id = ingest(api, seed_request)
    approve_when_waiting(api, case_id)

    poll(lambda: states_entered(case_id) == ["manual_review", "approved"])
    settled_transition(case_id)
    assert lost and outcomes[0] == "ReadTimeoutError"
    assert "ok" not in outcomes  # the token was never accepted a second time
    assert outcomes[1:] and set(outcomes[1:]) <= STALE_TOKEN_ERRORS, outcomes
    case = case_store().get_case("demo", case_id)
    assert (case.state, case.flags) == ("approved", [])
    poll(lambda: delivered_types(receiver, case_id) >= DECISION_WEBHOOKS)
    assert_each_once(receiver, case_id)


# -- the local stack stopped in the middle of a load ---------------------------------------------
def test_stopping_the_stack_lets_requests_in_flight_commit_before_the_final_save(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Ctrl-C while a request is being handled: its answer (and its write) must not come after
    the final save, or a request answered 2xx is missing after the restart."""
    import threading

    import httpx

    from app import app
    from local.child_stack import free_port
    from local.server import BackOfficeWSGI, serve
    from local.stack import RunningStack

    order: list[str] = []
    entered, release = threading.Event(), threading.Event()

    def slow_request(self: Any, *args: Any) -> dict[str, Any]:
        entered.set()
        release.wait(timeout=10)
        order.append("committed")
        return {"statusCode": 201, "headers": {}, "body": "{}"}

    server = serve(app, "127.0.0.1", free_port())
    wsgi = server.app
    assert isinstance(wsgi, BackOfficeWSGI)
    monkeypatch.setattr(type(wsgi._gateway), "handle_request", slow_request)

    class Saver:
        saved = threading.Event()

        def stop(self) -> None:
            order.append("saved")
            self.saved.set()

    class Stopped:
        def stop(self, drain_seconds: float = 0) -> None: ...

        def terminate(self) -> None: ...

        def wait(self, timeout: float) -> int:
            return 0

    saver = Saver()
    stack = RunningStack(Stopped(), server, Stopped(), saver, {}, {}, tmp_path)  # type: ignore[arg-type]
    url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/external/workflows/run"
    answers: list[int] = []
    request = threading.Thread(
        target=lambda: answers.append(httpx.post(url, json={}, timeout=60).status_code)
    )
    request.start()
    poll(entered.is_set)
    stopping = threading.Thread(target=stack.stop)
    stopping.start()
    # Let the request finish once the stop has either saved (the defect) or is waiting for it.
    poll(lambda: saver.saved.is_set() or getattr(wsgi, "draining", False))
    release.set()
    stopping.join(timeout=30)
    request.join(timeout=30)
    assert answers == [201]
    assert order == ["committed", "saved"]
    # Once stopping, a request on a kept-alive connection is refused, not handled after the save.
    wsgi_response: list[Any] = []
    status = wsgi(
        {"PATH_INFO": "/api/v1/external/workflows", "REQUEST_METHOD": "GET"},
        lambda status, headers: wsgi_response.append(status),
    )
    assert wsgi_response[0].startswith("503") and status


# -- two copies of one event at once (the outbox published it twice) ------------------------------
def test_two_copies_of_an_event_fanned_out_at_once_reach_the_receiver_once(world: Any) -> None:
    """The first copy is still waiting for the receiver when the second arrives (two Lambda
    pollers): the second must not send the same webhook again, and must not be lost either."""
    import threading

    from chalicelib.webhooks.sender import SendResult

    sending, second_done = threading.Event(), threading.Event()
    requests: list[str] = []

    class SlowReceiver:
        def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
            requests.append(headers["webhook-id"])
            sending.set()
            second_done.wait(timeout=10)
            return SendResult(status_code=200, latency_ms=1)

    world.sender = SlowReceiver()
    dispatcher = world.dispatcher()
    first = threading.Thread(target=dispatcher.fan_out, args=(unit_event(),))
    first.start()
    poll(sending.is_set)
    try:
        # Another copy of the rule message, while the first attempt is in progress.
        with pytest.raises(DeliveryInProgress):  # it comes back later, it is not dropped
            dispatcher.fan_out(unit_event())
    finally:
        second_done.set()
        first.join(timeout=10)
    assert dispatcher.fan_out(unit_event()) == []  # the copy, back: the delivery is done
    assert len(requests) == 1
    [record] = world.store.deliveries.values()
    assert (record.status, record.attempts) == ("delivered", 1)


def test_a_delivery_whose_first_attempt_died_is_taken_over_by_a_copy(world: Any) -> None:
    class Crash:
        def send(self, url: str, body: str, headers: dict[str, str]) -> Any:
            raise SystemExit("the invocation died mid-attempt")

    world.sender = Crash()
    with pytest.raises(SystemExit):
        world.dispatcher().fan_out(unit_event())
    [record] = world.store.deliveries.values()
    assert (record.status, record.attempts) == ("pending", 0)

    world.sender = ScriptedSender()
    later = world.dispatcher(_now_iso=lambda: "2099-01-01T00:00:00.000Z")
    [resumed] = later.fan_out(unit_event())
    assert (resumed.status, resumed.attempts) == ("delivered", 1)
    assert len(world.sender.requests) == 1
