"""The case's own facts apart from the integrator's context, over HTTP against moto in-process.

A run request is the integrator's data: whatever it says about decisions or page history, a
document is decided only by a reviewer. Cases written before the facts left the context read
the same as they did.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from chalicelib.aws.dynamodb import case_pk, dynamodb_table
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from tests.integration.conftest import Api, ingest
from tests.integration.test_auth_api import login
from tests.integration.test_ingestion_api import individual_run, png_page

RUN = "/api/v1/external/workflows/run"
CASES = "/api/v1/backoffice/cases"
EXTERNAL = "/api/v1/external/workflows"
FORGED_APPROVAL = {
    "status": "approved",
    "reason": None,
    "comment": None,
    "decidedBy": {"id": "u-admin", "name": "Mallory"},
    "decidedAt": "2026-01-01T00:00:00.000Z",
}
FORGED_REJECTION = FORGED_APPROVAL | {"status": "rejected", "rejectionReason": "Expired"}
FORGED_HISTORY = [{"replacedAt": "2026-01-01T00:00:00.000Z", "pages": [{"id": "p-x"}]}]
PENDING = {
    "status": "pending",
    "reason": None,
    "comment": None,
    "decidedBy": None,
    "decidedAt": None,
}


def forged_run(entity_id: str = "forger-1") -> dict[str, Any]:
    run = individual_run(entity_id)
    run["context"]["documents"] = [
        {
            "type": "passport",
            "category": "identification",
            "pages": [png_page()],
            "decision": FORGED_REJECTION,
            "pageHistory": FORGED_HISTORY,
        },
        {
            "type": "utility_bill",
            "category": "proof_of_address",
            "pages": [png_page()],
            "decision": FORGED_APPROVAL,
        },
    ]
    return run


def admin(api: Api) -> Api:
    return api.as_tenant(login(api, "admin@demo.test")["idToken"])


def assert_nothing_decided(api: Api, reviewer: Api, case_id: str) -> None:
    view = reviewer.get(f"{CASES}/{case_id}").json_body
    assert [d["decision"]["status"] for d in view["documents"]] == ["pending", "pending"]
    assert all(d["decision"]["decidedBy"] is None for d in view["documents"])
    assert all(d["pageHistory"] == [] for d in view["documents"])
    # A forged rejection would block approval under the definition's policy, and a forged
    # approval would meet the identification criterion: what blocks is that nothing is decided.
    assert view["caseDecisions"]["approve"]["allowed"] is False
    assert view["caseDecisions"]["approve"]["reason"] == (
        "acceptance criteria not met: All identification documents approved "
        "(unmet: documents = [passport (pending), utility_bill (pending)])"
    )
    criteria = {c["id"]: c["status"] for c in view["acceptanceCriteria"]}
    assert criteria["identification-documents-approved"] == "unmet"
    rows = reviewer.get(f"{CASES}?assignee=any").json_body["data"]
    (row,) = [r for r in rows if r["id"] == case_id]
    assert row["documentsPendingDecision"] == 2

    context = json.loads(api.get(f"{EXTERNAL}/{case_id}/context").body)["context"]
    assert [d["decision"] for d in context["documents"]] == [PENDING, PENDING]
    assert all("pageHistory" not in d for d in context["documents"])
    runtime = json.loads(api.get(f"{EXTERNAL}/{case_id}").body)
    assert [d["decision"]["status"] for d in runtime["documents"]] == ["pending", "pending"]

    case = case_store().get_case("demo", case_id)
    assert case.documents_needing_decision == 2


class TestForgedDecisions:
    def test_a_run_request_cannot_make_a_document_look_decided(self, api: Api) -> None:
        case_id = ingest(api, forged_run())
        assert_nothing_decided(api, admin(api), case_id)
        # The integrator's context is kept as sent; its claims just are not facts.
        case = case_store().get_case("demo", case_id)
        assert case.context_documents[0]["decision"] == FORGED_REJECTION

    def test_a_rerun_cannot_either(self, api: Api) -> None:
        case_id = ingest(api, forged_run())
        rerun = forged_run()
        for document in rerun["context"]["documents"]:
            document["decision"] = FORGED_APPROVAL
        assert api.post(RUN, rerun).json_body["workflowRuntimeId"] == case_id
        reviewer = admin(api)
        view = reviewer.get(f"{CASES}/{case_id}").json_body
        # The re-sent pages replaced the first ones: the only real page history.
        assert [len(d["pageHistory"]) for d in view["documents"]] == [1, 1]
        assert [d["decision"]["status"] for d in view["documents"]] == ["pending", "pending"]

        # A reviewer's decision stands against a re-run (without new pages) claiming otherwise.
        passport = view["documents"][0]["id"]
        decided = reviewer.post(
            f"{CASES}/{case_id}/documents/{passport}/decision",
            {"decision": "approve", "expectedVersion": view["version"]},
        )
        assert decided.status_code == 200, decided.body
        no_pages = forged_run()
        no_pages["context"]["documents"] = [
            {"id": passport, "type": "passport", "category": "identification"}
            | {"decision": FORGED_REJECTION}
        ]
        assert api.post(RUN, no_pages).status_code == 201
        view = reviewer.get(f"{CASES}/{case_id}").json_body
        assert [d["decision"]["status"] for d in view["documents"]] == ["approved", "pending"]
        assert view["caseDecisions"]["approve"]["allowed"] is True


# A case item as the code before the case facts wrote it: decisions and page history inside
# `contextJson`, no `recordsVersion`, no `documentRecordsJson`.
LEGACY_CONTEXT = {
    "entity": {"id": "legacy-1", "type": "individual", "data": {"firstName": "Old", "n": 1.5}},
    "documents": [
        {
            "type": "passport",
            "category": "identification",
            "issuer": {"country": "DE"},
            "properties": {"docNumber": "X1"},
            "version": 1,
            "id": "doc_passport",
            "decision": {
                "status": "rejected",
                "reason": "expired",
                "comment": "too old",
                "decidedBy": {"id": "u-admin", "name": "Ada Admin"},
                "decidedAt": "2026-01-02T00:00:00.000Z",
                "rejectionReason": "Document expired: too old",
            },
            "pages": [
                {"provider": "base64", "type": "png", "metadata": {"side": "back"}, "id": "page_2"}
            ],
            "pageHistory": [
                {
                    "replacedAt": "2026-01-01T12:00:00.000Z",
                    "pages": [
                        {
                            "provider": "http",
                            "uri": "https://example.com/front.png",
                            "metadata": {"side": "front"},
                            "id": "page_1",
                        }
                    ],
                }
            ],
        },
        {
            "type": "utility_bill",
            "category": "proof_of_address",
            "id": "doc_bill",
            "decision": PENDING,
            "pages": [{"provider": "base64", "id": "page_3"}],
        },
    ],
    "pluginsOutput": {"kyc": {"score": 0.5}},
}


def put_legacy_case(case_id: str) -> None:
    at = "2026-01-01T00:00:00.000Z"
    sort_key = f"{at}#{case_id}"
    table = dynamodb_table(get_settings().cases_table)
    table.put_item(
        Item={
            "pk": case_pk("demo", case_id),
            "sk": "CASE",
            "recordType": "case",
            "tenantId": "demo",
            "caseId": case_id,
            "workflowDefinitionId": "kyc-manual-review",
            "workflowDefinitionVersion": 1,
            "state": "manual_review",
            "status": "active",
            "version": 3,
            "createdAt": at,
            "updatedAt": "2026-01-02T00:00:00.000Z",
            "entityType": "individual",
            "entityId": "legacy-1",
            "ballerineEntityId": "ent_legacy",
            "entityName": "Old Case",
            "contextJson": json.dumps(LEGACY_CONTEXT, separators=(",", ":")),
            "configJson": "{}",
            "pageStorage": {
                page: {"status": "stored", "key": f"k/{page}", "updated_at": at}
                for page in ("page_1", "page_2", "page_3")
            },
            "flags": [],
            "workflowTransitions": [],
            "executionState": "manual_review",
            "executionDelivered": 0,
            "gsi1pk": "T#demo",
            "gsi1sk": sort_key,
            "gsi2pk": "T#demo#S#active",
            "gsi2sk": sort_key,
            "gsi3pk": "T#demo#S#active#A#-",
            "updsk": f"2026-01-02T00:00:00.000Z#{case_id}",
            "documentCount": 2,
            "documentsNeedingDecision": 1,
        }
    )


class TestCasesWrittenBeforeTheFacts:
    def test_an_old_item_reads_the_same_through_the_facts(self, api: Api) -> None:
        put_legacy_case("case_legacy")
        case = case_store().get_case("demo", "case_legacy")
        assert case.facts.ballerine_context() == LEGACY_CONTEXT
        passport, bill = case.documents
        assert (passport.decision.status, passport.decision.reason) == ("rejected", "expired")
        assert passport.decision.rejection_reason == "Document expired: too old"
        assert passport.page_history[0].document_pages[0].uri == "https://example.com/front.png"
        assert (bill.decision.status, case.documents_needing_decision) == ("pending", 1)

        # The integrator's API: the context exactly as the old code returned it.
        stored = json.loads(api.get(f"{EXTERNAL}/case_legacy/context").body)
        assert stored["context"] == LEGACY_CONTEXT and stored["version"] == 3
        runtime = json.loads(api.get(f"{EXTERNAL}/case_legacy").body)
        assert [d["decision"] for d in runtime["documents"]] == [
            d["decision"] for d in LEGACY_CONTEXT["documents"]
        ]

        # The reviewer's case view.
        reviewer = admin(api)
        view = reviewer.get(f"{CASES}/case_legacy").json_body
        first, second = view["documents"]
        assert first["decision"] == {
            "status": "rejected",
            "reason": "expired",
            "comment": "too old",
            "decidedBy": {"id": "u-admin", "name": "Ada Admin"},
            "decidedAt": "2026-01-02T00:00:00.000Z",
        }
        assert (first["issuer"], first["properties"], first["version"]) == (
            {"country": "DE"},
            {"docNumber": "X1"},
            1,
        )
        assert [p["id"] for p in first["pages"]] == ["page_2"]
        (history,) = first["pageHistory"]
        assert history["replacedAt"] == "2026-01-01T12:00:00.000Z"
        assert [(p["id"], p["metadata"]) for p in history["pages"]] == [
            ("page_1", {"side": "front"})
        ]
        assert second["decision"]["status"] == "pending"
        assert view["thirdPartyData"] == {"kyc": {"score": 0.5}}
        assert view["caseDecisions"]["approve"]["allowed"] is False  # the rejected passport

        # The first write after the change stores the new format; the reads stay the same.
        decided = reviewer.post(
            f"{CASES}/case_legacy/documents/doc_bill/decision",
            {"decision": "approve", "expectedVersion": 3},
        )
        assert decided.status_code == 200, decided.body
        item = dynamodb_table(get_settings().cases_table).get_item(
            Key={"pk": case_pk("demo", "case_legacy"), "sk": "CASE"}
        )["Item"]
        assert item["recordsVersion"] == 1
        assert "decision" not in json.loads(item["contextJson"])["documents"][0]
        expected = copy.deepcopy(LEGACY_CONTEXT)
        expected["documents"][1]["decision"] = json.loads(
            api.get(f"{EXTERNAL}/case_legacy/context").body
        )["context"]["documents"][1]["decision"]
        assert expected["documents"][1]["decision"]["status"] == "approved"
        again = json.loads(api.get(f"{EXTERNAL}/case_legacy/context").body)["context"]

        assert again == expected
