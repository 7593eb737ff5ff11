"""The back-and-forth with the customer over HTTP (chalice.test) against moto in-process, with
the local pump running the outbox, the workflow sync and webhook delivery: one request per
round, collection links (expiry, revocation, reminders), the customer's answer with its limits,
messages kept apart from notes, and where the raw token may (and may not) appear."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from chalicelib.collection import links as links_module
from chalicelib.collection.service import run_due_timers
from chalicelib.collection.store import RoundTimer
from chalicelib.dependencies import case_store, collection, webhook_store
from chalicelib.handlers.auth_kinds import CUSTOMER
from chalicelib.webhooks.store import DeliveryFilter
from tests.conftest import poll
from tests.integration.conftest import Api, observe_domain_events
from tests.integration.test_auth_api import login
from tests.integration.test_decisions_api import ingest, states_entered, wait_for_token
from tests.integration.test_webhooks_api import Receiver

BACKOFFICE = "/api/v1/backoffice"
COLLECT = "/api/v1/collect"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
WEBHOOKS = f"{BACKOFFICE}/webhooks"


@pytest.fixture
def admin(api: Api) -> Api:
    return api.as_tenant(login(api, "admin@demo.test")["idToken"])


@pytest.fixture
def customer(api: Api) -> Api:
    return api.as_tenant(None)


def sent_emails() -> list[dict[str, Any]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    messages = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    return [
        {"to": m.destinations["ToAddresses"], "subject": m.subject, "body": m.body}
        for m in messages
    ]


def token_of(url: str) -> str:
    assert "/collect/" in url
    return url.rsplit("/", 1)[-1]


def mark_and_send(admin: Api, case_id: str) -> dict[str, Any]:
    """Mark both documents for re-upload, then send one request (also asking for a new type)."""
    case = case_store().get_case("demo", case_id)
    version = case.version
    for doc, reason in zip(case.documents, ("expired", "blurry_or_unreadable"), strict=True):
        marked = admin.post(
            f"{BACKOFFICE}/cases/{case_id}/documents/{doc.id}/decision",
            {
                "decision": "revision",
                "reason": reason,
                "comment": f"please send a new {doc.type}",
                "expectedVersion": version,
            },
        )
        assert marked.status_code == 200, marked.body
        assert marked.json_body["state"] == "manual_review"
        version = marked.json_body["version"]
    sent = admin.post(
        f"{BACKOFFICE}/cases/{case_id}/decision",
        {
            "decision": "revision",
            "reason": "missing_pages",
            "comment": "Two documents and a utility bill, please.",
            "expectedVersion": version,
            "requestDocuments": [
                {
                    "type": "utility_bill",
                    "category": "proof_of_address",
                    "message": "not older than 3 months",
                }
            ],
        },
    )
    assert sent.status_code == 200, sent.body
    return sent.json_body


def upload(customer: Api, token: str, key: str, content: bytes) -> str:
    ticket = customer.post(f"{COLLECT}/{token}/uploads", {"documentKey": key})
    assert ticket.status_code == 201, ticket.body
    body = ticket.json_body
    posted = requests.post(
        body["url"], data=body["fields"], files={"file": ("page.png", content, "image/png")}
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return str(body["uploadId"])


def test_one_round_customer_answers_and_the_case_is_back_in_review(
    api: Api, admin: Api, customer: Api, pipeline: Any, seed_request: dict[str, Any]
) -> None:
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")
    before = case_store().get_case("demo", case_id)
    note = admin.post(f"{BACKOFFICE}/cases/{case_id}/notes", {"text": "INTERNAL-NOTE-XYZ"})
    assert note.status_code == 201, note.body

    sent = mark_and_send(admin, case_id)
    assert sent["state"] == "revision"
    link = sent["collectionLink"]
    token = token_of(link["url"])
    assert sent["collectionRounds"][0]["number"] == 1
    # The customer's email carries the same link, in English (the default language).
    (email,) = sent_emails()
    assert email["to"] == ["Macie18@yahoo.com"] and link["url"] in email["body"]
    assert "blurry" in email["body"] and "Utility bill" in email["body"]

    page = customer.get(f"{COLLECT}/{token}")
    assert page.status_code == 200, page.body
    view = page.json_body
    assert view["entityName"] == "McClure Inc" and view["status"] == "open"
    assert [r["type"] for r in view["requested"]] == [
        "drivers_license",
        "certificate_of_incorporation",
        "utility_bill",
    ]
    assert view["requested"][1]["reasonText"] == "the copy we have is blurry or cannot be read"
    assert "INTERNAL-NOTE-XYZ" not in page.body.decode()

    # Messages both ways, apart from the notes.
    wrote = admin.post(f"{BACKOFFICE}/cases/{case_id}/messages", {"text": "Any question?"})
    assert wrote.status_code == 201, wrote.body
    answered = customer.post(f"{COLLECT}/{token}/messages", {"text": "Sending them now."})
    assert answered.status_code == 201, answered.body
    thread = customer.get(f"{COLLECT}/{token}/messages")
    assert [m["text"] for m in thread.json_body["data"]] == ["Any question?", "Sending them now."]
    assert "INTERNAL-NOTE-XYZ" not in thread.body.decode()
    assert [
        m["authorType"]
        for m in admin.get(f"{BACKOFFICE}/cases/{case_id}/messages").json_body["data"]
    ] == ["reviewer", "customer"]
    assert "Any question?" in sent_emails()[-1]["body"]

    answer = {
        item["key"]: [upload(customer, token, item["key"], PNG)] for item in view["requested"]
    }
    submitted = customer.post(f"{COLLECT}/{token}/submit", {"documents": answer})
    assert submitted.status_code == 200, submitted.body
    assert submitted.json_body["status"] == "received"

    case = case_store().get_case("demo", case_id)
    assert case.state == "manual_review" and "resubmitted" in case.flags
    assert len(case.documents) == 3
    for old, new in zip(before.documents, case.documents, strict=False):
        assert new.status == "pending"
        assert [p.id for p in new.page_history[0].document_pages] == [p.id for p in old.pages]
        assert case.page_storage[new.pages[0].id].content_type == "image/png"
    (round_,) = case.collection_rounds
    assert round_.completed_by == "customer"
    audit = case_store().list_audit("demo", case_id)
    submitted_record = next(a for a in audit if a.action == "collection.submitted")
    assert submitted_record.actor.type == "customer"
    back = [a for a in audit if a.action == "case.state_changed"][-1]
    assert back.details["event"] == "resubmitted" and back.details["collectionRound"] == 1
    assert back.actor.type == "customer"
    actions = [a.action for a in audit]
    assert actions.count("case.message_added") == 2

    # Answered: the page says so, and takes nothing more.
    assert customer.get(f"{COLLECT}/{token}").json_body["status"] == "received"
    again = customer.post(f"{COLLECT}/{token}/submit", {"documents": answer})
    assert again.status_code == 409
    late = customer.post(f"{COLLECT}/{token}/uploads", {"documentKey": view["requested"][0]["key"]})
    assert late.status_code == 409
    # The reviewer's inbox shows it as resubmitted.
    inbox = admin.get(f"{BACKOFFICE}/cases?assignee=any&flag=resubmitted").json_body["data"]
    assert [row["id"] for row in inbox] == [case_id]
    poll(
        lambda: (
            states_entered(case_id)[-1:] == ["manual_review"] and len(states_entered(case_id)) == 3
        ),
    )
    assert states_entered(case_id) == ["manual_review", "revision", "manual_review"]


def test_status_codes_renewal_and_the_integrator_link(
    api: Api, admin: Api, customer: Api, seed_request: dict[str, Any]
) -> None:
    case_id = ingest(api, seed_request)
    # No open round yet: the integrator gets 409.
    early = api.post(f"/api/v1/external/workflows/{case_id}/collection-link", {})
    assert early.status_code == 409
    sent = mark_and_send(admin, case_id)
    token = token_of(sent["collectionLink"]["url"])

    forged = customer.get(f"{COLLECT}/not-a-real-token-at-all")
    assert forged.status_code == 401
    assert forged.json_body["error"]["code"] == "unauthenticated"

    minted = api.post(
        f"/api/v1/external/workflows/{case_id}/collection-link", {"expiresInSeconds": 3600}
    )
    assert minted.status_code == 201, minted.body
    integrator_token = token_of(minted.json_body["url"])
    assert customer.get(f"{COLLECT}/{integrator_token}").status_code == 200
    other_tenant = api.as_tenant("acme-secret").post(
        f"/api/v1/external/workflows/{case_id}/collection-link", {}
    )
    assert other_tenant.status_code == 404
    assert (
        api.as_tenant(None)
        .post(f"/api/v1/external/workflows/{case_id}/collection-link", {})
        .status_code
        == 401
    )
    too_long = api.post(
        f"/api/v1/external/workflows/{case_id}/collection-link", {"expiresInSeconds": 10**9}
    )
    assert too_long.status_code == 400

    # "New link" revokes every older link, the integrator's too.
    version = case_store().get_case("demo", case_id).version
    renewed = admin.post(
        f"{BACKOFFICE}/cases/{case_id}/collection-link", {"expectedVersion": version}
    )
    assert renewed.status_code == 200, renewed.body
    fresh = token_of(renewed.json_body["collectionLink"]["url"])
    assert customer.get(f"{COLLECT}/{token}").status_code == 401
    assert customer.get(f"{COLLECT}/{integrator_token}").status_code == 401
    assert customer.get(f"{COLLECT}/{fresh}").status_code == 200
    stale = admin.post(
        f"{BACKOFFICE}/cases/{case_id}/collection-link", {"expectedVersion": version}
    )
    assert stale.status_code == 409
    viewer = api.as_tenant(login(api, "viewer@demo.test")["idToken"])
    assert viewer.post(f"{BACKOFFICE}/cases/{case_id}/messages", {"text": "hi"}).status_code == 403
    assert viewer.get(f"{BACKOFFICE}/cases/{case_id}/messages").status_code == 200
    acme = api.as_tenant(login(api, "admin@acme.test")["idToken"])
    assert acme.get(f"{BACKOFFICE}/cases/{case_id}/messages").status_code == 404
    assert customer.post(f"{COLLECT}/{fresh}/messages", {"text": "  "}).status_code == 400
    assert (
        customer.post(f"{COLLECT}/{fresh}/uploads", {"documentKey": "not-requested"}).status_code
        == 400
    )


def test_size_and_type_are_checked_at_submit(
    api: Api, admin: Api, customer: Api, seed_request: dict[str, Any]
) -> None:
    case_id = ingest(api, seed_request)
    sent = mark_and_send(admin, case_id)
    token = token_of(sent["collectionLink"]["url"])
    keys = [r["key"] for r in customer.get(f"{COLLECT}/{token}").json_body["requested"]]

    def answer(first: bytes) -> Any:
        documents = {key: [upload(customer, token, key, PNG)] for key in keys}
        documents[keys[0]] = [upload(customer, token, keys[0], first)]
        return customer.post(f"{COLLECT}/{token}/submit", {"documents": documents})

    text = answer(b"just some text, not an image")
    assert text.status_code == 422, text.body
    assert text.json_body["error"]["details"][0]["path"] == f"documents.{keys[0]}"
    huge = answer(PNG + b"\x00" * (10 * 1024 * 1024))
    assert huge.status_code == 413, huge.body
    missing = customer.post(f"{COLLECT}/{token}/submit", {"documents": {keys[0]: ["upl_nothing1"]}})
    assert missing.status_code == 400
    case = case_store().get_case("demo", case_id)
    assert case.state == "revision" and case.open_round is not None


def test_reminder_then_expiry_flags_the_case_and_the_link_stops(
    api: Api,
    admin: Api,
    customer: Api,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = ingest(api, seed_request)
    sent = mark_and_send(admin, case_id)
    token = token_of(sent["collectionLink"]["url"])
    expires = datetime.fromisoformat(sent["collectionLink"]["expiresAt"].replace("Z", "+00:00"))
    emails_before = len(sent_emails())

    def at(moment: datetime) -> str:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    assert run_due_timers(collection(), now=at(expires - timedelta(days=2))) == {
        "reminder": 0,
        "expiry": 0,
        "stale": 0,
    }
    reminded = run_due_timers(collection(), now=at(expires - timedelta(hours=12)))
    assert reminded["reminder"] == 1
    reminder = sent_emails()[-1]
    assert len(sent_emails()) == emails_before + 1 and "Reminder" in reminder["subject"]
    assert "/collect/" in reminder["body"]
    expired = run_due_timers(collection(), now=at(expires + timedelta(seconds=1)))
    assert expired["expiry"] == 1
    case = case_store().get_case("demo", case_id)
    assert case.state == "revision" and "collection_link_expired" in case.flags
    inbox = admin.get(f"{BACKOFFICE}/cases?assignee=any&flag=collection_link_expired")
    assert [row["id"] for row in inbox.json_body["data"]] == [case_id]

    monkeypatch.setattr(CUSTOMER, "clock", lambda: expires + timedelta(seconds=1))
    monkeypatch.setattr(links_module, "_iso_now", lambda: at(expires + timedelta(seconds=1)))
    gone = customer.get(f"{COLLECT}/{token}")
    assert gone.status_code == 401 and gone.json_body["error"]["code"] == "unauthenticated"


def test_the_raw_token_appears_only_where_it_is_handed_out(
    api: Api,
    admin: Api,
    pipeline: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    default = Receiver(["whsec_" + "A" * 32]).start()
    monkeypatch.setenv("WEBHOOK_URL", default.url)
    monkeypatch.setenv("WEBHOOK_SECRET", "whsec_" + "A" * 32)
    events_queue = observe_domain_events("collection-token-watch")
    tenant_receiver = Receiver([]).start()
    try:
        created = admin.post(
            WEBHOOKS, {"url": tenant_receiver.url, "events": ["workflow.state.changed"]}
        )
        assert created.status_code == 201, created.body
        tenant_receiver.secrets.append(created.json_body["secret"])
        case_id = ingest(api, seed_request)
        sent = mark_and_send(admin, case_id)
        token = token_of(sent["collectionLink"]["url"])

        revision = poll(
            lambda: [
                r
                for r in tenant_receiver.of("workflow.state.changed", case_id)
                if r.data.get("newState") == "revision"
            ],
        )[0]
        # The tenant's own subscription gets a link of its own, which works.
        hooked = revision.data["collectionLink"]["url"]
        assert revision.data["collectionRound"] == 1
        assert api.as_tenant(None).get(f"{COLLECT}/{token_of(hooked)}").status_code == 200
        # The operator's default subscription gets the revision, without any link.
        default_revision = poll(
            lambda: [
                r
                for r in default.of("workflow.state.changed", case_id)
                if r.data.get("newState") == "revision"
            ],
        )[0]
        assert "collectionLink" not in default_revision.data
        page = webhook_store().list_deliveries(
            "demo", DeliveryFilter(subscription_id="default"), limit=100, start_key=None
        )
        for delivery in page.deliveries:
            if delivery.subscription_kind == "default":
                assert "/collect/" not in delivery.payload

        audit = json.dumps(
            [a.model_dump() for a in case_store().list_audit("demo", case_id)], default=str
        )
        sqs = boto3.client("sqs")
        bus: list[str] = []
        for _ in range(5):
            got = sqs.receive_message(QueueUrl=events_queue, MaxNumberOfMessages=10)
            bus += [m["Body"] for m in got.get("Messages", [])]
        assert any("collectionRound" in body for body in bus)
        logs = capsys.readouterr()
        for where, text in (
            ("audit", audit),
            ("events", "\n".join(bus)),
            ("stdout", logs.out),
            ("stderr", logs.err),
            ("logging", caplog.text),
        ):
            for secret in (token, token_of(hooked)):
                assert secret not in text, where
            assert "/collect/" not in text, where
    finally:
        default.stop()
        tenant_receiver.stop()


def test_the_local_pump_runs_the_collection_timers(
    api: Api,
    admin: Api,
    local_aws: Any,
    seed_request: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app import app
    from infra.resources import ScheduledFunction
    from local import pump as pump_module
    from local.environment import REGION

    case_id = ingest(api, seed_request)
    mark_and_send(admin, case_id)
    case = case_store().get_case("demo", case_id)
    (round_,) = case.collection_rounds
    # A reminder due now, as if the round were about to expire.
    collection().links.put_timers(
        [
            RoundTimer(
                due_at="2000-01-01T00:00:00.000Z",
                tenant_id="demo",
                case_id=case_id,
                round_number=round_.number,
                generation=round_.link_generation,
                kind="reminder",
            )
        ]
    )
    emails = len(sent_emails())
    fast = ScheduledFunction("collection_timers", "rate(5 minutes)", local_seconds=0.2)
    monkeypatch.setattr(pump_module, "SCHEDULED_FUNCTIONS", (fast,))
    # Only the clock: the consumers would replay the case's events (an execution that in-process
    # moto interprets, webhooks), and on a loaded machine they kept the timer from its turn.
    monkeypatch.setattr(pump_module, "QUEUE_CONSUMERS", ())
    monkeypatch.setattr(pump_module, "STREAM_CONSUMERS", {})
    pump = pump_module.Pump(app, local_aws.refs, local_aws.attrs, REGION)
    pump.start()
    try:
        poll(lambda: len(sent_emails()) == emails + 1)
    finally:
        pump.stop()
    assert "Reminder" in sent_emails()[-1]["subject"]
