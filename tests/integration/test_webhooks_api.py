"""Webhooks over moto in-process: the admin API, and real decisions delivered through the
pipeline (outbox -> EventBridge -> SQS -> webhook consumer) to a receiver on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from chalicelib.dependencies import case_store
from chalicelib.models.webhooks import Subscription
from chalicelib.webhooks.signing import generate_secret
from tests.conftest import poll
from tests.integration.conftest import Api, ingest
from tests.integration.test_auth_api import login

WEBHOOKS = "/api/v1/backoffice/webhooks"
RUN = "/api/v1/external/workflows/run"


@dataclass
class Received:
    webhook_id: str
    type: str
    data: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class Receiver:
    """A real HTTP receiver on 127.0.0.1 that verifies every request with `standardwebhooks`.

    `script` answers requests in order: an int is a status code, ("hang", seconds) sleeps before
    answering 200 (a timeout for the sender); when empty, `default` answers (a callable `default`
    is asked per request). `case_scripts` and `case_defaults` do the same for one case's events
    (other traffic cannot eat them).
    """

    secrets: list[str]
    script: list[Any] = field(default_factory=list)
    default: Any = 200
    case_scripts: dict[str, list[Any]] = field(default_factory=dict)
    case_defaults: dict[str, Any] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)  # verified, answered 2xx
    # every request: (webhook-id, event id, case id, action)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def _verify(self, body: str, headers: dict[str, str]) -> dict[str, Any] | None:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except (WebhookVerificationError, ValueError):
                continue
        return None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                payload = receiver._verify(body, headers)
                data = (payload or {}).get("data") or {}
                case_id, event_id = str(data.get("caseId")), str(data.get("eventId"))
                with receiver.lock:
                    if receiver.case_scripts.get(case_id):
                        action = receiver.case_scripts[case_id].pop(0)
                    elif case_id in receiver.case_defaults:
                        action = receiver.case_defaults[case_id]
                    elif receiver.script:
                        action = receiver.script.pop(0)
                    else:
                        default = receiver.default
                        action = default() if callable(default) else default
                    receiver.requests.append(
                        (headers.get("webhook-id", ""), event_id, case_id, str(action))
                    )
                if payload is None:
                    receiver.rejected.append(body)
                    action = 401
                timed_out = isinstance(action, tuple) and action[0] == "hang"
                if timed_out:
                    # Longer than the sender waits: it gave up, so this one does not count.
                    time.sleep(action[1])
                    action = 200
                if 200 <= int(action) < 300 and not timed_out:
                    with receiver.lock:
                        receiver.received.append(
                            Received(
                                headers["webhook-id"],
                                payload["type"],  # type: ignore[index]
                                payload["data"],  # type: ignore[index]
                                headers,
                                time.monotonic(),
                            )
                        )
                with contextlib.suppress(OSError):  # the sender may have given up (timeout)
                    self.send_response(int(action))
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def of(self, kind: str, case_id: str | None = None) -> list[Received]:
        with self.lock:
            return [
                r
                for r in self.received
                if r.type == kind and (case_id is None or r.data["caseId"] == case_id)
            ]


def dead_letters_with(sqs: Any, queue_url: str, delivery_id: str) -> list[str]:
    """The delivery ids of the webhook dead-letter queue's letters, once `delivery_id`'s is
    among them: a delivery is saved as failed before its letter is sent."""

    def letters() -> list[str]:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return [json.loads(m["Body"])["webhookDelivery"]["deliveryId"] for m in messages]

    found: list[str] = poll(lambda: delivery_id in (ids := letters()) and ids)
    return found


DEFAULT_SECRET = generate_secret()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    started = Receiver([DEFAULT_SECRET]).start()
    monkeypatch.setenv("WEBHOOK_URL", started.url)
    monkeypatch.setenv("WEBHOOK_SECRET", DEFAULT_SECRET)
    monkeypatch.setenv("WEBHOOK_RETRY_DELAYS_SECONDS", "0,1,2")
    yield started
    started.stop()


@pytest.fixture
def admin(api: Api) -> Api:
    return api.as_tenant(login(api, "admin@demo.test")["idToken"])


def delete(api: Api, path: str) -> Any:
    return api._client.http.delete(path, headers=api.headers())


class TestSubscriptionsApi:
    def test_create_list_rotate_delete(self, admin: Api, receiver: Receiver) -> None:
        created = admin.post(WEBHOOKS, {"url": receiver.url, "events": ["workflow.completed"]})
        assert created.status_code == 201, created.body
        body = created.json_body
        assert body["secret"].startswith("whsec_") and body["kind"] == "tenant"
        Webhook(body["secret"])  # a usable Standard Webhooks secret

        listed = admin.get(WEBHOOKS).json_body["data"]
        assert [s["id"] for s in listed] == ["default", body["id"]]
        assert listed[0]["readOnly"] is True
        assert all("secret" not in s for s in listed)  # shown once, never listed

        rotated = admin.post(f"{WEBHOOKS}/{body['id']}/rotate-secret", {"overlapSeconds": 60})
        assert rotated.status_code == 200, rotated.body
        assert rotated.json_body["secret"] != body["secret"]
        assert rotated.json_body["previousSecretExpiresAt"]

        assert delete(admin, f"{WEBHOOKS}/{body['id']}").status_code == 204
        assert delete(admin, f"{WEBHOOKS}/{body['id']}").status_code == 404
        assert delete(admin, f"{WEBHOOKS}/default").status_code == 409
        assert [s["id"] for s in admin.get(WEBHOOKS).json_body["data"]] == ["default"]

    def test_admins_only_and_tenants_apart(self, api: Api, admin: Api) -> None:
        alice = api.as_tenant(login(api, "alice@demo.test")["idToken"])
        assert alice.get(WEBHOOKS).status_code == 403
        assert alice.get(f"{WEBHOOKS}/deliveries").status_code == 403
        assert api.as_tenant(None).get(WEBHOOKS).status_code == 401
        created = admin.post(WEBHOOKS, {"url": "http://127.0.0.1:9/x"}).json_body
        acme = api.as_tenant(login(api, "admin@acme.test")["idToken"])
        assert [s["id"] for s in acme.get(WEBHOOKS).json_body["data"]] == []
        assert delete(acme, f"{WEBHOOKS}/{created['id']}").status_code == 404

    def test_the_per_run_signing_secret_is_the_tenants_shown_once_and_rotates(
        self, api: Api, admin: Api
    ) -> None:
        secret = f"{WEBHOOKS}/signing-secret"
        status = admin.get(secret)
        assert status.status_code == 200, status.body
        assert status.json_body["revealed"] is False and "secret" not in status.json_body
        shown = admin.post(f"{secret}/reveal", {})
        assert shown.status_code == 200, shown.body
        first = shown.json_body["secret"]
        assert first.startswith("whsec_") and first != DEFAULT_SECRET
        Webhook(first)
        again = admin.post(f"{secret}/reveal", {})
        assert again.status_code == 409 and "secret" not in again.json_body
        assert admin.get(secret).json_body["revealed"] is True
        assert "secret" not in admin.get(secret).json_body

        rotated = admin.post(f"{secret}/rotate", {"overlapSeconds": 60})
        assert rotated.status_code == 200, rotated.body
        assert rotated.json_body["secret"] not in (first, DEFAULT_SECRET)
        assert rotated.json_body["previousSecretExpiresAt"]
        assert admin.post(f"{secret}/rotate", {"overlapSeconds": -1}).status_code == 400

        acme = api.as_tenant(login(api, "admin@acme.test")["idToken"])
        acme_secret = acme.post(f"{secret}/reveal", {}).json_body["secret"]
        assert acme_secret not in (first, rotated.json_body["secret"])
        alice = api.as_tenant(login(api, "alice@demo.test")["idToken"])
        assert alice.get(secret).status_code == 403
        assert alice.post(f"{secret}/rotate", {}).status_code == 403

    def test_invalid_and_internal_urls_are_400(self, admin: Api) -> None:
        for url in ("not a url", "ftp://127.0.0.1/x", "http://10.0.0.1/x", "http://[fc00::1]/"):
            response = admin.post(WEBHOOKS, {"url": url})
            assert response.status_code == 400, (url, response.body)
        unknown_event = admin.post(WEBHOOKS, {"url": "http://127.0.0.1:9/x", "events": ["x"]})
        assert unknown_event.status_code == 400


def test_decisions_arrive_signed_and_the_log_records_them(
    api: Api, admin: Api, pipeline: Any, receiver: Receiver, seed_request: dict[str, Any]
) -> None:
    # A run-level subscription too (Ballerine's config.subscriptions), for completion only:
    # signed with the tenant's own key, which its admin reads once.
    revealed = admin.post(f"{WEBHOOKS}/signing-secret/reveal", {})
    assert revealed.status_code == 200, revealed.body
    run_receiver = Receiver([revealed.json_body["secret"]]).start()
    try:
        seed_request["config"] = {
            "subscriptions": [
                {"type": "webhook", "url": run_receiver.url, "events": ["workflow.completed"]}
            ]
        }
        case_id = ingest(api, seed_request)
        poll(lambda: (c := case_store().get_case("demo", case_id)) and c.task_token)
        case = case_store().get_case("demo", case_id)
        license_id, certificate_id = (d.id for d in case.documents)
        base = f"/api/v1/backoffice/cases/{case_id}"
        first = admin.post(
            f"{base}/documents/{license_id}/decision",
            {"decision": "reject", "reason": "expired", "expectedVersion": case.version},
        )
        assert first.status_code == 200, first.body
        final = admin.post(
            f"{base}/decision",
            {
                "decision": "reject",
                "reason": "data_mismatch",
                "comment": "names differ",
                "expectedVersion": first.json_body["version"],
            },
        )
        assert final.status_code == 200, final.body

        changed = poll(lambda: receiver.of("workflow.context.document.changed", case_id))[0]
        assert changed.data["documentId"] == license_id
        assert (changed.data["previousStatus"], changed.data["newStatus"]) == (
            "pending",
            "rejected",
        )
        assert changed.data["reviewer"]["name"] == "Ada Admin"
        completed = poll(lambda: receiver.of("workflow.completed", case_id))[0]
        data = completed.data
        assert data["workflowRuntimeId"] == case_id
        assert data["entityId"] == seed_request["context"]["entity"]["id"]
        assert data["ballerineEntityId"] == case.ballerine_entity_id
        assert data["decision"] == "reject" and data["finalState"] == "rejected"
        docs = {d["id"]: d["decision"] for d in data["documents"]}
        assert docs[license_id] == {"status": "rejected", "reason": "expired", **docs[license_id]}
        assert docs[certificate_id]["status"] == "pending"
        state = poll(lambda: receiver.of("workflow.state.changed", case_id))[0]
        assert state.data["newState"] == "rejected" and state.data["comment"] == "names differ"
        run_completed = poll(lambda: run_receiver.of("workflow.completed", case_id))
        assert len(run_completed) == 1 and run_completed[0].webhook_id != completed.webhook_id
        assert run_receiver.of("workflow.state.changed") == []
        assert receiver.rejected == [] and run_receiver.rejected == []

        # The delivery log: filters, cursor pagination, attempts.
        deliveries = f"{WEBHOOKS}/deliveries"
        # The receiver answers before the delivery is saved as `delivered`: wait for the save.
        everything = poll(
            lambda: (
                (found := admin.get(deliveries).json_body["data"])
                and {d["status"] for d in found} == {"delivered"}
                and found
            )
        )
        by_type = admin.get(f"{deliveries}?eventType=workflow.completed").json_body["data"]
        assert {d["subscriptionKind"] for d in by_type} == {"default", "run"}
        run_sub = next(d["subscriptionId"] for d in by_type if d["subscriptionKind"] == "run")
        only_run = admin.get(f"{deliveries}?subscriptionId={run_sub}").json_body["data"]
        assert [d["id"] for d in only_run] == [run_completed[0].webhook_id]
        event_id = completed.data["eventId"]
        assert len(admin.get(f"{deliveries}?eventId={event_id}").json_body["data"]) == 2
        assert admin.get(f"{deliveries}?status=failed").json_body["data"] == []
        seen: list[str] = []
        cursor = None
        while True:
            query = urlencode({"limit": 2, **({"cursor": cursor} if cursor else {})})
            page = admin.get(f"{deliveries}?{query}").json_body
            seen += [d["id"] for d in page["data"]]
            cursor = page["nextCursor"]
            if not cursor:
                break
        assert seen == [d["id"] for d in everything]
        tampered = admin.get(f"{deliveries}?status=delivered&cursor={cursor or 'x.y'}")
        assert tampered.status_code == 400
        one = admin.get(f"{deliveries}/{completed.webhook_id}").json_body
        assert one["attemptLog"][0]["outcome"] == "delivered"
        assert one["attemptLog"][0]["statusCode"] == 200
        assert admin.get(f"{deliveries}/msg_nope").status_code == 404
    finally:
        run_receiver.stop()


def test_failing_receiver_retries_then_dead_letters_and_redelivers(
    api: Api, admin: Api, pipeline: Any, receiver: Receiver, local_aws: Any
) -> None:
    from chalicelib.dependencies import event_publisher
    from chalicelib.models.events import DomainEvent

    receiver.default = 500
    case_id = ingest(api, _individual_run("wh-dlq"))
    event = DomainEvent(
        event_id="evt_note_1",
        type="case.note_added",
        tenant_id="demo",
        case_id=case_id,
        occurred_at="2026-01-01T00:00:00.000Z",
        actor={"type": "reviewer", "id": "u1", "name": "Ada Admin"},
        data={"noteId": "note_1", "authorId": "u1"},
    )
    event_publisher().publish([event])
    deliveries = f"{WEBHOOKS}/deliveries"

    def failed() -> list[dict[str, Any]]:
        return admin.get(f"{deliveries}?status=failed&eventId=evt_note_1").json_body["data"]

    [dead] = poll(failed)
    assert dead["attempts"] == 3 and dead["lastStatusCode"] == 500
    import boto3

    # The case's screening result (workflow.context.changed) failed the same way: its own entry.
    letters = dead_letters_with(boto3.client("sqs"), local_aws.refs["WebhookQueueDLQ"], dead["id"])
    assert letters.count(dead["id"]) == 1

    receiver.default = 200
    redeliver = admin.post(f"{deliveries}/{dead['id']}/redeliver", {})
    assert redeliver.status_code == 202, redeliver.body
    assert redeliver.json_body["round"] == 2
    poll(lambda: receiver.of("case.note_added", case_id))
    assert len([r for r in receiver.requests if r[0] == dead["id"]]) == 4
    assert admin.post(f"{deliveries}/msg_nope/redeliver", {}).status_code == 404


def _individual_run(entity_id: str) -> dict[str, Any]:
    return {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "individual",
                "data": {"firstName": "Jane", "lastName": "Doe"},
            },
            "documents": [],
        },
    }


def test_subscription_and_signing_secret_writes_are_conditional(local_aws: Any) -> None:
    from chalicelib.dependencies import webhook_store
    from chalicelib.webhooks.tenant_secret import rotate_signing_secret, tenant_signing_secret

    store = webhook_store()
    subscription = Subscription(
        id="whs_1",
        tenant_id="demo",
        url="https://tenant.example.com/hook",
        secret=generate_secret(),
        created_at="2026-01-01T00:00:00.000Z",
        updated_at="2026-01-01T00:00:00.000Z",
    )
    store.put_subscription(subscription)
    rotated = subscription.model_copy(update={"secret": generate_secret(), "version": 2})
    assert store.save_subscription(rotated, expected_version=1)
    stale = subscription.model_copy(update={"status": "disabled", "version": 2})
    assert not store.save_subscription(stale, expected_version=1)  # a lost update refused
    assert store.get_subscription("demo", "whs_1") == rotated
    gone = rotated.model_copy(update={"id": "whs_deleted"})
    assert not store.save_subscription(gone, expected_version=2)  # never recreates
    assert store.get_subscription("demo", "whs_deleted") is None

    key = tenant_signing_secret(store, "acme")
    assert tenant_signing_secret(store, "acme") == key  # created once
    duplicate = key.model_copy(update={"secret": generate_secret()})
    assert not store.save_signing_secret(duplicate, expected_version=None)
    rotate_signing_secret(store, "acme", overlap_seconds=0)
    assert not store.save_signing_secret(duplicate, expected_version=key.version)
    assert store.get_signing_secret("acme").secret not in (key.secret, duplicate.secret)
