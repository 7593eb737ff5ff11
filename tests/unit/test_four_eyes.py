"""Four-eyes without AWS: the approval policy's rules, the evidence digest, and the maker-checker
flow over the in-memory store and a fake Step Functions execution."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.auth.permissions import with_permissions
from chalicelib.cases.store import InMemoryCaseStore
from chalicelib.decisions import four_eyes, service
from chalicelib.errors import (
    ApprovalPending,
    EvidenceChanged,
    Forbidden,
    NoPendingApproval,
    SelfApproval,
)
from chalicelib.ids import utc_now
from chalicelib.models.case import (
    AWAITING_SECOND_APPROVAL,
    Case,
    DocumentDecision,
    PageStorage,
    PluginResult,
    evidence_digest,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.workflows.definition import WorkflowDefinition, WorkflowDefinitionError
from chalicelib.workflows.registry import bundled_definitions, get_definition
from tests.unit.test_decisions import ADMIN, ALICE, FakeExecution, make_case, park

CAROL = with_permissions(
    Reviewer(
        id="u-carol", email="c@x.test", name="Carol", roles=["senior_reviewer"], tenant_id="demo"
    )
)
BOB = with_permissions(
    Reviewer(id="u-bob", email="b@x.test", name="Bob", roles=["reviewer"], tenant_id="demo")
)
DEV = "risk-score-improvement-dev"


def definition(**policy: Any) -> WorkflowDefinition:
    data = get_definition("kyc-manual-review", 1).model_dump(by_alias=True)
    return WorkflowDefinition.from_json({**data, "approvalPolicy": policy})


@pytest.fixture
def store() -> InMemoryCaseStore:
    return InMemoryCaseStore()


@pytest.fixture
def execution() -> FakeExecution:
    return FakeExecution(get_definition(DEV, 1))


def risky_case(store: InMemoryCaseStore, score: int = 90, assignee: str = "u-alice") -> Case:
    """A case of the dev definition (four eyes from a risk score of 80, approvals and
    rejections) with every document approved, assigned to Alice."""
    case = make_case(store, assignee=assignee)
    changed = case.model_copy(deep=True)
    changed.context["customData"] = {"riskScore": score}
    for doc in changed.documents:
        changed.document_record(doc.id).decision = DocumentDecision(status="approved")
    return store.update_case(changed, expected_version=case.version, audit=[])


def actions(store: InMemoryCaseStore, case: Case) -> list[str]:
    return [r.action for r in store.list_audit("demo", case.case_id)]


class TestPolicy:
    def test_default_is_no_second_approval(self) -> None:
        data = get_definition("kyc-manual-review", 1).model_dump(by_alias=True)
        data.pop("approvalPolicy")
        policy = WorkflowDefinition.from_json(data).approval_policy
        assert (policy.when, policy.decisions, policy.checker_permission) == (
            "never",
            ("approve",),
            "cases.approve_second",
        )

    @pytest.mark.parametrize(
        ("policy", "message"),
        [
            ({"when": "sometimes"}, "when"),
            ({"when": {"nope": [1]}}, "unknown operation `nope`"),
            ({"when": {"var": "riskScore"}}, "`riskScore` is not a case fact"),
            ({"checkerPermission": "cases.anything"}, "`cases.anything` is no permission"),
            ({"decisions": ["revision"]}, "decisions"),
            ({"decisions": []}, "decisions"),
            ({"when": "always", "extra": 1}, "extra"),
        ],
    )
    def test_invalid_policies_fail_the_load(self, policy: dict[str, Any], message: str) -> None:
        with pytest.raises(WorkflowDefinitionError, match=message):
            definition(**policy)

    def test_always_and_never_and_the_decisions_covered(self, store: InMemoryCaseStore) -> None:
        case = make_case(store)
        always = definition(when="always")
        assert four_eyes.second_approval_needed(case, always, "approve")
        assert not four_eyes.second_approval_needed(case, always, "reject")
        assert not four_eyes.second_approval_needed(case, always, "revision")
        both = definition(when="always", decisions=["approve", "reject"])
        assert four_eyes.second_approval_needed(case, both, "reject")
        assert not four_eyes.second_approval_needed(case, definition(when="never"), "approve")

    def test_a_rule_over_the_case_facts_and_unknown_fails_closed(
        self, store: InMemoryCaseStore
    ) -> None:
        rule = {">=": [{"var": "customData.riskScore"}, 70]}
        policy = definition(when=rule)
        case = make_case(store)
        high = case.model_copy(deep=True, update={"context": {**case.context}})
        high.context["customData"] = {"riskScore": 75}
        low = case.model_copy(deep=True)
        low.context["customData"] = {"riskScore": 20}
        assert four_eyes.second_approval_needed(high, policy, "approve")
        assert not four_eyes.second_approval_needed(low, policy, "approve")
        # No risk score at all: the rule cannot be judged, so a second person looks.
        assert four_eyes.second_approval_needed(case, policy, "approve")
        business = definition(when={"==": [{"var": "entity.type"}, "business"]})
        assert four_eyes.second_approval_needed(case, business, "approve")

    def test_bundled_policies(self) -> None:
        policies = {d.id: d.approval_policy for d in bundled_definitions()}
        assert policies["kyb-manual-review"].when == "always"
        assert policies["kyb-manual-review"].decisions == ("approve",)
        assert policies["kyc-manual-review"].when == {
            ">=": [{"var": ["customData.riskScore", 0]}, 70]
        }
        assert policies[DEV].decisions == ("approve", "reject")
        assert {p.checker_permission for p in policies.values()} == {"cases.approve_second"}


class TestEvidenceDigest:
    def test_what_is_not_evidence_leaves_it(self, store: InMemoryCaseStore) -> None:
        case = make_case(store)
        digest = evidence_digest(case)
        moved = case.model_copy(
            deep=True,
            update={
                "state": "approved",
                "status": "completed",
                "version": 9,
                "assignee_id": "u-bob",
                "updated_at": "2030-01-01T00:00:00Z",
                "flags": ["x"],
                "task_token": "t",
            },
        )
        assert evidence_digest(moved) == digest
        # Key order is not evidence either: the JSON is canonical.
        reordered = case.model_copy(deep=True)
        reordered.context = dict(reversed(list(case.context.items())))
        assert evidence_digest(reordered) == digest

    def test_each_kind_of_evidence_changes_it(self, store: InMemoryCaseStore) -> None:
        case = make_case(store)
        now = utc_now()
        changes: dict[str, Case] = {}
        context = case.model_copy(deep=True)
        context.context["entity"]["data"]["companyName"] = "Other Ltd"
        changes["context"] = context
        pages = case.model_copy(deep=True)
        pages.context["documents"][0]["pages"].append({"id": "p9"})
        changes["a page"] = pages
        decision = case.model_copy(deep=True)
        decision.document_record("doc_license").decision = DocumentDecision(status="rejected")
        changes["a document decision"] = decision
        storage = case.model_copy(deep=True)
        storage.page_storage["p1"] = PageStorage(status="stored", key="k", updated_at=now)
        changes["page storage"] = storage
        vendor = case.model_copy(deep=True)
        vendor.vendor_results["kyc"] = PluginResult(
            plugin="kyc",
            provider="http",
            status="succeeded",
            started_at=now,
            finished_at=now,
            input_digest="d",
        )
        changes["vendor results"] = vendor
        digest = evidence_digest(case)
        assert {name: evidence_digest(c) != digest for name, c in changes.items()} == dict.fromkeys(
            changes, True
        )

    def test_a_page_stored_again_is_the_same_evidence(self, store: InMemoryCaseStore) -> None:
        case = make_case(store)
        case.page_storage["p1"] = PageStorage(status="failed", error="x", updated_at="t1")
        again = case.model_copy(deep=True)
        again.page_storage["p1"].updated_at = "t2"
        assert evidence_digest(again) == evidence_digest(case)

    def test_changed_evidence_says_what_changed(self, store: InMemoryCaseStore) -> None:
        case = risky_case(store)
        four_eyes.record_pending(
            case, decision="approve", reason=None, comment=None, maker=ALICE, at="t",
            request_id=None,
        )  # fmt: skip
        assert four_eyes.changed_evidence(case) == []
        case.document_record("doc_cert").decision = DocumentDecision(status="rejected")
        case.context["customData"] = {"riskScore": 95}
        assert four_eyes.changed_evidence(case) == [
            four_eyes.EVIDENCE_LABELS["context"],
            four_eyes.EVIDENCE_LABELS["document_records"],
        ]
        # A case that moved on (e.g. a re-run's `resubmitted`) cannot take the decision either.
        case.state = "revision"
        assert four_eyes.changed_evidence(case)[0] == "the case's state (manual_review -> revision)"


class TestMakerChecker:
    def test_the_maker_records_a_pending_approval_and_nothing_moves(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store)
        park(store, execution, case.case_id)
        pending = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=case.version,
        )  # fmt: skip
        assert (pending.state, pending.status, pending.version) == (
            "manual_review",
            "active",
            case.version + 1,
        )
        assert pending.pending_approval is not None
        assert pending.pending_approval.maker.id == "u-alice"
        assert pending.pending_approval.evidence_digest == evidence_digest(case)
        assert AWAITING_SECOND_APPROVAL in pending.flags
        assert pending.workflow_transitions == [] and execution.sent == []
        assert actions(store, case)[-1] == "case.approval_pending"

    def test_only_a_second_person_with_the_permission_confirms(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store)
        park(store, execution, case.case_id)
        pending = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=case.version,
        )  # fmt: skip
        confirm = {"decision": "approve", "expected_version": pending.version}
        with pytest.raises(SelfApproval):
            service.decide_case(store, execution, ALICE, case.case_id, **confirm)
        with pytest.raises(Forbidden) as raised:
            service.decide_case(store, execution, BOB, case.case_id, **confirm)
        assert not isinstance(raised.value, SelfApproval)
        assert raised.value.details == {"permission": "cases.approve_second"}
        # Another decision while one is pending: the checker confirms or returns it first.
        with pytest.raises(ApprovalPending):
            service.decide_case(
                store, execution, ALICE, case.case_id, decision="revision",
                reason="other", comment="x", expected_version=pending.version,
            )  # fmt: skip
        with pytest.raises(ApprovalPending):
            service.decide_document(
                store, execution, ALICE, case.case_id, "doc_cert", decision="reject",
                reason="other", comment="x", expected_version=pending.version,
            )  # fmt: skip
        assert execution.sent == []

        # Carol is not the assignee: the permission is what counts.
        done = service.decide_case(store, execution, CAROL, case.case_id, **confirm)
        assert (done.state, done.status, done.pending_approval) == ("approved", "completed", None)
        assert AWAITING_SECOND_APPROVAL not in done.flags
        assert execution.entered == ["manual_review", "approved"]
        records = {r.action: r for r in store.list_audit("demo", case.case_id)}
        assert records["case.approval_confirmed"].actor.id == "u-carol"
        completed = records["case.completed"].details
        assert (completed["maker"]["id"], completed["checker"]["id"]) == ("u-alice", "u-carol")

    def test_changed_evidence_voids_the_approval(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store)
        pending = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=case.version,
        )  # fmt: skip
        # A remote page lands meanwhile (page storage is written without a version bump).
        store.set_page_storage(
            "demo", case.case_id, "p1",
            PageStorage(status="stored", key="k1", updated_at=utc_now()),
            store.list_audit("demo", case.case_id)[0],
        )  # fmt: skip
        with pytest.raises(EvidenceChanged) as raised:
            service.decide_case(
                store, execution, CAROL, case.case_id, decision="approve",
                expected_version=pending.version,
            )  # fmt: skip
        assert raised.value.details["changed"] == ["stored pages"]
        voided = store.get_case("demo", case.case_id)
        assert voided is not None
        assert (voided.state, voided.pending_approval, voided.version) == (
            "manual_review",
            None,
            pending.version + 1,
        )
        assert AWAITING_SECOND_APPROVAL not in voided.flags
        record = store.list_audit("demo", case.case_id)[-1]
        assert (record.action, record.details["changed"]) == (
            "case.approval_voided",
            ["stored pages"],
        )
        assert execution.sent == []

    def test_the_checker_returns_it_with_a_comment(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store)
        with pytest.raises(NoPendingApproval):
            service.return_pending_approval(
                store, CAROL, case.case_id, comment="x", expected_version=case.version
            )
        pending = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=case.version,
        )  # fmt: skip
        with pytest.raises(SelfApproval):
            service.return_pending_approval(
                store, ALICE, case.case_id, comment="x", expected_version=pending.version
            )
        returned = service.return_pending_approval(
            store, CAROL, case.case_id, comment="check the UBO", expected_version=pending.version
        )
        assert (returned.state, returned.pending_approval) == ("manual_review", None)
        record = store.list_audit("demo", case.case_id)[-1]
        assert record.action == "case.approval_returned"
        assert (record.details["comment"], record.details["maker"]["id"]) == (
            "check the UBO",
            "u-alice",
        )
        # Back with the maker, who may decide again.
        again = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=returned.version,
        )  # fmt: skip
        assert again.pending_approval is not None

    def test_rejections_follow_the_policy_when_configured(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store)
        park(store, execution, case.case_id)
        pending = service.decide_case(
            store, execution, ALICE, case.case_id, decision="reject", reason="data_mismatch",
            expected_version=case.version,
        )  # fmt: skip
        assert pending.pending_approval is not None
        assert (pending.pending_approval.decision, pending.state) == ("reject", "manual_review")
        done = service.decide_case(
            store, execution, ADMIN, case.case_id, decision="reject", reason="data_mismatch",
            expected_version=pending.version,
        )  # fmt: skip
        assert (done.state, done.status) == ("rejected", "completed")
        completed = next(
            r for r in store.list_audit("demo", case.case_id) if r.action == "case.completed"
        )
        assert completed.details["reason"] == "data_mismatch"

    def test_below_the_threshold_one_approval_is_enough(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = risky_case(store, score=10)
        done = service.decide_case(
            store, execution, ALICE, case.case_id, decision="approve",
            expected_version=case.version,
        )  # fmt: skip
        assert (done.state, done.pending_approval) == ("approved", None)
