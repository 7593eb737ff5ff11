"""Decisions over HTTP (chalice.test) against moto in-process, with the local pump running the
queue and stream consumers, so Step Functions really follows every transition."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, Case
from local.child_stack import states_entered as chart_states_entered
from tests.conftest import poll
from tests.integration.conftest import Api, ingest
from tests.integration.test_auth_api import login

RUN = "/api/v1/external/workflows/run"
BACKOFFICE = "/api/v1/backoffice"


def execution_arn(case_id: str, definition: str = "risk-score-improvement-dev-v1") -> str:
    arn = get_settings().state_machine_arn(definition)
    return arn.replace(":stateMachine:", ":execution:") + f":{case_id}"


def states_entered(case_id: str) -> list[str]:
    history = boto3.client("stepfunctions").get_execution_history(
        executionArn=execution_arn(case_id), maxResults=1000
    )["events"]
    return chart_states_entered(history)


def wait_for_token(case_id: str, state: str) -> Any:
    return poll(
        lambda: (
            (c := case_store().get_case("demo", case_id))
            and c.task_token_state == state
            and c.task_token
            and c
        )
    )


def settled_transition(case_id: str) -> Case:
    """The case once its transition's bookkeeping is done: the execution enters the next state
    when the token is answered, and the consumer clears the in-flight marker just after."""
    found: Case = poll(
        lambda: (case := case_store().get_case("demo", case_id)).execution_inflight is None and case
    )
    return found


def decide(
    api: Api, token: str, case_id: str, body: dict[str, Any], document_id: str | None = None
) -> Any:
    path = f"{BACKOFFICE}/cases/{case_id}"
    path += f"/documents/{document_id}/decision" if document_id else "/decision"
    return api.as_tenant(token).post(path, body)


def confirm_second_approval(api: Api, case_id: str, checker: str = "carol@demo.test") -> Any:
    """Four-eyes: a checker (by default carol, a senior reviewer) confirms the pending approval
    by sending the pending decision again."""
    token = login(api, checker)["idToken"]
    view = api.as_tenant(token).get(f"{BACKOFFICE}/cases/{case_id}").json_body
    pending = view["pendingApproval"]
    assert pending is not None, view
    body = {"decision": pending["decision"], "expectedVersion": view["version"]}
    if pending.get("reason"):
        body["reason"] = pending["reason"]
    return decide(api, token, case_id, body)


@pytest.fixture
def admin(api: Api) -> str:
    return login(api, "admin@demo.test")["idToken"]


def test_reupload_loop_end_to_end(
    api: Api, pipeline: Any, admin: str, seed_request: dict[str, Any]
) -> None:
    case_id = ingest(api, seed_request)
    wait_for_token(case_id, "manual_review")
    case = case_store().get_case("demo", case_id)
    license_id, certificate_id = (d.id for d in case.documents)

    first = decide(
        api, admin, case_id, {"decision": "approve", "expectedVersion": case.version}, license_id
    )
    assert first.status_code == 200, first.body
    body = first.json_body
    second = decide(
        api,
        admin,
        case_id,
        {
            "decision": "revision",
            "reason": "blurry_or_unreadable",
            "comment": "the stamp cannot be read",
            "expectedVersion": body["version"],
        },
        certificate_id,
    )
    assert second.status_code == 200, second.body
    body = second.json_body
    # The mark alone moves nothing: the reviewer sends the whole request as one round.
    assert (body["state"], body["status"]) == ("manual_review", "active")
    assert body["documents"][1]["decision"]["status"] == "revision"
    assert body["documents"][1]["decision"]["reason"] == "blurry_or_unreadable"
    assert body["caseDecisions"]["approve"]["allowed"] is False
    sent = decide(
        api,
        admin,
        case_id,
        {
            "decision": "revision",
            "reason": "blurry_or_unreadable",
            "expectedVersion": body["version"],
            "requestDocuments": [{"type": "utility_bill", "category": "proof_of_address"}],
        },
    )
    assert sent.status_code == 200, sent.body
    assert (sent.json_body["state"], sent.json_body["status"]) == ("revision", "active")

    # The integrator re-runs the same workflow for the same entity with a new certificate.
    rerun = copy.deepcopy(seed_request)
    rerun["context"]["documents"] = [rerun["context"]["documents"][1]]
    rerun["context"]["documents"][0]["pages"][0]["uri"] = "https://example.com/new-cert.png"
    again = api.post(RUN, rerun)
    assert again.status_code == 201 and again.json_body["workflowRuntimeId"] == case_id
    case = case_store().get_case("demo", case_id)
    assert case.state == "manual_review"
    documents = case.facts.ballerine_context()["documents"]
    certificate = documents[1]
    assert certificate["decision"]["status"] == "pending"
    assert certificate["pages"][0]["uri"] == "https://example.com/new-cert.png"
    assert certificate["pageHistory"][0]["pages"][0]["uri"] != "https://example.com/new-cert.png"
    assert documents[0]["decision"]["status"] == "approved"

    wait_for_token(case_id, "manual_review")
    case = case_store().get_case("demo", case_id)
    third = decide(
        api,
        admin,
        case_id,
        {"decision": "approve", "expectedVersion": case.version},
        certificate_id,
    )
    assert third.status_code == 200, third.body
    final = decide(
        api, admin, case_id, {"decision": "approve", "expectedVersion": third.json_body["version"]}
    )
    assert final.status_code == 200, final.body
    assert (final.json_body["state"], final.json_body["status"]) == ("approved", "completed")

    poll(lambda: states_entered(case_id)[-1:] == ["approved"])
    assert states_entered(case_id) == ["manual_review", "revision", "manual_review", "approved"]
    status = boto3.client("stepfunctions").describe_execution(executionArn=execution_arn(case_id))
    assert status["status"] == "SUCCEEDED"
    audit = [a.action for a in case_store().list_audit("demo", case_id)]
    assert audit.count("case.state_changed") == 3
    assert audit.count("case.completed") == 1
    (round_,) = case_store().get_case("demo", case_id).collection_rounds
    assert (round_.number, round_.completed_by) == (1, "integrator")
    assert [r.type for r in round_.requested][-1] == "utility_bill"
    assert audit.count("document.decision_changed") == 4  # approve, revision, reset, approve


def test_errors_follow_the_contract(api: Api, admin: str, seed_request: dict[str, Any]) -> None:
    case_id = ingest(api, seed_request)
    case = case_store().get_case("demo", case_id)

    missing_reason = decide(api, admin, case_id, {"decision": "reject", "expectedVersion": 1})
    assert missing_reason.status_code == 400
    assert missing_reason.json_body["error"]["code"] == "validation_error"
    assert [d["path"] for d in missing_reason.json_body["error"]["details"]] == ["reason"]
    other = decide(
        api, admin, case_id, {"decision": "reject", "reason": "other", "expectedVersion": 1}
    )
    assert [d["path"] for d in other.json_body["error"]["details"]] == ["comment"]
    unknown = decide(
        api, admin, case_id, {"decision": "reject", "reason": "ugly", "expectedVersion": 1}
    )
    assert unknown.status_code == 400
    assert unknown.json_body["error"]["details"][0]["path"] == "reason"
    bad_decision = decide(api, admin, case_id, {"decision": "maybe", "expectedVersion": 1})
    assert bad_decision.status_code == 400

    stale = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 99})
    assert (stale.status_code, stale.json_body["error"]["code"]) == (409, "version_conflict")

    alice = login(api, "alice@demo.test")["idToken"]
    forbidden = decide(api, alice, case_id, {"decision": "approve", "expectedVersion": 1})
    assert (forbidden.status_code, forbidden.json_body["error"]["code"]) == (403, "forbidden")
    viewer = login(api, "viewer@demo.test")["idToken"]
    assert (
        decide(api, viewer, case_id, {"decision": "approve", "expectedVersion": 1}).status_code
        == 403
    )
    acme = login(api, "admin@acme.test")["idToken"]
    assert (
        decide(api, acme, case_id, {"decision": "approve", "expectedVersion": 1}).status_code == 404
    )
    no_doc = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 1}, "doc_x")
    assert no_doc.status_code == 404
    assert (
        api.as_tenant(None)
        .post(
            f"{BACKOFFICE}/cases/{case_id}/decision", {"decision": "approve", "expectedVersion": 1}
        )
        .status_code
        == 401
    )

    # Assigned (here straight through the store, as the assignment route does), Alice decides.
    assigned = case.model_copy(update={"assignee_id": login(api, "alice@demo.test")["user"]["id"]})
    case_store().update_case(
        assigned,
        expected_version=1,
        audit=AuditRecord(
            event_id=new_id("evt"),
            tenant_id="demo",
            case_id=case_id,
            action="case.assigned",
            at=utc_now(),
            actor=Actor(type="system", id="test"),
        ),
    )
    revision = decide(
        api,
        alice,
        case_id,
        {"decision": "revision", "reason": "missing_pages", "expectedVersion": 2},
    )
    assert revision.status_code == 200, revision.body
    not_now = decide(api, alice, case_id, {"decision": "approve", "expectedVersion": 3})
    assert not_now.status_code == 409
    assert not_now.json_body["error"]["code"] == "invalid_transition"
    assert not_now.json_body["error"]["details"]["allowedEvents"] == []

    event = f"/api/v1/external/workflows/{case_id}/event"
    assert api.post(event, {"name": "approve"}).status_code == 400
    assert api.post(event, {"name": "nope"}).json_body["error"]["code"] == "validation_error"
    assert api.as_tenant("acme-secret").post(event, {"name": "resubmitted"}).status_code == 404
    back = api.post(event, {"name": "resubmitted", "payload": {"channel": "email"}})
    assert back.status_code == 200, back.body
    assert back.json_body["state"] == "manual_review"
    again = api.post(event, {"name": "resubmitted"})
    assert (again.status_code, again.json_body["error"]["code"]) == (409, "invalid_transition")

    rejected = decide(
        api,
        alice,
        case_id,
        {"decision": "reject", "reason": "altered_or_fake", "expectedVersion": 4},
    )
    assert rejected.json_body["status"] == "completed"
    done = decide(api, admin, case_id, {"decision": "approve", "expectedVersion": 5})
    assert (done.status_code, done.json_body["error"]["code"]) == (409, "case_completed")
    assert api.post(event, {"name": "resubmitted"}).json_body["error"]["code"] == "case_completed"


def test_reason_codes(api: Api, admin: str) -> None:
    response = api.as_tenant(admin).get(f"{BACKOFFICE}/reason-codes")
    assert response.status_code == 200
    codes = [r["code"] for r in response.json_body["data"]]
    assert "blurry_or_unreadable" in codes and codes[-1] == "other"
    assert api.as_tenant(None).get(f"{BACKOFFICE}/reason-codes").status_code == 401
