"""Acceptance criteria on every path to approval, over HTTP against moto in-process: a reviewer's
approve, the automatic resolution when the last document is decided, and an integrator's event
all meet the same check; an admin may override with a justification (audited, flagged, sent)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.dependencies import case_store
from chalicelib.models.events import DomainEvent
from chalicelib.webhooks.payloads import build_body
from chalicelib.workflows import registry
from chalicelib.workflows.definition import WorkflowDefinition
from tests.integration.conftest import Api
from tests.integration.test_auth_api import login
from tests.integration.test_decisions_api import (
    BACKOFFICE,
    confirm_second_approval,
    decide,
    ingest,
)

KYB = "kyb-manual-review"


def kyb_request(**data: Any) -> dict[str, Any]:
    """A KYB run whose only gap is what the test leaves out of `data`."""
    entity_data = {
        "companyName": "Criteria Ltd",
        "dateOfIncorporation": "2016-04-09",
        "ubos": [
            {"firstName": "Ann", "lastName": "Lee", "ownershipPercentage": 60},
            {"firstName": "Bo", "lastName": "Kim", "ownershipPercentage": 30},
        ],
    }
    entity_data.update(data)
    entity_data = {k: v for k, v in entity_data.items() if v is not None}
    return {
        "workflowId": KYB,
        "context": {
            "entity": {
                "id": f"crit-{len(str(data))}-{id(data)}",
                "type": "business",
                "data": entity_data,
            },
            "documents": [
                {
                    "type": "certificate_of_incorporation",
                    "category": "registration",
                    "issuer": {"country": "GB"},
                    "pages": [{"provider": "http", "uri": "https://example.com/cert.png"}],
                }
            ],
        },
    }


def claim_and_approve_documents(api: Api, token: str, case_id: str) -> dict[str, Any]:
    case = case_store().get_case("demo", case_id)
    version = case.version
    for doc in case.documents:
        answer = decide(
            api, token, case_id, {"decision": "approve", "expectedVersion": version}, doc.id
        )
        assert answer.status_code == 200, answer.body
        version = answer.json_body["version"]
    return api.as_tenant(token).get(f"{BACKOFFICE}/cases/{case_id}").json_body  # type: ignore[no-any-return]


@pytest.fixture
def admin(api: Api) -> str:
    return login(api, "admin@demo.test")["idToken"]


def by_id(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in view["acceptanceCriteria"]}


def test_reviewer_approve_needs_the_enforced_criteria(api: Api, admin: str) -> None:
    case_id = ingest(api, kyb_request(ubos=[{"firstName": "Ann", "ownershipPercentage": 50}]))
    view = claim_and_approve_documents(api, admin, case_id)
    criteria = by_id(view)
    assert criteria["ubo-shares-at-least-75"]["status"] == "unmet"
    assert "50" in criteria["ubo-shares-at-least-75"]["explanation"]
    assert criteria["registration-documents-approved"]["status"] == "met"
    assert criteria["date-of-incorporation-present"]["status"] == "met"
    approve = view["caseDecisions"]["approve"]
    assert approve["allowed"] is False and "UBO shares" in approve["reason"]

    answer = decide(
        api, admin, case_id, {"decision": "approve", "expectedVersion": view["version"]}
    )
    assert answer.status_code == 409, answer.body
    error = answer.json_body["error"]
    assert error["code"] == "criteria_unmet"
    assert [c["id"] for c in error["details"]["criteria"]] == ["ubo-shares-at-least-75"]
    assert case_store().get_case("demo", case_id).state == "manual_review"


def test_missing_inputs_are_unknown_and_block(api: Api, admin: str) -> None:
    case_id = ingest(api, kyb_request(ubos=None, dateOfIncorporation=None))
    view = claim_and_approve_documents(api, admin, case_id)
    criteria = by_id(view)
    assert criteria["ubo-shares-at-least-75"]["status"] == "unknown"
    assert "entity.ubos" in criteria["ubo-shares-at-least-75"]["explanation"]
    # Presence is what this criterion asks: absent is its answer, not unknown.
    assert criteria["date-of-incorporation-present"]["status"] == "unmet"
    answer = decide(
        api, admin, case_id, {"decision": "approve", "expectedVersion": view["version"]}
    )
    assert answer.status_code == 409
    assert {c["id"]: c["status"] for c in answer.json_body["error"]["details"]["criteria"]} == {
        "ubo-shares-at-least-75": "unknown",
        "date-of-incorporation-present": "unmet",
    }


def test_a_case_meeting_its_criteria_is_approved(api: Api, admin: str) -> None:
    case_id = ingest(api, kyb_request())
    view = claim_and_approve_documents(api, admin, case_id)
    assert all(c["status"] == "met" for c in view["acceptanceCriteria"] if c["enforced"])
    answer = decide(
        api, admin, case_id, {"decision": "approve", "expectedVersion": view["version"]}
    )
    assert answer.status_code == 200, answer.body
    assert answer.json_body["pendingApproval"]["decision"] == "approve"  # KYB: four eyes
    confirmed = confirm_second_approval(api, case_id)
    assert confirmed.status_code == 200, confirmed.body
    assert confirmed.json_body["state"] == "approved"
    assert "criteria_overridden" not in confirmed.json_body["flags"]


def test_override_is_audited_flagged_and_sent(api: Api, admin: str) -> None:
    case_id = ingest(api, kyb_request(dateOfIncorporation=None))
    view = claim_and_approve_documents(api, admin, case_id)
    assert view["permissions"]["canOverrideCriteria"] is True
    body = {"decision": "approve", "expectedVersion": view["version"]}
    blank = decide(api, admin, case_id, {**body, "overrideCriteria": {"justification": "  "}})
    assert blank.status_code == 400, blank.body
    with_reject = decide(
        api,
        admin,
        case_id,
        {
            **body,
            "decision": "reject",
            "reason": "other",
            "comment": "x",
            "overrideCriteria": {"justification": "no"},
        },
    )
    assert with_reject.status_code == 400, with_reject.body

    answer = decide(
        api, admin, case_id, {**body, "overrideCriteria": {"justification": "registry is down"}}
    )
    assert answer.status_code == 200, answer.body
    assert answer.json_body["pendingApproval"]["criteriaOverride"]["justification"]
    assert "criteria_overridden" in answer.json_body["flags"]
    confirmed = confirm_second_approval(api, case_id)
    assert confirmed.status_code == 200, confirmed.body
    assert confirmed.json_body["state"] == "approved"

    audit = case_store().list_audit("demo", case_id)
    overridden = [r for r in audit if r.action == "case.criteria_overridden"]
    assert len(overridden) == 1
    details = overridden[0].details
    assert details["justification"] == "registry is down"
    assert details["by"]["id"] == overridden[0].actor.id
    assert [c["id"] for c in details["criteria"]] == ["date-of-incorporation-present"]

    completed = next(r for r in audit if r.action == "case.completed")
    webhook = build_body(DomainEvent.from_audit(completed), case_store().get_case("demo", case_id))
    assert webhook["type"] == "workflow.completed"
    assert webhook["data"]["criteriaOverride"]["justification"] == "registry is down"
    assert (
        webhook["data"]["criteriaOverride"]["criteria"][0]["id"] == "date-of-incorporation-present"
    )
    changed = next(r for r in audit if r.action == "case.state_changed")
    assert build_body(DomainEvent.from_audit(changed), None)["data"]["criteriaOverride"]

    inbox = api.as_tenant(admin).get(f"{BACKOFFICE}/cases?status=all&assignee=any").json_body
    row = next(r for r in inbox["data"] if r["id"] == case_id)
    assert "criteria_overridden" in row["flags"]


def test_override_needs_the_permission(api: Api, admin: str) -> None:
    alice = login(api, "alice@demo.test")["idToken"]
    case_id = ingest(api, kyb_request(dateOfIncorporation=None))
    case = case_store().get_case("demo", case_id)
    claimed = api.as_tenant(alice).put(
        f"{BACKOFFICE}/cases/{case_id}/assignee",
        {
            "assigneeId": login(api, "alice@demo.test")["user"]["id"],
            "expectedVersion": case.version,
        },
    )
    assert claimed.status_code == 200, claimed.body
    view = claim_and_approve_documents(api, alice, case_id)
    assert view["permissions"]["canOverrideCriteria"] is False
    answer = decide(
        api,
        alice,
        case_id,
        {
            "decision": "approve",
            "expectedVersion": view["version"],
            "overrideCriteria": {"justification": "I am sure"},
        },
    )
    assert answer.status_code == 403, answer.body
    assert answer.json_body["error"]["details"]["permission"] == "cases.override_criteria"
    assert case_store().get_case("demo", case_id).state == "manual_review"


@pytest.fixture
def kyb_with_automatic_paths(monkeypatch: pytest.MonkeyPatch) -> WorkflowDefinition:
    """KYB v1 that auto-resolves and lets the integrator approve (chart otherwise unchanged),
    without four-eyes: these tests are about the criteria (test_four_eyes.py has both)."""
    base = registry.get_definition(KYB, 1)
    data = base.model_dump(by_alias=True)
    data["approvalPolicy"]["when"] = "never"
    data["policy"]["autoResolveWhenAllDocumentsDecided"] = True
    data["events"]["approved_externally"] = {"source": "integrator"}
    data["states"]["manual_review"]["on"]["approved_externally"] = "approved"
    changed = WorkflowDefinition.model_validate(data)
    others = tuple(d for d in registry.bundled_definitions() if d.key != base.key)
    monkeypatch.setattr(registry, "bundled_definitions", lambda: (*others, changed))
    return changed


def test_auto_resolution_stays_in_review_when_criteria_fail(
    api: Api, admin: str, kyb_with_automatic_paths: WorkflowDefinition
) -> None:
    case_id = ingest(api, kyb_request(dateOfIncorporation=None))
    view = claim_and_approve_documents(api, admin, case_id)
    # Every document approved: without the criterion the case would have approved itself.
    assert (view["state"], view["status"]) == ("manual_review", "active")
    assert "Date of incorporation" in view["caseDecisions"]["approve"]["reason"]

    met = ingest(api, kyb_request())
    assert claim_and_approve_documents(api, admin, met)["state"] == "approved"


def test_integrator_event_meets_the_same_check(
    api: Api, admin: str, kyb_with_automatic_paths: WorkflowDefinition
) -> None:
    request = kyb_request(dateOfIncorporation=None)
    request["context"]["documents"] = []
    case_id = ingest(api, request)
    answer = api.post(
        f"/api/v1/external/workflows/{case_id}/event", {"name": "approved_externally"}
    )
    assert answer.status_code == 409, answer.body
    error = answer.json_body["error"]
    assert error["code"] == "criteria_unmet"
    assert {c["id"] for c in error["details"]["criteria"]} == {
        "registration-documents-approved",
        "date-of-incorporation-present",
    }
    assert case_store().get_case("demo", case_id).state == "manual_review"
    assert copy.deepcopy(error["details"]["criteria"][0]["explanation"])
