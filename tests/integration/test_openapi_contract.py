"""Every answer of every route validates against the published OpenAPI document.

The document is fetched the way a client would (`GET /api/v1/openapi.json`, no credentials), and
each response is checked against the schema the document gives for its route and status code
(JSON Schema 2020-12, which is what OpenAPI 3.1 schemas are). A status the document does not list
for the route fails too. The request bodies sent on the happy path are checked against the
documented request schemas, so the document also accepts what real clients send.

`test_a_tour_of_every_route` must reach every route of the app with a 2xx answer: a new route
fails it until the tour calls it, and so until its documented answer is known to be right.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import boto3
import jwt
import pytest
from chalice.test import Client
from jsonschema import Draft202012Validator

from app import app
from chalicelib.config import MAX_REQUEST_BYTES, get_settings
from local.environment import REVIEWER_PASSWORD
from tests.conftest import poll
from tests.integration.conftest import TENANT_OF_KEY, settle_ingest
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_plugins_pipeline import (
    AsyncVendor,
    async_vendor,
    signed_callback_headers,
)

RUN = "/api/v1/external/workflows/run"
WORKFLOW = "/api/v1/external/workflows/{case_id}"
CASE = "/api/v1/backoffice/cases/{case_id}"
DOCUMENT_DECISION = CASE + "/documents/{document_id}/decision"
WEBHOOKS = "/api/v1/backoffice/webhooks"


def forged_token(claims: dict[str, Any]) -> str:
    """A well-formed RS256 ID token signed by a key the user pool never had."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


class Contract:
    """Calls routes through the in-process app and checks each answer against the document.

    `call` takes the route's template (as in `app.routes`) and its parameters, so the operation
    is looked up exactly, never guessed from a concrete URL."""

    def __init__(self, client: Client, document: dict[str, Any]) -> None:
        self.client = client
        self.document = document
        self.seen: set[tuple[str, str, int]] = set()
        self.tokens: dict[str, str] = {}
        self.user_ids: dict[str, str] = {}
        self._validators: dict[str, Draft202012Validator] = {}

    # -- validation ------------------------------------------------------------------------
    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            # `#/components/...` references resolve against this root, which carries the
            # document's components next to the schema being checked.
            root = {**schema, "components": self.document["components"]}
            Draft202012Validator.check_schema(root)
            self._validators[key] = Draft202012Validator(
                root, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
        return self._validators[key]

    def operation(self, method: str, template: str) -> dict[str, Any]:
        item = self.document["paths"].get(template)
        assert item is not None, f"{template} is not in the OpenAPI document"
        operation = item.get(method.lower())
        assert operation is not None, f"{method} {template} is not in the OpenAPI document"
        return operation

    def documented_answer(self, method: str, template: str, status: int) -> dict[str, Any]:
        responses = self.operation(method, template)["responses"]
        assert str(status) in responses, (
            f"{method} {template} answered {status}, which the document does not list "
            f"(documented: {sorted(responses)})"
        )
        answer = responses[str(status)]
        if "$ref" in answer:
            name = answer["$ref"].removeprefix("#/components/responses/")
            answer = self.document["components"]["responses"][name]
        return answer

    def check_response(self, method: str, template: str, response: Any) -> None:
        answer = self.documented_answer(method, template, response.status_code)
        self.seen.add((method, template, response.status_code))
        if "content" not in answer:
            assert not response.body, f"{method} {template}: a body where none is documented"
            return
        content_type = response.headers.get("content-type", response.headers.get("Content-Type"))
        if "application/json" not in answer["content"]:
            (media_type,) = answer["content"]
            assert content_type.split(";")[0] == media_type, (method, template, content_type)
            return
        schema = answer["content"]["application/json"]["schema"]
        assert content_type == "application/json", (method, template, content_type)
        body = json.loads(response.body)
        errors = sorted(self._validator(schema).iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (
            f"{method} {template} {response.status_code}: the answer does not match the "
            "document:\n"
            + "\n".join(f"  at {list(e.absolute_path)}: {e.message[:300]}" for e in errors[:10])
        )

    def check_request(self, method: str, template: str, body: Any) -> None:
        request_body = self.operation(method, template).get("requestBody")
        assert request_body is not None, f"{method} {template} documents no request body"
        schema = request_body["content"]["application/json"]["schema"]
        errors = list(self._validator(schema).iter_errors(body))
        assert not errors, f"{method} {template}: the documented request schema refuses " + (
            "; ".join(e.message[:200] for e in errors[:5])
        )

    # -- calls -------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        template: str,
        *,
        auth: str | None = None,
        body: Any = None,
        query: str = "",
        headers: dict[str, str] | None = None,
        check_body: bool = True,
        **params: str,
    ) -> Any:
        """`auth`: an API key, an account's email (its ID token is used) or a raw token."""
        path = template.format(**params) + (f"?{query}" if query else "")
        sent = {"Content-Type": "application/json", **(headers or {})}
        if auth is not None:
            sent["Authorization"] = f"Bearer {self.tokens.get(auth, auth)}"
        raw = b""
        if body is not None:
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.client.http.request(method, path, headers=sent, body=raw)
        self.check_response(method, template, response)
        sent_json = body is not None and check_body and not isinstance(body, bytes)
        if sent_json and 200 <= response.status_code < 300:
            self.check_request(method, template, body)
        return response

    def login(self, email: str) -> dict[str, Any]:
        response = self.call(
            "POST",
            "/api/v1/auth/login",
            body={"email": email, "password": REVIEWER_PASSWORD},
        )
        assert response.status_code == 200, response.body
        session = json.loads(response.body)
        self.tokens[email] = session["idToken"]
        self.user_ids[email] = session["user"]["id"]
        return session

    def json(self, response: Any, status: int) -> Any:
        assert response.status_code == status, response.body
        return json.loads(response.body)


@pytest.fixture
def contract(client: Client) -> Iterator[Contract]:
    response = client.http.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    checked = Contract(client, document)
    # The document describes itself too.
    checked.check_response("GET", "/api/v1/openapi.json", response)
    yield checked


@contextmanager
def webhook_receiver() -> Iterator[str]:
    """A webhook receiver on loopback that accepts everything (the test env allows loopback)."""

    class Accept(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Accept)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[str]:
    with webhook_receiver() as url:
        yield url


def ingest(contract: Contract, entity_id: str, api_key: str = "secret") -> dict[str, Any]:
    response = contract.call("POST", RUN, auth=api_key, body=individual_run(entity_id))
    answer = contract.json(response, 201)
    settle_ingest(TENANT_OF_KEY[api_key], answer["workflowRuntimeId"])
    return answer


def test_a_tour_of_every_route(contract: Contract, pipeline: Any, receiver: str) -> None:
    """Every route with a 2xx answer. `pipeline` runs the event flow, so that webhook deliveries
    exist to be listed, read and redelivered."""
    c = contract
    # Reviewer sign-in.
    session = c.login("alice@demo.test")
    c.login("admin@demo.test")
    admin = "admin@demo.test"

    # An admin subscribes a receiver (before anything happens, so it gets the events).
    c.json(c.call("GET", WEBHOOKS, auth=admin), 200)
    subscription = c.json(
        c.call(
            "POST",
            WEBHOOKS,
            auth=admin,
            body={"url": receiver, "events": ["case.note_added"], "description": "contract"},
        ),
        201,
    )
    subscription_id = subscription["id"]
    c.json(
        c.call(
            "POST",
            WEBHOOKS + "/{subscription_id}/rotate-secret",
            auth=admin,
            body={"overlapSeconds": 60},
            subscription_id=subscription_id,
        ),
        200,
    )
    # The tenant's own key for its runs' subscriptions: dates, then the secret once, rotated.
    c.json(c.call("GET", WEBHOOKS + "/signing-secret", auth=admin), 200)
    c.json(c.call("POST", WEBHOOKS + "/signing-secret/reveal", auth=admin), 200)
    c.json(
        c.call(
            "POST", WEBHOOKS + "/signing-secret/rotate", auth=admin, body={"overlapSeconds": 60}
        ),
        200,
    )
    c.json(
        c.call("POST", "/api/v1/auth/refresh", body={"refreshToken": session["refreshToken"]}),
        200,
    )
    c.json(c.call("GET", "/api/v1/auth/me", auth="alice@demo.test"), 200)
    # Sign-out revokes refresh tokens only: the ID token keeps working until it expires.
    assert c.call("POST", "/api/v1/auth/logout", auth="alice@demo.test").status_code == 204

    # Integrators: run (with and without an idempotency key), list, read.
    run = individual_run("contract-1")
    run["context"]["customData"] = {"riskScore": 90}  # KYC asks for four eyes from 70
    first = c.call("POST", RUN, auth="secret", body=run, headers={"Idempotency-Key": "k-1"})
    replay = c.call("POST", RUN, auth="secret", body=run, headers={"Idempotency-Key": "k-1"})
    assert c.json(first, 201) == c.json(replay, 201)
    case_id = c.json(first, 201)["workflowRuntimeId"]
    settle_ingest("demo", case_id)
    ingest(c, "contract-2")
    page = c.json(
        c.call("GET", "/api/v1/external/workflows", auth="secret", query="status=active&limit=1"),
        200,
    )
    assert page["nextCursor"]
    c.json(
        c.call(
            "GET",
            "/api/v1/external/workflows",
            auth="secret",
            query=f"status=active&limit=1&cursor={quote(page['nextCursor'])}",
        ),
        200,
    )
    c.json(c.call("GET", WORKFLOW, auth="secret", case_id=case_id), 200)
    c.json(c.call("GET", WORKFLOW + "/context", auth="secret", case_id=case_id), 200)
    c.json(c.call("GET", "/api/v1/external/workflow-definitions", auth="secret"), 200)

    # Reviewers: inbox, case view, pickers.
    alice = "alice@demo.test"
    inbox = c.json(c.call("GET", "/api/v1/backoffice/cases", auth=alice), 200)
    assert case_id in [row["id"] for row in inbox["data"]]
    c.json(
        c.call(
            "GET",
            "/api/v1/backoffice/cases",
            auth="admin@demo.test",
            query="status=all&assignee=any&sort=updatedAt&order=asc&limit=1&q=jane"
            "&entityType=individual&workflowDefinitionId=kyc-manual-review",
        ),
        200,
    )
    view = c.json(c.call("GET", CASE, auth=alice, case_id=case_id), 200)
    c.json(c.call("GET", "/api/v1/backoffice/assignees", auth=alice), 200)
    c.json(c.call("GET", "/api/v1/backoffice/reason-codes", auth=alice), 200)
    definitions = c.json(c.call("GET", "/api/v1/backoffice/workflow-definitions", auth=alice), 200)
    assert "kyc-manual-review" in {d["id"] for d in definitions["data"]}

    # Claim, note, decide a document (re-upload), the integrator resubmits, decide the case.
    view = c.json(
        c.call(
            "PUT",
            CASE + "/assignee",
            auth=alice,
            body={"assigneeId": c.user_ids[alice], "expectedVersion": view["version"]},
            case_id=case_id,
        ),
        200,
    )
    c.json(
        c.call("POST", CASE + "/notes", auth=alice, body={"text": "looks fine"}, case_id=case_id),
        201,
    )
    c.json(c.call("GET", CASE + "/notes", auth=alice, case_id=case_id), 200)
    document_id = view["documents"][0]["id"]
    decided = c.json(
        c.call(
            "POST",
            DOCUMENT_DECISION,
            auth=alice,
            body={
                "decision": "revision",
                "reason": "blurry_or_unreadable",
                "comment": "please retake the photo",
                "expectedVersion": view["version"],
            },
            case_id=case_id,
            document_id=document_id,
        ),
        200,
    )
    assert decided["state"] == "manual_review"  # marked; the round is sent as one request
    sent = c.json(
        c.call(
            "POST",
            CASE + "/decision",
            auth=alice,
            body={
                "decision": "revision",
                "reason": "blurry_or_unreadable",
                "expectedVersion": decided["version"],
                "requestDocuments": [{"type": "utility_bill", "category": "proof_of_address"}],
            },
            case_id=case_id,
        ),
        200,
    )
    assert sent["state"] == "revision" and sent["collectionLink"]["url"]
    renewed = c.json(
        c.call(
            "POST",
            CASE + "/collection-link",
            auth=alice,
            body={"expectedVersion": sent["version"]},
            case_id=case_id,
        ),
        200,
    )
    minted = c.json(
        c.call(
            "POST",
            WORKFLOW + "/collection-link",
            auth="secret",
            body={"expiresInSeconds": 3600},
            case_id=case_id,
        ),
        201,
    )
    token = renewed["collectionLink"]["url"].rsplit("/", 1)[-1]
    assert minted["url"] != renewed["collectionLink"]["url"]
    collect = c.json(c.call("GET", "/api/v1/collect/{token}", token=token), 200)
    assert collect["status"] == "open"
    c.json(
        c.call(
            "POST",
            "/api/v1/collect/{token}/uploads",
            body={"documentKey": collect["requested"][0]["key"]},
            token=token,
        ),
        201,
    )
    c.json(
        c.call("POST", "/api/v1/collect/{token}/messages", body={"text": "hello"}, token=token),
        201,
    )
    c.json(c.call("GET", "/api/v1/collect/{token}/messages", token=token), 200)
    c.json(
        c.call("POST", CASE + "/messages", auth=alice, body={"text": "thanks"}, case_id=case_id),
        201,
    )
    c.json(c.call("GET", CASE + "/messages", auth=alice, case_id=case_id), 200)
    resubmitted = c.json(
        c.call(
            "POST",
            WORKFLOW + "/event",
            auth="secret",
            body={"name": "resubmitted", "payload": {"note": "new photo"}},
            case_id=case_id,
        ),
        200,
    )
    assert resubmitted["state"] == "manual_review"
    # The new photo must be approved before the case meets its acceptance criteria.
    unmet = c.call(
        "POST",
        CASE + "/decision",
        auth=alice,
        body={"decision": "approve", "expectedVersion": resubmitted["version"]},
        case_id=case_id,
    )
    assert c.json(unmet, 409)["error"]["code"] == "criteria_unmet"
    approved = c.json(
        c.call(
            "POST",
            DOCUMENT_DECISION,
            auth=alice,
            body={"decision": "approve", "expectedVersion": resubmitted["version"]},
            case_id=case_id,
            document_id=document_id,
        ),
        200,
    )
    # Four-eyes: alice's approval waits for a checker, who returns it once and then confirms.
    pending = c.json(
        c.call(
            "POST",
            CASE + "/decision",
            auth=alice,
            body={"decision": "approve", "expectedVersion": approved["version"]},
            case_id=case_id,
        ),
        200,
    )
    assert pending["pendingApproval"]["maker"]["id"] == c.user_ids[alice]
    awaiting = c.json(
        c.call(
            "GET",
            "/api/v1/backoffice/cases",
            auth=admin,
            query="assignee=any&awaitingSecondApproval=true",
        ),
        200,
    )
    assert [row["id"] for row in awaiting["data"]] == [case_id]
    returned = c.json(
        c.call(
            "POST",
            CASE + "/pending-approval/return",
            auth=admin,
            body={"comment": "the address proof, please", "expectedVersion": pending["version"]},
            case_id=case_id,
        ),
        200,
    )
    again = c.json(
        c.call(
            "POST",
            CASE + "/decision",
            auth=alice,
            body={"decision": "approve", "expectedVersion": returned["version"]},
            case_id=case_id,
        ),
        200,
    )
    done = c.json(
        c.call(
            "POST",
            CASE + "/decision",
            auth=admin,
            body={"decision": "approve", "expectedVersion": again["version"]},
            case_id=case_id,
        ),
        200,
    )
    assert done["status"] == "completed"

    # The note's webhook: listed, read, delivered again; then the subscription goes.
    def delivered() -> list[dict[str, Any]]:
        page = c.json(
            c.call(
                "GET",
                WEBHOOKS + "/deliveries",
                auth=admin,
                query=f"subscriptionId={subscription_id}&limit=10",
            ),
            200,
        )
        return [d for d in page["data"] if d["status"] == "delivered"]

    (delivery,) = poll(delivered)
    c.json(
        c.call(
            "GET",
            WEBHOOKS + "/deliveries/{delivery_id}",
            auth=admin,
            delivery_id=delivery["id"],
        ),
        200,
    )
    c.json(
        c.call(
            "POST",
            WEBHOOKS + "/deliveries/{delivery_id}/redeliver",
            auth=admin,
            delivery_id=delivery["id"],
        ),
        202,
    )
    poll(delivered)
    deleted = c.call(
        "DELETE", WEBHOOKS + "/{subscription_id}", auth=admin, subscription_id=subscription_id
    )
    assert deleted.status_code == 204

    # Tenant administration: a custom role, an invited user and their first sign-in.
    bo = "/api/v1/backoffice"
    c.json(c.call("GET", f"{bo}/permissions", auth=admin), 200)
    role = {"id": "tour", "name": "Tour", "permissions": ["cases.read"]}
    c.json(c.call("POST", f"{bo}/roles", auth=admin, body=role), 201)
    change = {"name": "Tour", "permissions": ["cases.read", "notes.write"], "expectedVersion": 1}
    c.json(c.call("PUT", f"{bo}/roles/{{role_id}}", auth=admin, body=change, role_id="tour"), 200)
    c.json(c.call("GET", f"{bo}/roles", auth=admin), 200)
    invite = {"email": "tour@demo.test", "name": "Tourist", "roles": ["tour"]}
    invited = c.json(c.call("POST", f"{bo}/users", auth=admin, body=invite), 201)
    first = {
        "email": "tour@demo.test",
        "temporaryPassword": invited["temporaryPassword"],
        "newPassword": "T0ur-password!",
    }
    c.json(c.call("POST", "/api/v1/auth/new-password", body=first), 200)
    c.json(c.call("GET", f"{bo}/users", auth=admin), 200)
    roles = {"roles": ["viewer"], "active": True, "expectedVersion": invited["user"]["version"]}
    user_path = f"{bo}/users/{{user_id}}"
    c.json(c.call("PUT", user_path, auth=admin, body=roles, user_id=invited["user"]["id"]), 200)
    removed = c.call(
        "DELETE", f"{bo}/roles/{{role_id}}", auth=admin, query="expectedVersion=2", role_id="tour"
    )
    assert removed.status_code == 204
    trail = c.json(c.call("GET", f"{bo}/admin-audit", auth=admin, query="limit=2"), 200)
    assert trail["nextCursor"]

    # Team analytics and the tenant's SLA settings.
    span = "from=2026-01-01&to=2026-01-31&timezone=Europe/Berlin"
    c.json(c.call("GET", f"{bo}/analytics/summary", auth=admin, query=span), 200)
    c.json(c.call("GET", f"{bo}/analytics/daily", auth=admin, query=span), 200)
    c.json(c.call("GET", f"{bo}/analytics/reviewers", auth=admin, query=span), 200)
    export = c.call("GET", f"{bo}/analytics/export.csv", auth=admin, query=span + "&table=daily")
    assert export.status_code == 200 and export.body.startswith(b"date")
    sla = c.json(c.call("GET", f"{bo}/settings/sla", auth=admin), 200)
    sla["workflows"] = {"kyc-manual-review": {"manual_review": 3600.0}}
    sla = {k: v for k, v in sla.items() if k in ("workflows", "escalateTo")}
    c.json(c.call("PUT", f"{bo}/settings/sla", auth=admin, body=sla), 200)

    # Case layouts: the bundled one, saved as the tenant's first version.
    layout_path = f"{bo}/layouts/{{workflow_definition_id}}"
    kyb = c.json(
        c.call("GET", layout_path, auth=alice, workflow_definition_id="kyb-manual-review"), 200
    )
    body = {"layout": kyb["layout"], "expectedVersion": kyb["version"]}
    c.json(
        c.call(
            "PUT", layout_path, auth=admin, body=body, workflow_definition_id="kyb-manual-review"
        ),
        200,
    )

    # A workflow definition of the tenant's own, published as its version 1.
    own = {
        "id": "tour-onboarding",
        "version": 1,
        "name": "Tour onboarding",
        "initialState": "review",
        "states": {"review": {"on": {"approve": "done"}}, "done": {"type": "final"}},
        "events": {"approve": {"source": "reviewer", "decision": "approve"}},
        "sla": {"review": {"hours": 8}},
    }
    definitions = f"{bo}/workflow-definitions"
    c.json(c.call("POST", definitions, auth=admin, body={"definition": own}), 201)
    listed = c.json(c.call("GET", definitions, auth=alice), 200)["data"]
    assert {"tour-onboarding", "kyc-manual-review"} <= {d["id"] for d in listed}
    one = definitions + "/{workflow_definition_id}"
    kept = c.json(c.call("GET", one, auth=admin, workflow_definition_id="tour-onboarding"), 200)
    assert kept["definition"] == own

    # Its version 2 asks an asynchronous vendor, which answers through its signed callback.
    boto3.client("secretsmanager").create_secret(
        Name=f"{get_settings().resource_prefix}/vendors/demo",
        SecretString=json.dumps({"callbackSecret": "tour-callback-secret"}),
    )
    with async_vendor() as vendor_url:
        plugin = {
            "name": "tour_vendor",
            "provider": "http",
            "request": {"url": f"{vendor_url}/checks"},
            "callback": {"secret": "callbackSecret"},
            "retries": 0,
        }
        second = {**own, "version": 2, "plugins": [plugin]}
        c.json(c.call("POST", definitions, auth=admin, body={"definition": second}), 201)
        run = individual_run("contract-async")
        run["workflowId"] = "tour-onboarding"
        async_case = c.json(c.call("POST", RUN, auth="secret", body=run), 201)
        poll(lambda: AsyncVendor.requests, timeout=60)
        answer = json.dumps({"risk": "low"}).encode()
        c.json(
            c.call(
                "POST",
                WORKFLOW + "/hook/{event}",
                body=answer,
                headers=signed_callback_headers("tour-callback-secret", answer),
                case_id=async_case["workflowRuntimeId"],
                event="tour_vendor",
            ),
            200,
        )

    # Saved inbox views.
    view = {"name": "Tour", "shared": True, "filters": {"status": "all", "sort": "updatedAt"}}
    saved = c.json(c.call("POST", f"{bo}/views", auth=admin, body=view), 201)
    changed = {**view, "defaultForRoles": ["reviewer"], "expectedVersion": saved["version"]}
    c.json(
        c.call("PUT", f"{bo}/views/{{view_id}}", auth=admin, body=changed, view_id=saved["id"]), 200
    )
    assert c.json(c.call("GET", f"{bo}/views", auth=alice), 200)["defaultViewId"] == saved["id"]
    c.call(
        "DELETE",
        f"{bo}/views/{{view_id}}",
        auth=admin,
        query="expectedVersion=2",
        view_id=saved["id"],
    )

    # The completed case, seen from both sides, still matches the document.
    c.json(c.call("GET", CASE, auth=alice, case_id=case_id), 200)
    c.json(c.call("GET", CASE + "/audit", auth=alice, case_id=case_id), 200)
    c.json(c.call("GET", WORKFLOW, auth="secret", case_id=case_id), 200)

    # The customer answers a round on a second case (a request with only a message here).
    second = ingest(c, "contract-collect")["workflowRuntimeId"]
    second_view = c.json(c.call("GET", CASE, auth=admin, case_id=second), 200)
    asked = c.json(
        c.call(
            "POST",
            CASE + "/decision",
            auth=admin,
            body={
                "decision": "revision",
                "reason": "other",
                "comment": "call us",
                "expectedVersion": second_view["version"],
            },
            case_id=second,
        ),
        200,
    )
    second_token = asked["collectionLink"]["url"].rsplit("/", 1)[-1]
    answered = c.json(
        c.call(
            "POST", "/api/v1/collect/{token}/submit", body={"documents": {}}, token=second_token
        ),
        200,
    )
    assert answered["status"] == "received"

    # Vendor checks: a name on the bundled sanctions list is a hit; the admin dismisses it and
    # runs the screening again.
    listed = individual_run("contract-listed")
    listed["context"]["entity"]["data"] = {"firstName": "Vladimir", "lastName": "Putin"}
    hit_case = c.json(c.call("POST", RUN, auth="secret", body=listed), 201)["workflowRuntimeId"]
    settle_ingest("demo", hit_case)
    hit_view = c.json(c.call("GET", CASE, auth=admin, case_id=hit_case), 200)
    (screening,) = [r for r in hit_view["pluginResults"] if r["plugin"] == "sanctions"]
    hit = screening["hits"][0]
    c.json(
        c.call(
            "POST",
            CASE + "/plugins/{plugin}/hits/{hit_id}/resolution",
            auth=admin,
            body={
                "status": "dismissed",
                "reason": "a different person: date of birth differs",
                "expectedVersion": hit_view["version"],
            },
            case_id=hit_case,
            plugin="sanctions",
            hit_id=hit["id"],
        ),
        200,
    )
    c.json(
        c.call(
            "POST", CASE + "/plugins/{plugin}/run", auth=admin, case_id=hit_case, plugin="sanctions"
        ),
        202,
    )

    reached = {(method, path) for method, path, status in c.seen if 200 <= status < 300}
    missing = sorted({(m, p) for p in app.routes for m in app.routes[p]} - reached)
    assert not missing, f"the tour does not reach these routes yet: {missing}"


class TestErrorAnswersMatchTheDocument:
    """A few error paths per family of routes: each is a documented status with the error
    shape (the schema validation in `Contract.call` is the assertion that matters)."""

    def test_bad_requests(self, contract: Contract) -> None:
        c = contract
        c.login("alice@demo.test")
        error = c.json(c.call("POST", RUN, auth="secret", body={"workflowId": "x"}), 400)["error"]
        assert error["code"] == "validation_error" and error["details"]
        c.json(c.call("GET", "/api/v1/external/workflows", auth="secret", query="limit=0"), 400)
        c.json(c.call("POST", RUN, auth="secret", body=b"{not json"), 400)
        c.json(
            c.call("POST", RUN, auth="secret", body={}, headers={"Idempotency-Key": "x" * 300}),
            400,
        )
        c.json(c.call("POST", "/api/v1/auth/login", body={"email": "nope"}), 400)
        c.json(
            c.call("GET", "/api/v1/backoffice/cases", auth="alice@demo.test", query="sort=x"), 400
        )
        case_id = ingest(c, "contract-400")["workflowRuntimeId"]
        c.json(
            c.call(
                "POST",
                WORKFLOW + "/event",
                auth="secret",
                body={"name": "no-such-event"},
                case_id=case_id,
            ),
            400,
        )
        c.json(
            c.call(
                "POST",
                CASE + "/notes",
                auth="alice@demo.test",
                body={"text": ""},
                case_id=case_id,
            ),
            400,
        )

    def test_runs_the_app_cannot_take(self, contract: Contract) -> None:
        c = contract
        unknown = individual_run("contract-404", workflowId="no-such-workflow")
        assert c.json(c.call("POST", RUN, auth="secret", body=unknown), 404)["error"]["code"] == (
            "not_found"
        )
        wrong_type = individual_run("contract-422", workflowId="kyb-manual-review")
        c.json(c.call("POST", RUN, auth="secret", body=wrong_type), 422)
        key = {"Idempotency-Key": "contract-key"}
        c.json(c.call("POST", RUN, auth="secret", body=individual_run("k-a"), headers=key), 201)
        c.json(c.call("POST", RUN, auth="secret", body=individual_run("k-b"), headers=key), 422)

    def test_too_large(self, contract: Contract) -> None:
        body = b" " * (MAX_REQUEST_BYTES + 1)
        error = contract.json(contract.call("POST", RUN, auth="secret", body=body), 413)["error"]
        assert error["code"] == "payload_too_large"

    def test_unauthenticated(self, contract: Contract) -> None:
        c = contract
        session = c.login("alice@demo.test")
        claims = jwt.decode(session["idToken"], options={"verify_signature": False})
        expired = forged_token({**claims, "exp": int(time.time()) - 60})
        c.json(c.call("GET", "/api/v1/external/workflows"), 401)
        c.json(c.call("GET", "/api/v1/external/workflows", auth="wrong-key"), 401)
        c.json(c.call("GET", "/api/v1/external/workflows", auth=session["idToken"]), 401)
        c.json(c.call("GET", "/api/v1/backoffice/cases", auth=forged_token(claims)), 401)
        c.json(c.call("GET", "/api/v1/backoffice/cases", auth=expired), 401)
        c.json(c.call("GET", "/api/v1/backoffice/assignees", auth="secret"), 401)
        c.json(c.call("GET", "/api/v1/auth/me", auth=session["accessToken"]), 401)
        wrong = {"email": "alice@demo.test", "password": "not-the-password"}
        c.json(c.call("POST", "/api/v1/auth/login", body=wrong), 401)
        c.json(c.call("POST", "/api/v1/auth/refresh", body={"refreshToken": "garbage"}), 401)

    def test_forbidden_not_found_and_conflicts(self, contract: Contract) -> None:
        c = contract
        for email in ("alice@demo.test", "bob@demo.test", "viewer@demo.test", "admin@acme.test"):
            c.login(email)
        case_id = ingest(c, "contract-4xx")["workflowRuntimeId"]
        view = c.json(c.call("GET", CASE, auth="alice@demo.test", case_id=case_id), 200)
        version = view["version"]
        alice_id = c.user_ids["alice@demo.test"]
        claim = {"assigneeId": alice_id, "expectedVersion": version}

        # 403: a viewer writes; a reviewer decides a case that is not theirs.
        c.json(
            c.call("PUT", CASE + "/assignee", auth="viewer@demo.test", body=claim, case_id=case_id),
            403,
        )
        c.json(
            c.call(
                "POST",
                CASE + "/notes",
                auth="viewer@demo.test",
                body={"text": "x"},
                case_id=case_id,
            ),
            403,
        )
        approve = {"decision": "approve", "expectedVersion": version}
        c.json(
            c.call("POST", CASE + "/decision", auth="bob@demo.test", body=approve, case_id=case_id),
            403,
        )

        # 404: unknown ids, another tenant's ids, an unknown document.
        for template in (CASE, CASE + "/notes", CASE + "/audit"):
            c.json(c.call("GET", template, auth="alice@demo.test", case_id="case_nope"), 404)
            c.json(c.call("GET", template, auth="admin@acme.test", case_id=case_id), 404)
        c.json(c.call("GET", WORKFLOW, auth="acme-secret", case_id=case_id), 404)
        c.json(c.call("GET", WORKFLOW + "/context", auth="secret", case_id="case_nope"), 404)

        # 409: a stale version, a decision the state does not allow, an event not allowed now.
        c.json(
            c.call("PUT", CASE + "/assignee", auth="alice@demo.test", body=claim, case_id=case_id),
            200,
        )
        stale = c.call(
            "PUT", CASE + "/assignee", auth="alice@demo.test", body=claim, case_id=case_id
        )
        assert c.json(stale, 409)["error"]["code"] == "version_conflict"
        c.json(
            c.call(
                "POST",
                DOCUMENT_DECISION,
                auth="alice@demo.test",
                body={"decision": "approve", "expectedVersion": version + 1},
                case_id=case_id,
                document_id="doc_nope",
            ),
            404,
        )
        event = c.call(
            "POST",
            WORKFLOW + "/event",
            auth="secret",
            body={"name": "resubmitted"},
            case_id=case_id,
        )
        assert c.json(event, 409)["error"]["code"] == "invalid_transition"
        reject = {"decision": "reject", "reason": "expired", "expectedVersion": version + 1}
        c.json(
            c.call(
                "POST", CASE + "/decision", auth="alice@demo.test", body=reject, case_id=case_id
            ),
            200,
        )
        # Whatever the notes rule on a completed case is (today: still allowed), the answer is
        # a documented one; `Contract.call` checks that.
        c.call(
            "POST", CASE + "/notes", auth="alice@demo.test", body={"text": "after"}, case_id=case_id
        )
        again = c.call(
            "POST", CASE + "/decision", auth="alice@demo.test", body=reject, case_id=case_id
        )
        assert c.json(again, 409)["error"]["code"] == "case_completed"
