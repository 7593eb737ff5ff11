"""Webhook fan-out, retries, dead letters and redelivery against in-memory adapters (no AWS)."""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.errors import Conflict
from chalicelib.models.case import Case, DocumentDecision, DocumentRecord
from chalicelib.models.events import DomainEvent
from chalicelib.models.webhooks import CreateSubscriptionRequest
from chalicelib.webhooks.delivery import WebhookDispatcher, delivery_id
from chalicelib.webhooks.retry import DEFAULT_RETRY_DELAYS, next_delay, parse_delays
from chalicelib.webhooks.sender import HttpWebhookSender, SendResult
from chalicelib.webhooks.signing import generate_secret
from chalicelib.webhooks.store import (
    DeliveryFilter,
    InMemoryDeliveryQueue,
    InMemoryWebhookStore,
)
from chalicelib.webhooks.subscriptions import (
    DefaultSubscription,
    create_subscription,
    disable_subscription,
    rotate_secret,
)
from chalicelib.webhooks.tenant_secret import (
    reveal_signing_secret,
    rotate_signing_secret,
    signing_secret_status,
    tenant_signing_secret,
)

DEFAULT_SECRET = generate_secret()
PUBLIC = [(2, 1, 6, "", ("93.184.216.34", 443))]


@dataclass
class ScriptedSender:
    """Answers with the scripted results in order (then 200), recording every request."""

    script: list[SendResult] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        self.requests.append((url, body, headers))
        return self.script.pop(0) if self.script else SendResult(status_code=200, latency_ms=1)


@dataclass
class Cases:
    cases: dict[tuple[str, str], Case] = field(default_factory=dict)

    def get_case(self, tenant_id: str, case_id: str) -> Case | None:
        return self.cases.get((tenant_id, case_id))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make_case(config: dict[str, Any] | None = None) -> Case:
    return Case(
        case_id="case_1",
        tenant_id="demo",
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        state="manual_review",
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
        entity_type="individual",
        entity_id="ent-1",
        ballerine_entity_id="be_1",
        entity_name="Jane Doe",
        context={
            "documents": [
                {
                    "id": "doc_1",
                    "type": "passport",
                    "category": "identification",
                }
            ]
        },
        document_records={
            "doc_1": DocumentRecord(
                decision=DocumentDecision(status="rejected", reason="expired", comment="old")
            )
        },
        config=config or {},
    )


def event(kind: str = "case.state_changed", event_id: str = "evt_1", **data: Any) -> DomainEvent:
    return DomainEvent(
        event_id=event_id,
        type=kind,
        tenant_id="demo",
        case_id="case_1",
        occurred_at="2026-01-01T00:01:00.000Z",
        actor={"type": "reviewer", "id": "u1", "name": "Alice"},
        data={
            "before": {"state": "manual_review"},
            "after": {"state": "rejected", "status": "completed"},
            "previousState": "manual_review",
            "newState": "rejected",
            "decision": "reject",
            "reason": "data_mismatch",
            **data,
        },
    )


@pytest.fixture
def world() -> Any:
    class World:
        store = InMemoryWebhookStore()
        queue = InMemoryDeliveryQueue()
        sender = ScriptedSender()
        cases = Cases({("demo", "case_1"): make_case()})
        clock = Clock()

        def dispatcher(self, **kwargs: Any) -> WebhookDispatcher:
            options: dict[str, Any] = {
                "default": DefaultSubscription("https://hooks.example.com/in", DEFAULT_SECRET),
                "delays": (0, 5, 300, 1800),
                "rng": lambda: 0.5,  # no jitter
                "clock": self.clock,
                **kwargs,
            }
            return WebhookDispatcher(
                store=self.store,
                queue=self.queue,
                sender=self.sender,
                cases=self.cases,
                **options,
            )

        def run_queue(self, dispatcher: WebhookDispatcher) -> None:
            """Play SQS: run due messages (advancing the clock by their delay)."""
            for _ in range(200):
                taken = self.queue.take()
                if not taken:
                    return
                for message, delay in taken:
                    self.clock.now += delay
                    dispatcher.handle_message(message)

    return World()


def verify(secret: str, request: tuple[str, str, dict[str, str]]) -> dict[str, Any]:
    return Webhook(secret).verify(request[1], request[2])


def test_an_event_is_signed_and_carries_ids_states_decision_documents_and_reviewer(
    world: Any,
) -> None:
    [record] = world.dispatcher().fan_out(event())
    assert record.status == "delivered"
    body = verify(DEFAULT_SECRET, world.sender.requests[0])
    assert body["type"] == "workflow.state.changed"
    assert body["timestamp"] == "2026-01-01T00:01:00.000Z"
    data = body["data"]
    assert data["caseId"] == data["workflowRuntimeId"] == "case_1"
    assert (data["entityId"], data["ballerineEntityId"]) == ("ent-1", "be_1")
    assert data["workflowDefinitionId"] == "kyc-manual-review"
    assert (data["previousState"], data["newState"]) == ("manual_review", "rejected")
    assert (data["decision"], data["reason"]) == ("reject", "data_mismatch")
    assert data["reviewer"] == {"id": "u1", "name": "Alice"}
    assert data["documents"] == [
        {
            "id": "doc_1",
            "type": "passport",
            "category": "identification",
            "decision": {"status": "rejected", "reason": "expired", "comment": "old"},
        }
    ]
    assert "before" not in data and "after" not in data
    assert world.sender.requests[0][2]["webhook-id"] == delivery_id("evt_1", "default")


@pytest.mark.parametrize(
    ("action", "webhook_type"),
    [
        ("case.completed", "workflow.completed"),
        ("document.decision_changed", "workflow.context.document.changed"),
        ("case.assigned", "case.assigned"),
        ("case.note_added", "case.note_added"),
    ],
)
def test_every_event_type_maps_to_its_webhook_type(
    world: Any, action: str, webhook_type: str
) -> None:
    world.dispatcher().fan_out(event(action))
    assert json.loads(world.sender.requests[0][1])["type"] == webhook_type


def test_other_domain_events_are_not_sent(world: Any) -> None:
    assert world.dispatcher().fan_out(event("case.created")) == []
    assert world.sender.requests == []


def test_retries_keep_the_webhook_id_and_follow_the_schedule(world: Any) -> None:
    world.sender.script = [
        SendResult(status_code=500),
        SendResult(error="timeout: read timed out"),
        SendResult(status_code=429, retry_after=600),
    ]
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    assert record.status == "retrying"
    [(message, delay)] = world.queue.scheduled
    assert (message.attempt, delay) == (2, 5)  # offsets 0 -> 5 s
    world.run_queue(dispatcher)
    stored = world.store.get_delivery("demo", record.id)
    assert stored.status == "delivered" and stored.attempts == 4
    ids = {r[2]["webhook-id"] for r in world.sender.requests}
    assert ids == {record.id}
    for request in world.sender.requests:
        verify(DEFAULT_SECRET, request)
    attempts = world.store.list_attempts("demo", record.id)
    assert [a.outcome for a in attempts] == ["retry", "retry", "retry", "delivered"]
    assert [a.status_code for a in attempts] == [500, None, 429, 200]
    # 5 s, then 295 s (5 min offset), then Retry-After 600 s beats the 1500 s? no: max wins.
    assert [a.retry_in_seconds for a in attempts[:3]] == [5, 295, 1500]


def test_long_waits_are_requeued_in_15_minute_hops(world: Any) -> None:
    world.sender.script = [SendResult(status_code=503)] * 3
    dispatcher = world.dispatcher()
    dispatcher.fan_out(event())
    world.clock.now += 5
    dispatcher.handle_message(world.queue.take()[0][0])  # attempt 2 fails: next in 295 s
    world.clock.now += 295
    dispatcher.handle_message(world.queue.take()[0][0])  # attempt 3 fails: next in 1500 s
    [(message, delay)] = world.queue.take()
    assert delay == 900  # SQS's maximum
    world.clock.now += 900
    dispatcher.handle_message(message)  # early: re-queued for the remaining 600 s
    [(again, remaining)] = world.queue.take()
    assert again == message and remaining == pytest.approx(600)
    assert len(world.sender.requests) == 3


def test_exhausted_deliveries_go_to_the_dlq_and_redeliver_with_the_same_id(world: Any) -> None:
    world.sender.script = [SendResult(status_code=500)] * 4
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    world.run_queue(dispatcher)
    failed = world.store.get_delivery("demo", record.id)
    assert failed.status == "failed" and failed.attempts == 4
    [(dead, reason)] = world.queue.dead
    assert dead.delivery_id == record.id and reason == "HTTP 500"

    redelivered = dispatcher.redeliver("demo", record.id)
    assert (redelivered.round, redelivered.status) == (2, "pending")
    with pytest.raises(Conflict):
        dispatcher.redeliver("demo", record.id)  # already in flight
    world.run_queue(dispatcher)
    done = world.store.get_delivery("demo", record.id)
    assert done.status == "delivered" and done.total_attempts == 5
    assert {r[2]["webhook-id"] for r in world.sender.requests} == {record.id}
    # The old round's dead letter, redriven from the DLQ later, does not deliver again.
    dispatcher.handle_message(dead)
    assert world.queue.take() == [] and len(world.sender.requests) == 5


def test_a_redriven_dead_letter_redelivers(world: Any) -> None:
    world.sender.script = [SendResult(status_code=500)] * 4
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    world.run_queue(dispatcher)
    [(dead, _)] = world.queue.dead
    dispatcher.handle_message(dead)  # moved back from the DLQ by an SQS redrive
    world.run_queue(dispatcher)
    assert world.store.get_delivery("demo", record.id).status == "delivered"


@pytest.mark.parametrize(
    "dns_error",
    [
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    ],
    ids=["temporary", "nxdomain"],
)
def test_a_dns_failure_at_delivery_time_is_retried_not_refused(
    world: Any, dns_error: OSError
) -> None:
    """Only an address the guard forbids ends a delivery; a name that does not resolve right now
    (a resolver outage, or a lapsed zone) gets the same retries as a connection error."""
    failures = [dns_error]

    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if failures:
            raise failures.pop()
        return PUBLIC

    received: list[httpx.Request] = []
    world.sender = HttpWebhookSender(
        5,
        allow_local=False,
        resolve=resolve,
        transport=httpx.MockTransport(lambda r: received.append(r) or httpx.Response(204)),
    )
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    assert record.status == "retrying"
    [first] = world.store.list_attempts("demo", record.id)
    assert first.outcome == "retry" and (first.error or "").startswith("dns_error:")
    world.run_queue(dispatcher)
    assert world.store.get_delivery("demo", record.id).status == "delivered"
    assert len(received) == 1


def test_non_retryable_answers_fail_at_once_and_410_disables_the_subscription(
    world: Any,
) -> None:
    subscription = create_subscription(
        world.store,
        "demo",
        CreateSubscriptionRequest(url="https://tenant.example.com/hook"),
        created_by="admin",
        allow_local=False,
        resolve=lambda *_: PUBLIC,
    )
    world.sender.script = [SendResult(status_code=410), SendResult(status_code=400)]
    dispatcher = world.dispatcher()
    gone, bad = dispatcher.fan_out(event())
    assert (gone.subscription_id, gone.status) == (subscription.id, "gone")
    assert (bad.subscription_id, bad.status) == ("default", "failed")
    assert world.store.get_subscription("demo", subscription.id).status == "disabled"
    assert world.queue.scheduled == []
    # A disabled subscription gets nothing more.
    dispatcher.fan_out(event(event_id="evt_2"))
    assert [r[0] for r in world.sender.requests[2:]] == ["https://hooks.example.com/in"]


def test_duplicate_queue_messages_and_a_replayed_fan_out_do_not_resend(world: Any) -> None:
    world.sender.script = [SendResult(status_code=500)]
    dispatcher = world.dispatcher()
    dispatcher.fan_out(event())
    assert dispatcher.fan_out(event()) == []  # the rule message delivered twice
    [(message, _)] = world.queue.take()
    world.clock.now += 5
    dispatcher.handle_message(message)
    dispatcher.handle_message(message)  # SQS at-least-once
    assert len(world.sender.requests) == 2
    assert world.queue.scheduled == []


def fail_next_sends(world: Any, count: int = 1) -> None:
    """SQS SendMessage fails for the next `count` scheduled attempts."""
    schedule = world.queue.schedule
    left = [count]

    def flaky(message: Any, delay: float) -> None:
        if left[0]:
            left[0] -= 1
            raise ConnectionError("SQS SendMessage failed")
        schedule(message, delay)

    world.queue.schedule = flaky


def test_a_duplicate_copy_of_the_last_attempt_does_not_start_a_new_round(world: Any) -> None:
    world.sender.script = [SendResult(status_code=500)] * 4
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    last = None
    while taken := world.queue.take():
        for message, delay in taken:
            world.clock.now += delay
            dispatcher.handle_message(message)
            last = message
    assert world.store.get_delivery("demo", record.id).status == "failed"
    dispatcher.handle_message(last)  # SQS delivers the last attempt's message once more
    stored = world.store.get_delivery("demo", record.id)
    assert (stored.round, stored.status, stored.attempts) == (1, "failed", 4)
    assert world.queue.take() == [] and len(world.sender.requests) == 4


def test_a_failed_send_of_the_next_attempt_is_retried_by_the_message_coming_back(
    world: Any,
) -> None:
    world.sender.script = [SendResult(status_code=500)] * 2
    dispatcher = world.dispatcher()
    fail_next_sends(world)
    with pytest.raises(ConnectionError):  # attempt 1 recorded; queuing attempt 2 failed
        dispatcher.fan_out(event())
    [record] = world.store.deliveries.values()
    assert (record.status, record.attempts) == ("retrying", 1)
    dispatcher.fan_out(event())  # the rule message comes back: attempt 2 is queued now
    [(message, _)] = world.queue.take()
    assert message.attempt == 2
    world.clock.now += 5
    fail_next_sends(world)
    with pytest.raises(ConnectionError):  # attempt 2 recorded; queuing attempt 3 failed
        dispatcher.handle_message(message)
    assert world.store.get_delivery("demo", record.id).attempts == 2
    dispatcher.handle_message(message)  # SQS brings the message back
    world.run_queue(dispatcher)
    stored = world.store.get_delivery("demo", record.id)
    assert (stored.status, stored.attempts) == ("delivered", 3)
    assert len(world.sender.requests) == 3


def test_a_redelivery_that_cannot_be_queued_leaves_the_delivery_redeliverable(
    world: Any,
) -> None:
    world.sender.script = [SendResult(status_code=500)] * 4
    dispatcher = world.dispatcher()
    [record] = dispatcher.fan_out(event())
    world.run_queue(dispatcher)
    fail_next_sends(world)
    with pytest.raises(Exception):  # noqa: B017 - the admin sees an error, whichever
        dispatcher.redeliver("demo", record.id)
    stored = world.store.get_delivery("demo", record.id)
    assert (stored.round, stored.status) == (1, "failed")  # not `pending` with nothing queued
    assert dispatcher.redeliver("demo", record.id).round == 2
    world.run_queue(dispatcher)
    assert world.store.get_delivery("demo", record.id).status == "delivered"


def test_tenant_and_run_subscriptions_filter_events_and_sign_with_their_secrets(
    world: Any,
) -> None:
    subscription = create_subscription(
        world.store,
        "demo",
        CreateSubscriptionRequest(
            url="https://tenant.example.com/hook", events=["workflow.completed"]
        ),
        created_by="admin",
        allow_local=False,
        resolve=lambda *_: PUBLIC,
    )
    world.cases.cases[("demo", "case_1")] = make_case(
        {
            "subscriptions": [
                {"type": "webhook", "url": "https://run.example.com/a", "events": []},
                {"type": "webhook", "url": "https://run.example.com/b", "events": ["x.y"]},
                {"type": "webhook", "url": "https://hooks.example.com/in"},  # = default URL
            ]
        }
    )
    dispatcher = world.dispatcher()
    records = dispatcher.fan_out(event())
    assert [(r.subscription_kind, r.url) for r in records] == [
        ("default", "https://hooks.example.com/in"),
        ("run", "https://run.example.com/a"),
    ]
    default_request, run_request = world.sender.requests
    verify(DEFAULT_SECRET, default_request)
    run_secret = world.store.get_signing_secret("demo").secret  # the tenant's own key
    verify(run_secret, run_request)
    world.sender.requests.clear()
    completed = dispatcher.fan_out(event("case.completed", event_id="evt_2"))
    assert completed[0].subscription_id == subscription.id
    verify(subscription.secret, world.sender.requests[0])


def test_run_subscriptions_are_signed_with_their_tenants_key_never_the_default(
    world: Any,
) -> None:
    run_config = {"subscriptions": [{"type": "webhook", "url": "https://run.example.com/a"}]}
    for tenant in ("demo", "acme"):
        world.cases.cases[(tenant, "case_1")] = make_case(run_config).model_copy(
            update={"tenant_id": tenant}
        )
        world.dispatcher().fan_out(event().model_copy(update={"tenant_id": tenant}))
    runs = [r for r in world.sender.requests if r[0] == "https://run.example.com/a"]
    demo_key = tenant_signing_secret(world.store, "demo").secret
    acme_key = tenant_signing_secret(world.store, "acme").secret
    assert len({demo_key, acme_key, DEFAULT_SECRET}) == 3
    verify(demo_key, runs[0])
    verify(acme_key, runs[1])
    for request, other_keys in ((runs[0], (DEFAULT_SECRET, acme_key)), (runs[1], (demo_key,))):
        for key in other_keys:  # an integrator cannot forge another tenant's (or the operator's)
            with pytest.raises(WebhookVerificationError):
                verify(key, request)


def test_the_tenant_key_is_created_once_shown_once_and_rotates_with_an_overlap(
    world: Any,
) -> None:
    store = world.store
    assert store.get_signing_secret("demo") is None
    first = reveal_signing_secret(store, "demo")  # created lazily, shown this once
    assert first.secret and first.secret.startswith("whsec_")
    assert tenant_signing_secret(store, "demo").secret == first.secret
    with pytest.raises(Conflict):
        reveal_signing_secret(store, "demo")  # never again: rotate for a new one
    assert signing_secret_status(store, "demo").secret is None
    rotated = rotate_signing_secret(store, "demo", overlap_seconds=3600)
    assert rotated.secret not in (None, first.secret) and rotated.previous_secret_expires_at
    world.cases.cases[("demo", "case_1")] = make_case(
        {"subscriptions": [{"type": "webhook", "url": "https://run.example.com/a"}]}
    )
    world.dispatcher().fan_out(event())
    run_request = world.sender.requests[-1]
    assert len(run_request[2]["webhook-signature"].split(" ")) == 2
    verify(first.secret, run_request)
    verify(rotated.secret, run_request)


def test_concurrent_first_uses_of_the_tenant_key_agree_on_one() -> None:
    class Racing(InMemoryWebhookStore):
        """Another creator stores its key between this one's read and its write."""

        def get_signing_secret(self, tenant_id: str) -> Any:
            found = super().get_signing_secret(tenant_id)
            if found is None and not getattr(self, "raced", False):
                self.raced = True
                tenant_signing_secret(self, tenant_id)
            return found

    store = Racing()
    mine = tenant_signing_secret(store, "demo")
    assert mine.secret == store.get_signing_secret("demo").secret


class Interleaved(InMemoryWebhookStore):
    """Runs `between` right after the next subscription read: a concurrent writer."""

    between: Any = None

    def get_subscription(self, tenant_id: str, subscription_id: str) -> Any:
        found = super().get_subscription(tenant_id, subscription_id)
        hook, self.between = self.between, None
        if hook:
            hook()
        return found


def subscribe(store: InMemoryWebhookStore) -> Any:
    return create_subscription(
        store,
        "demo",
        CreateSubscriptionRequest(url="https://tenant.example.com/hook"),
        created_by="admin",
        allow_local=False,
        resolve=lambda *_: PUBLIC,
    )


def test_concurrent_rotations_one_wins_the_other_is_409() -> None:
    store = Interleaved()
    subscription = subscribe(store)
    winner: list[Any] = []
    store.between = lambda: winner.append(
        rotate_secret(store, "demo", subscription.id, overlap_seconds=60)
    )
    with pytest.raises(Conflict):
        rotate_secret(store, "demo", subscription.id, overlap_seconds=60)
    stored = store.get_subscription("demo", subscription.id)
    assert stored.secret == winner[0].secret  # the secret its caller was shown still signs
    assert stored.previous_secret == subscription.secret


def test_a_410_during_a_rotation_disables_without_losing_the_new_secret() -> None:
    store = Interleaved()
    subscription = subscribe(store)
    stale = store.get_subscription("demo", subscription.id)
    rotated = rotate_secret(store, "demo", subscription.id, overlap_seconds=60)
    disable_subscription(store, stale, "the receiver answered 410 Gone")
    stored = store.get_subscription("demo", subscription.id)
    assert stored.status == "disabled" and stored.secret == rotated.secret


def test_rotation_signs_with_both_secrets_during_the_overlap(world: Any) -> None:
    subscription = create_subscription(
        world.store,
        "demo",
        CreateSubscriptionRequest(url="https://tenant.example.com/hook"),
        created_by="admin",
        allow_local=False,
        resolve=lambda *_: PUBLIC,
    )
    rotated = rotate_secret(world.store, "demo", subscription.id, overlap_seconds=3600)
    assert rotated.secret != subscription.secret
    world.dispatcher(default=DefaultSubscription("", "")).fan_out(event())
    request = world.sender.requests[0]
    assert len(request[2]["webhook-signature"].split(" ")) == 2
    verify(subscription.secret, request)
    verify(rotated.secret, request)
    ended = rotate_secret(world.store, "demo", subscription.id, overlap_seconds=0)
    world.dispatcher(default=DefaultSubscription("", "")).fan_out(event(event_id="evt_2"))
    assert len(world.sender.requests[1][2]["webhook-signature"].split(" ")) == 1
    verify(ended.secret, world.sender.requests[1])


def test_deleted_subscriptions_cancel_pending_retries(world: Any) -> None:
    subscription = create_subscription(
        world.store,
        "demo",
        CreateSubscriptionRequest(url="https://tenant.example.com/hook"),
        created_by="admin",
        allow_local=False,
        resolve=lambda *_: PUBLIC,
    )
    world.sender.script = [SendResult(status_code=500)]
    dispatcher = world.dispatcher(default=DefaultSubscription("", ""))
    [record] = dispatcher.fan_out(event())
    world.store.delete_subscription("demo", subscription.id)
    world.run_queue(dispatcher)
    assert world.store.get_delivery("demo", record.id).status == "cancelled"
    assert len(world.sender.requests) == 1


def test_an_attempt_that_might_outlive_the_invocation_is_queued_instead(world: Any) -> None:
    dispatcher = world.dispatcher(deadline=0.0)  # already past
    [record] = dispatcher.fan_out(event())
    assert record.status == "pending" and world.sender.requests == []
    world.run_queue(world.dispatcher())
    assert world.store.get_delivery("demo", record.id).status == "delivered"


def test_delivery_listing_filters(world: Any) -> None:
    world.sender.script = [SendResult(status_code=500)]
    dispatcher = world.dispatcher()
    dispatcher.fan_out(event())
    dispatcher.fan_out(event("case.assigned", event_id="evt_2"))
    page = world.store.list_deliveries(
        "demo", DeliveryFilter(status="retrying"), limit=10, start_key=None
    )
    assert [d.event_id for d in page.deliveries] == ["evt_1"]
    page = world.store.list_deliveries(
        "demo", DeliveryFilter(event_type="case.assigned"), limit=10, start_key=None
    )
    assert [d.event_id for d in page.deliveries] == ["evt_2"]


def test_retry_schedule_parsing_and_jitter() -> None:
    assert parse_delays(None) == DEFAULT_RETRY_DELAYS
    assert parse_delays("0, 1,2") == (0, 1, 2)
    assert parse_delays("0,x") == DEFAULT_RETRY_DELAYS
    assert parse_delays("-1") == DEFAULT_RETRY_DELAYS
    assert DEFAULT_RETRY_DELAYS[-1] == 24 * 3600 and len(DEFAULT_RETRY_DELAYS) == 10
    assert next_delay((0, 100), 1, rng=lambda: 0.0) == pytest.approx(90)
    assert next_delay((0, 100), 1, rng=lambda: 1.0) == pytest.approx(110)
    assert next_delay((0, 100), 2) is None
    assert next_delay((0, 100, 200), 1, retry_after=10**9, rng=lambda: 0.5) == 200  # capped
