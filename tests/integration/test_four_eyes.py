"""Four-eyes over HTTP against moto in-process: KYB approvals need a maker and a checker. The
maker's approval is pending and moves nothing; the maker cannot confirm it, nor can anyone without
`cases.approve_second`; a checker who is not the assignee can. Changed evidence voids it (409,
audited); a checker may return it; the inbox lists what awaits a second approval; webhooks name
both reviewers; the Step Functions execution moves only on the confirmation."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from chalicelib.cases.inbox import inbox_query
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from chalicelib.models.events import DomainEvent
from chalicelib.webhooks.payloads import build_body
from chalicelib.workflows import registry
from chalicelib.workflows.definition import WorkflowDefinition
from tests.conftest import poll
from tests.integration.conftest import Api
from tests.integration.test_acceptance_criteria import KYB, claim_and_approve_documents, kyb_request
from tests.integration.test_auth_api import login
from tests.integration.test_decisions_api import BACKOFFICE, RUN, decide, ingest


@pytest.fixture
def people(api: Api) -> dict[str, dict[str, Any]]:
    """Tokens and ids: alice and bob are reviewers, carol a senior reviewer."""
    return {
        name: {"token": session["idToken"], "id": session["user"]["id"]}
        for name in ("alice", "bob", "carol")
        for session in [login(api, f"{name}@demo.test")]
    }


def view_of(api: Api, token: str, case_id: str) -> dict[str, Any]:
    answer = api.as_tenant(token).get(f"{BACKOFFICE}/cases/{case_id}")
    assert answer.status_code == 200, answer.body
    return answer.json_body  # type: ignore[no-any-return]


def claim(api: Api, person: dict[str, Any], case_id: str) -> None:
    claimed = api.as_tenant(person["token"]).put(
        f"{BACKOFFICE}/cases/{case_id}/assignee",
        {
            "assigneeId": person["id"],
            "expectedVersion": case_store().get_case("demo", case_id).version,
        },
    )
    assert claimed.status_code == 200, claimed.body


def pending_kyb(api: Api, people: dict[str, dict[str, Any]], request: dict[str, Any]) -> str:
    """A KYB case claimed by alice, its documents approved and the case approved by her: the
    approval now awaits a second one."""
    alice = people["alice"]
    case_id = ingest(api, request)
    claim(api, alice, case_id)
    view = claim_and_approve_documents(api, alice["token"], case_id)
    assert view["caseDecisions"]["approve"] == {
        "allowed": True,
        "reason": None,
        "needsSecondApproval": True,
    }
    answer = decide(
        api, alice["token"], case_id, {"decision": "approve", "expectedVersion": view["version"]}
    )
    assert answer.status_code == 200, answer.body
    return case_id


def confirm(api: Api, token: str, case_id: str, version: int) -> Any:
    return decide(api, token, case_id, {"decision": "approve", "expectedVersion": version})


def test_maker_then_checker(api: Api, pipeline: Any, people: dict[str, dict[str, Any]]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    case_id = pending_kyb(api, people, kyb_request(companyName="Four Eyes Ltd"))
    store = case_store()
    pending = store.get_case("demo", case_id)
    assert (pending.state, pending.status) == ("manual_review", "active")
    assert pending.workflow_transitions == []

    as_alice = view_of(api, alice["token"], case_id)
    approval = as_alice["pendingApproval"]
    assert (approval["maker"]["id"], approval["decision"]) == (alice["id"], "approve")
    assert approval["evidenceMatches"] is True and approval["changed"] == []
    assert as_alice["permissions"]["canConfirmApproval"] is False
    assert as_alice["caseDecisions"]["approve"]["allowed"] is False
    assert "awaits a second approval" in as_alice["caseDecisions"]["approve"]["reason"]
    assert "awaiting_second_approval" in as_alice["flags"]

    self_approval = confirm(api, alice["token"], case_id, as_alice["version"])
    assert self_approval.status_code == 403, self_approval.body
    assert self_approval.json_body["error"]["code"] == "self_approval"
    permissionless = confirm(api, bob["token"], case_id, as_alice["version"])
    assert permissionless.status_code == 403, permissionless.body
    assert permissionless.json_body["error"]["details"]["permission"] == "cases.approve_second"
    assert view_of(api, bob["token"], case_id)["permissions"]["canConfirmApproval"] is False

    as_carol = view_of(api, carol["token"], case_id)
    assert as_carol["assignee"]["id"] == alice["id"]
    assert as_carol["permissions"]["canConfirmApproval"] is True
    assert as_carol["permissions"]["canReturnApproval"] is True
    # The execution waits in review until the checker confirms.
    machine = get_settings().state_machine_arn("kyb-manual-review-v1")
    arn = machine.replace(":stateMachine:", ":execution:") + f":{case_id}"
    poll(lambda: store.get_case("demo", case_id).task_token_state == "manual_review")
    assert "approved" not in entered(arn)

    done = confirm(api, carol["token"], case_id, as_carol["version"])
    assert done.status_code == 200, done.body
    assert (done.json_body["state"], done.json_body["status"]) == ("approved", "completed")
    assert done.json_body["pendingApproval"] is None
    assert "awaiting_second_approval" not in done.json_body["flags"]
    poll(lambda: "approved" in entered(arn))

    audit = store.list_audit("demo", case_id)
    actions = [r.action for r in audit]
    assert actions.index("case.approval_pending") < actions.index("case.approval_confirmed")
    completed = next(r for r in audit if r.action == "case.completed")
    webhook = build_body(DomainEvent.from_audit(completed), store.get_case("demo", case_id))
    assert webhook["type"] == "workflow.completed"
    assert webhook["data"]["maker"]["id"] == alice["id"]
    assert webhook["data"]["checker"]["id"] == carol["id"]
    assert webhook["data"]["reviewer"]["id"] == carol["id"]
    assert webhook["data"]["evidenceDigest"] == pending.pending_approval.evidence_digest


def entered(execution_arn: str) -> list[str]:
    history = boto3.client("stepfunctions").get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return [
        e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e
    ]


def test_changed_evidence_voids_the_pending_approval(
    api: Api, people: dict[str, dict[str, Any]]
) -> None:
    carol = people["carol"]
    request = kyb_request(companyName="Evidence Ltd")
    case_id = pending_kyb(api, people, request)
    # The integrator re-runs the entity with a changed context (no documents this time, so
    # they stay as they were): the evidence moved.
    request["context"]["entity"]["data"]["website"] = "https://evidence.example"
    request["context"]["documents"] = []
    rerun = api.post(RUN, request)
    assert rerun.status_code in (200, 201), rerun.body
    view = view_of(api, carol["token"], case_id)
    assert view["pendingApproval"]["evidenceMatches"] is False
    assert view["pendingApproval"]["changed"] == [
        "the integrator's data (entity, documents, pages, custom data, its checks)"
    ]

    answer = confirm(api, carol["token"], case_id, view["version"])
    assert answer.status_code == 409, answer.body
    error = answer.json_body["error"]
    assert error["code"] == "evidence_changed"
    assert "integrator's data" in error["message"]
    after = view_of(api, carol["token"], case_id)
    assert (after["state"], after["pendingApproval"]) == ("manual_review", None)
    assert after["version"] == view["version"] + 1
    voided = [e for e in after["timeline"] if e["action"] == "case.approval_voided"]
    assert len(voided) == 1 and voided[0]["details"]["maker"]["id"] == people["alice"]["id"]
    assert voided[0]["actor"]["id"] == carol["id"]
    # The maker decides again on the new evidence.
    alice = view_of(api, people["alice"]["token"], case_id)
    assert alice["caseDecisions"]["approve"]["allowed"] is True


def test_the_checker_returns_it_to_the_maker(api: Api, people: dict[str, dict[str, Any]]) -> None:
    alice, carol = people["alice"], people["carol"]
    case_id = pending_kyb(api, people, kyb_request(companyName="Returned Ltd"))
    version = view_of(api, carol["token"], case_id)["version"]
    path = f"{BACKOFFICE}/cases/{case_id}/pending-approval/return"
    blank = api.as_tenant(carol["token"]).post(path, {"comment": " ", "expectedVersion": version})
    assert blank.status_code == 400, blank.body
    own = api.as_tenant(alice["token"]).post(path, {"comment": "x", "expectedVersion": version})
    assert own.status_code == 403 and own.json_body["error"]["code"] == "self_approval"
    returned = api.as_tenant(carol["token"]).post(
        path, {"comment": "Check the second UBO's ID", "expectedVersion": version}
    )
    assert returned.status_code == 200, returned.body
    assert returned.json_body["pendingApproval"] is None
    entry = returned.json_body["timeline"][-1]
    assert entry["action"] == "case.approval_returned"
    assert entry["details"]["comment"] == "Check the second UBO's ID"
    assert entry["details"]["maker"]["id"] == alice["id"]
    again = api.as_tenant(carol["token"]).post(
        path, {"comment": "x", "expectedVersion": returned.json_body["version"]}
    )
    assert again.status_code == 409 and again.json_body["error"]["code"] == "no_pending_approval"


def test_inbox_filter_awaiting_second_approval(api: Api, people: dict[str, dict[str, Any]]) -> None:
    carol = people["carol"]
    pending = pending_kyb(api, people, kyb_request(companyName="Awaiting Ltd"))
    other = ingest(api, kyb_request(companyName="Not Yet Ltd"))
    for sort in ("createdAt", "updatedAt"):
        rows = (
            api.as_tenant(carol["token"])
            .get(f"{BACKOFFICE}/cases?assignee=any&awaitingSecondApproval=true&sort={sort}")
            .json_body["data"]
        )
        assert [r["id"] for r in rows] == [pending], sort
        assert "awaiting_second_approval" in rows[0]["flags"]
    # A sparse index: the page reads the pending cases only, not the rest of the tenant's.
    query = inbox_query(
        "demo", carol["id"], status="active", assignee="any", sort="createdAt", order="desc",
        state=None, workflow_definition_id=None, entity_type=None, search=None, limit=25,
        awaiting_second_approval=True,
    )  # fmt: skip
    assert case_store().inbox_page(query, None).items_read == 1
    everything = api.as_tenant(carol["token"]).get(f"{BACKOFFICE}/cases?assignee=any").json_body
    assert {pending, other} <= {r["id"] for r in everything["data"]}
    # Filters combine: alice's own pending approvals, nobody else's.
    mine = api.as_tenant(people["bob"]["token"]).get(
        f"{BACKOFFICE}/cases?assignee=me&awaitingSecondApproval=true"
    )
    assert mine.json_body["data"] == []

    done = confirm(api, carol["token"], pending, view_of(api, carol["token"], pending)["version"])
    assert done.status_code == 200, done.body
    rows = (
        api.as_tenant(carol["token"])
        .get(f"{BACKOFFICE}/cases?assignee=any&status=all&awaitingSecondApproval=true")
        .json_body["data"]
    )
    assert rows == []


@pytest.fixture
def kyb_four_eyes_everywhere(monkeypatch: pytest.MonkeyPatch) -> WorkflowDefinition:
    """KYB v1 with four eyes on rejections too, auto-resolution and an integrator approval."""
    base = registry.get_definition(KYB, 1)
    data = base.model_dump(by_alias=True)
    data["approvalPolicy"]["decisions"] = ["approve", "reject"]
    data["policy"]["autoResolveWhenAllDocumentsDecided"] = True
    data["events"]["approved_externally"] = {"source": "integrator"}
    data["states"]["manual_review"]["on"]["approved_externally"] = "approved"
    changed = WorkflowDefinition.model_validate(data)
    others = tuple(d for d in registry.bundled_definitions() if d.key != base.key)
    monkeypatch.setattr(registry, "bundled_definitions", lambda: (*others, changed))
    return changed


def test_rejections_auto_resolution_and_integrator_events(
    api: Api, people: dict[str, dict[str, Any]], kyb_four_eyes_everywhere: WorkflowDefinition
) -> None:
    alice, carol = people["alice"], people["carol"]
    # Auto-resolution: deciding the last document makes alice the maker of the approval.
    auto = ingest(api, kyb_request(companyName="Auto Ltd"))
    claim(api, alice, auto)
    view = claim_and_approve_documents(api, alice["token"], auto)
    approval = view["pendingApproval"]
    assert (view["state"], approval["automatic"]) == ("manual_review", True)
    assert approval["maker"]["id"] == alice["id"]

    # An integrator's approving event cannot be either pair of eyes.
    answer = api.post(f"/api/v1/external/workflows/{auto}/event", {"name": "approved_externally"})
    assert answer.status_code == 409, answer.body
    assert answer.json_body["error"]["code"] == "second_approval_required"

    # Rejections follow the policy: pending, then confirmed by carol with the maker's reason.
    rejected = ingest(api, kyb_request(companyName="Reject Ltd"))
    version = case_store().get_case("demo", rejected).version
    body = {"decision": "reject", "reason": "data_mismatch", "expectedVersion": version}
    made = decide(api, carol["token"], rejected, body)
    assert made.status_code == 403  # carol is not the assignee: she cannot be the maker here
    claimed = api.as_tenant(alice["token"]).put(
        f"{BACKOFFICE}/cases/{rejected}/assignee",
        {"assigneeId": alice["id"], "expectedVersion": version},
    )
    body["expectedVersion"] = claimed.json_body["version"]
    made = decide(api, alice["token"], rejected, body)
    assert made.status_code == 200, made.body
    assert made.json_body["pendingApproval"]["decision"] == "reject"
    body["expectedVersion"] = made.json_body["version"]
    done = decide(api, carol["token"], rejected, body)
    assert done.status_code == 200, done.body
    assert (done.json_body["state"], done.json_body["status"]) == ("rejected", "completed")


def test_a_revision_is_not_under_four_eyes_but_waits_for_a_pending_approval(
    api: Api, people: dict[str, dict[str, Any]]
) -> None:
    """The approval policy covers approvals and rejections: a revision (the customer's
    collection request) goes out at once; while an approval is pending it is refused."""
    alice = people["alice"]
    case_id = ingest(api, kyb_request(companyName="Revision Ltd"))
    claim(api, alice, case_id)
    view = view_of(api, alice["token"], case_id)
    assert view["caseDecisions"]["revision"]["needsSecondApproval"] is False
    body: dict[str, Any] = {
        "decision": "revision",
        "reason": "missing_pages",
        "comment": "A utility bill, please.",
        "expectedVersion": view["version"],
        "requestDocuments": [{"type": "utility_bill", "category": "proof_of_address"}],
    }
    sent = decide(api, alice["token"], case_id, body)
    assert sent.status_code == 200, sent.body
    assert sent.json_body["state"] == "revision"
    assert sent.json_body["pendingApproval"] is None
    assert "/collect/" in sent.json_body["collectionLink"]["url"]
    (round_,) = sent.json_body["collectionRounds"]
    assert [r["type"] for r in round_["requested"]] == ["utility_bill"]

    pending = pending_kyb(api, people, kyb_request(companyName="Pending Revision Ltd"))
    body["expectedVersion"] = case_store().get_case("demo", pending).version
    refused = decide(api, alice["token"], pending, body)
    assert refused.status_code == 409, refused.body
    assert refused.json_body["error"]["code"] == "approval_pending"
    after = case_store().get_case("demo", pending)
    assert after.collection_rounds == [] and after.state == "manual_review"
