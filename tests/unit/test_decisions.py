"""Decision rules without AWS: the in-memory case store and a fake Step Functions execution."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from chalicelib.auth.permissions import with_permissions
from chalicelib.cases.ingestion import run_workflow
from chalicelib.cases.store import InMemoryCaseStore
from chalicelib.cases.workflow_runtime import StaleTaskToken, park_task_token, sync_execution
from chalicelib.collection.rounds import NewDocumentType
from chalicelib.decisions import service
from chalicelib.decisions.policy import decision_options
from chalicelib.decisions.reasons import (
    REASON_LABELS,
    ReasonCode,
    reason_codes,
    reason_problems,
    reason_text,
)
from chalicelib.errors import (
    CaseCompleted,
    Forbidden,
    InvalidRequest,
    NotFound,
    TransitionNotAllowed,
    VersionConflict,
)
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import Actor, AuditRecord, Case
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.run import RunRequest
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.registry import get_definition

ADMIN = with_permissions(
    Reviewer(id="u-admin", email="a@x.test", name="Ada", roles=["admin"], tenant_id="demo")
)
ALICE = with_permissions(
    Reviewer(id="u-alice", email="al@x.test", name="Alice", roles=["reviewer"], tenant_id="demo")
)
VIEWER = with_permissions(
    Reviewer(id="u-v", email="v@x.test", name="Vic", roles=["viewer"], tenant_id="demo")
)


class FakeExecution:
    """Plays a case's Step Functions execution: each waiting state issues a fresh token, which
    the test parks when it chooses (the real one arrives asynchronously through SQS)."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self.state = definition.initial_state
        self.entered = [self.state]
        self.current_token: str | None = None
        self.sent: list[tuple[str, str]] = []
        self.failures_left = 0
        self._tokens = 0

    def issue_token(self) -> str:
        self._tokens += 1
        self.current_token = f"token-{self._tokens}"
        return self.current_token

    def start_case_execution(self, *args: Any) -> str:
        return "arn"

    def send_event(self, task_token: str, event: str) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("Step Functions is unavailable")
        if task_token != self.current_token:
            raise StaleTaskToken(task_token)
        self.sent.append((task_token, event))
        self.current_token = None
        self.state = self.definition.next_state(self.state, event)
        self.entered.append(self.state)


def make_case(
    store: InMemoryCaseStore, *, assignee: str | None = None, entity: str = "ent-1"
) -> Case:
    now = utc_now()
    case = Case(
        case_id=new_id("case"),
        tenant_id="demo",
        workflow_definition_id="risk-score-improvement-dev",
        workflow_definition_version=1,
        state="manual_review",
        execution_state="manual_review",
        assignee_id=assignee,
        created_at=now,
        updated_at=now,
        entity_type="business",
        entity_id=entity,
        ballerine_entity_id="ent_1",
        entity_name="McClure Inc",
        context={
            "entity": {"id": "ent-1", "type": "business", "data": {}},
            "documents": [
                {
                    "id": "doc_license",
                    "type": "drivers_license",
                    "category": "identification",
                    "pages": [{"id": "p1"}],
                },
                {
                    "id": "doc_cert",
                    "type": "certificate_of_incorporation",
                    "category": "registration",
                    "pages": [{"id": "p2"}],
                },
            ],
        },
    )
    store.create_case(
        case,
        AuditRecord(
            event_id=new_id("evt"),
            tenant_id="demo",
            case_id=case.case_id,
            action="case.created",
            at=now,
            actor=Actor(type="integrator", id="demo"),
        ),
    )
    return case


@pytest.fixture
def store() -> InMemoryCaseStore:
    return InMemoryCaseStore()


@pytest.fixture
def execution() -> FakeExecution:
    return FakeExecution(get_definition("risk-score-improvement-dev", 1))


def park(store: InMemoryCaseStore, execution: FakeExecution, case_id: str) -> None:
    """The task-token consumer: park the execution's token, then sync (as the handler does)."""
    token = execution.issue_token()
    if (
        park_task_token(
            store, tenant_id="demo", case_id=case_id, state=execution.state, task_token=token
        )
        == "parked"
    ):
        sync_execution(store, execution, tenant_id="demo", case_id=case_id)


def actions(store: InMemoryCaseStore, case_id: str) -> list[str]:
    return [a.action for a in store.list_audit("demo", case_id)]


class TestReasons:
    def test_codes_and_labels(self) -> None:
        codes = [r["code"] for r in reason_codes()]
        assert codes == [
            "blurry_or_unreadable",
            "expired",
            "altered_or_fake",
            "wrong_document_type",
            "data_mismatch",
            "missing_pages",
            "other",
        ]
        assert reason_text("expired", None) == "Expired"

    @pytest.mark.parametrize("blank", ["", "  ", "\x85", "\x1c", "\ufeff", "\u3000"])
    def test_other_needs_a_comment_that_is_not_blank_by_either_regex_dialect(
        self, blank: str
    ) -> None:
        # The schema states the rule as a pattern (ECMA); the service must draw the same line.
        assert reason_problems("reject", "other", blank)[0]["path"] == "comment"
        assert reason_problems("reject", "other", f"{blank}x") == []

    def test_every_reason_code_has_a_label(self) -> None:
        assert set(REASON_LABELS) == set(get_args(ReasonCode))
        assert reason_text("expired", "2019") == "Expired: 2019"
        assert reason_text("other", "stamp missing") == "stamp missing"

    @pytest.mark.parametrize(
        ("decision", "reason", "comment", "path"),
        [
            ("reject", None, None, "reason"),
            ("revision", None, "please", "reason"),
            ("revision", "other", "  ", "comment"),
        ],
    )
    def test_reject_and_revision_need_a_reason(
        self, store: InMemoryCaseStore, execution: FakeExecution, decision, reason, comment, path
    ) -> None:
        case = make_case(store)
        with pytest.raises(InvalidRequest) as raised:
            service.decide_case(
                store,
                execution,
                ADMIN,
                case.case_id,
                decision=decision,
                reason=reason,
                comment=comment,
                expected_version=1,
            )
        assert [d["path"] for d in raised.value.details] == [path]


class TestCaseDecisions:
    def test_approve_completes_the_case_with_both_facts_in_one_write(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        decided = service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=1
        )
        assert (decided.state, decided.status, decided.version) == ("approved", "completed", 2)
        assert decided.resolved_at
        records = store.list_audit("demo", case.case_id)
        changed, completed = records[-2:]
        assert changed.action == "case.state_changed"
        assert (
            changed.details.items()
            >= {
                "previousState": "manual_review",
                "newState": "approved",
                "event": "approve",
                "decision": "approve",
                "entityId": "ent-1",
                "workflowDefinitionId": "risk-score-improvement-dev",
            }.items()
        )
        assert completed.action == "case.completed"
        assert completed.details["finalState"] == "approved"
        assert completed.details["decision"] == "approve"
        assert completed.details["resolvedAt"] == decided.resolved_at
        assert execution.entered == ["manual_review", "approved"]
        assert store.find_active_case_id("demo", "risk-score-improvement-dev", "ent-1") is None

    def test_reject_keeps_reason_and_comment_in_the_audit(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="reject",
            reason="altered_or_fake",
            comment="photo edited",
            expected_version=1,
        )
        changed = store.list_audit("demo", case.case_id)[-2]
        assert (changed.details["reason"], changed.details["comment"]) == (
            "altered_or_fake",
            "photo edited",
        )
        assert changed.actor.id == ADMIN.id

    def test_completed_stale_and_not_allowed_are_409s(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        with pytest.raises(VersionConflict):
            service.decide_case(
                store, execution, ADMIN, case.case_id, decision="approve", expected_version=7
            )
        service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="expired",
            expected_version=1,
        )
        with pytest.raises(TransitionNotAllowed) as raised:
            service.decide_case(
                store, execution, ADMIN, case.case_id, decision="approve", expected_version=2
            )
        assert raised.value.details["allowedEvents"] == []
        assert raised.value.details["state"] == "revision"
        service.send_integrator_event(
            store, execution, tenant_id="demo", case_id=case.case_id, name="resubmitted"
        )
        service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=3
        )
        with pytest.raises(CaseCompleted):
            service.decide_case(
                store,
                execution,
                ADMIN,
                case.case_id,
                decision="reject",
                reason="expired",
                expected_version=4,
            )

    def test_only_the_assignee_or_an_admin_decides(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        unassigned = make_case(store)
        for reviewer in (ALICE, VIEWER):
            with pytest.raises(Forbidden):
                service.decide_case(
                    store,
                    execution,
                    reviewer,
                    unassigned.case_id,
                    decision="approve",
                    expected_version=1,
                )
        mine = make_case(store, assignee=ALICE.id, entity="ent-2")
        decided = service.decide_case(
            store, execution, ALICE, mine.case_id, decision="approve", expected_version=1
        )
        assert decided.state == "approved"

    def test_another_tenants_case_is_not_found(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        acme = ADMIN.model_copy(update={"tenant_id": "acme"})
        with pytest.raises(NotFound):
            service.decide_case(
                store, execution, acme, case.case_id, decision="approve", expected_version=1
            )


class TestDocumentDecisions:
    def test_document_decision_is_stored_in_the_ballerine_shape(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        decided = service.decide_document(
            store,
            execution,
            ADMIN,
            case.case_id,
            "doc_cert",
            decision="reject",
            reason="wrong_document_type",
            comment="this is a utility bill",
            expected_version=1,
        )
        decision = decided.facts.ballerine_context()["documents"][1]["decision"]
        assert decision["status"] == "rejected"
        assert (decision["reason"], decision["comment"]) == (
            "wrong_document_type",
            "this is a utility bill",
        )
        assert decision["decidedBy"] == {"id": ADMIN.id, "name": "Ada"}
        assert decision["decidedAt"]
        assert decision["rejectionReason"] == "Wrong document type: this is a utility bill"
        assert decided.state == "manual_review"  # a rejected document does not decide the case
        record = store.list_audit("demo", case.case_id)[-1]
        assert record.action == "document.decision_changed"
        assert record.details == {
            "documentId": "doc_cert",
            "documentType": "certificate_of_incorporation",
            "documentCategory": "registration",
            "previousStatus": "pending",
            "newStatus": "rejected",
            "reason": "wrong_document_type",
            "comment": "this is a utility bill",
            "entityId": "ent-1",
            "workflowDefinitionId": "risk-score-improvement-dev",
        }

    def test_unknown_document_is_404(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        with pytest.raises(NotFound):
            service.decide_document(
                store,
                execution,
                ADMIN,
                case.case_id,
                "doc_nope",
                decision="approve",
                expected_version=1,
            )

    def test_a_rejected_document_blocks_approval(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        decided = service.decide_document(
            store,
            execution,
            ADMIN,
            case.case_id,
            "doc_cert",
            decision="reject",
            reason="expired",
            expected_version=1,
        )
        options = decision_options(decided, service.definition_of(decided))
        assert options["approve"]["allowed"] is False and options["reject"]["allowed"] is True
        with pytest.raises(TransitionNotAllowed) as raised:
            service.decide_case(
                store, execution, ADMIN, case.case_id, decision="approve", expected_version=2
            )
        assert raised.value.details["blockingDocuments"] == ["doc_cert"]

    def test_reupload_marks_wait_until_the_reviewer_sends_one_round(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        marked = case.version
        for document_id, reason in (
            ("doc_license", "expired"),
            ("doc_cert", "blurry_or_unreadable"),
        ):
            decided = service.decide_document(
                store,
                execution,
                ADMIN,
                case.case_id,
                document_id,
                decision="revision",
                reason=reason,
                comment=f"please resend {document_id}",
                expected_version=marked,
            )
            marked = decided.version
            # A mark moves nothing: the case stays in review, the execution where it was.
            assert decided.state == "manual_review" and not decided.collection_rounds
        documents = decided.facts.ballerine_context()["documents"]
        assert documents[1]["decision"]["revisionReason"] == (
            "Blurry or unreadable: please resend doc_cert"
        )
        assert execution.entered == ["manual_review"]
        sent = service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="missing_pages",
            comment="two documents",
            expected_version=marked,
            new_types=[NewDocumentType(type="utility_bill", category="proof_of_address")],
        )
        assert sent.state == "revision"
        (round_,) = sent.collection_rounds
        assert round_.number == 1 and round_.is_open
        assert [(r.document_id, r.type, r.reason) for r in round_.requested] == [
            ("doc_license", documents[0]["type"], "expired"),
            ("doc_cert", documents[1]["type"], "blurry_or_unreadable"),
            (None, "utility_bill", None),
        ]
        changed = store.list_audit("demo", case.case_id)[-1]
        assert changed.action == "case.state_changed"
        assert changed.details["collectionRound"] == 1
        assert execution.entered == ["manual_review", "revision"]

    def test_asking_for_a_type_the_case_has_is_refused(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        doc = case.documents[0]
        with pytest.raises(InvalidRequest) as raised:
            service.decide_case(
                store,
                execution,
                ADMIN,
                case.case_id,
                decision="revision",
                reason="missing_pages",
                expected_version=1,
                new_types=[NewDocumentType(type=doc.type, category=doc.category)],
            )
        assert raised.value.details[0]["path"] == "requestDocuments[0]"

    def test_resubmitted_event_closes_the_open_round(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        sent = service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="expired",
            expected_version=1,
        )
        back = service.send_integrator_event(
            store, execution, tenant_id="demo", case_id=case.case_id, name="resubmitted"
        )
        assert back.state == "manual_review" and sent.open_round is not None
        assert back.open_round is None
        assert back.collection_rounds[0].completed_by == "integrator"
        changed = store.list_audit("demo", case.case_id)[-1]
        assert changed.details["collectionRound"] == 1


class TestAutoResolve:
    def test_deciding_every_document_decides_the_case(
        self, store: InMemoryCaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auto = auto_resolving_definition()
        monkeypatch.setattr(service, "get_definition", lambda *_, **__: auto)
        execution = FakeExecution(auto)
        case = make_case(store)
        park(store, execution, case.case_id)
        first = approve_document(store, execution, case.case_id, "doc_license", 1)
        assert first.state == "manual_review"
        second = approve_document(store, execution, case.case_id, "doc_cert", 2)
        assert (second.state, second.status) == ("approved", "completed")
        assert actions(store, case.case_id)[-3:] == [
            "document.decision_changed",
            "case.state_changed",
            "case.completed",
        ]
        assert execution.entered == ["manual_review", "approved"]

    def test_a_decision_in_the_run_request_does_not_count(
        self, store: InMemoryCaseStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        auto = auto_resolving_definition()
        monkeypatch.setattr(service, "get_definition", lambda *_, **__: auto)
        forged = {"status": "approved", "decidedBy": {"id": "u-admin", "name": "Mallory"}}
        request = RunRequest.model_validate(
            {
                "workflowId": "risk-score-improvement-dev",
                "context": {
                    "entity": {"id": "ent-9", "type": "business", "data": {}},
                    "documents": [
                        {"id": "doc_license", "type": "drivers_license", "category": "id"},
                        {
                            "id": "doc_cert",
                            "type": "certificate",
                            "category": "registration",
                            "decision": forged,
                        },
                    ],
                },
            }
        )
        case = run_workflow(request, tenant_id="demo", store=store, pages=NoPages()).case
        execution = FakeExecution(auto)
        park(store, execution, case.case_id)
        decided = approve_document(store, execution, case.case_id, "doc_license", 1)
        # The certificate is still undecided, so deciding the licence decides nothing more.
        assert (decided.state, decided.status) == ("manual_review", "active")
        assert [d.status for d in decided.documents] == ["approved", "pending"]
        assert execution.entered == ["manual_review"]


def approve_document(
    store: InMemoryCaseStore, execution: FakeExecution, case_id: str, document_id: str, version: int
) -> Case:
    return service.decide_document(
        store, execution, ADMIN, case_id, document_id, decision="approve", expected_version=version
    )


class NoPages:
    def put_page(self, key: str, content: bytes, content_type: str) -> None:
        raise AssertionError("no inline pages here")


def auto_resolving_definition() -> WorkflowDefinition:
    base = get_definition("risk-score-improvement-dev", 1)
    return WorkflowDefinition.model_validate(
        {
            **base.model_dump(by_alias=True),
            "policy": {
                "approveRequiresNoRejectedOrRevisionDocuments": True,
                "autoResolveWhenAllDocumentsDecided": True,
            },
        }
    )


class TestReuploadLoopAndTheExecution:
    def test_resubmitted_event_returns_the_case_to_review(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        service.decide_document(
            store,
            execution,
            ADMIN,
            case.case_id,
            "doc_cert",
            decision="revision",
            reason="missing_pages",
            expected_version=1,
        )
        service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="missing_pages",
            expected_version=2,
        )
        with pytest.raises(InvalidRequest):
            service.send_integrator_event(
                store, execution, tenant_id="demo", case_id=case.case_id, name="approve"
            )
        with pytest.raises(InvalidRequest):
            service.send_integrator_event(
                store, execution, tenant_id="demo", case_id=case.case_id, name="nonsense"
            )
        back = service.send_integrator_event(
            store,
            execution,
            tenant_id="demo",
            case_id=case.case_id,
            name="resubmitted",
            payload={"note": "uploaded again"},
        )
        assert back.state == "manual_review"
        assert back.facts.ballerine_context()["documents"][1]["decision"]["status"] == "pending"
        with pytest.raises(TransitionNotAllowed) as raised:
            service.send_integrator_event(
                store, execution, tenant_id="demo", case_id=case.case_id, name="resubmitted"
            )
        assert raised.value.details["allowedEvents"] == []
        # The execution's token for `revision` had not been parked when `resubmitted` came.
        assert execution.entered == ["manual_review", "revision"]
        park(store, execution, case.case_id)
        assert execution.entered == ["manual_review", "revision", "manual_review"]
        park(store, execution, case.case_id)
        service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=4
        )
        assert execution.entered == [
            "manual_review",
            "revision",
            "manual_review",
            "approved",
        ]
        assert len(execution.sent) == 3

    def test_decisions_before_the_first_token_are_delivered_in_order(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)  # the execution has not parked its first token yet
        service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="expired",
            expected_version=1,
        )
        service.send_integrator_event(
            store, execution, tenant_id="demo", case_id=case.case_id, name="resubmitted"
        )
        service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=3
        )
        assert execution.sent == []
        for _ in range(3):
            park(store, execution, case.case_id)
        assert execution.entered == ["manual_review", "revision", "manual_review", "approved"]
        final = store.get_case("demo", case.case_id)
        assert final.undelivered_transitions() == [] and final.execution_inflight is None

    def test_a_failed_send_is_kept_and_resent_once(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        execution.failures_left = 2
        decided = service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=1
        )
        assert decided.state == "approved"  # the decision is kept
        assert execution.sent == []
        with pytest.raises(ConnectionError):  # the queue's first retry still fails
            sync_execution(store, execution, tenant_id="demo", case_id=case.case_id)
        assert sync_execution(store, execution, tenant_id="demo", case_id=case.case_id) == (
            "in_sync"
        )
        assert sync_execution(store, execution, tenant_id="demo", case_id=case.case_id) == (
            "in_sync"
        )
        assert execution.entered == ["manual_review", "approved"]
        assert len(execution.sent) == 1

    def test_a_redelivered_token_whose_send_failed_is_sent_again(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)  # decided before the execution parks its first token
        service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=1
        )
        token = execution.issue_token()
        redelivery = {
            "store": store,
            "tenant_id": "demo",
            "case_id": case.case_id,
            "state": "manual_review",
            "task_token": token,
        }
        execution.failures_left = 1
        assert park_task_token(**redelivery) == "parked"
        with pytest.raises(ConnectionError):
            sync_execution(store, execution, tenant_id="demo", case_id=case.case_id)
        # SQS brings the same message back: the token is not parked again, but still in flight.
        assert park_task_token(**redelivery) == "in_flight"
        assert sync_execution(store, execution, tenant_id="demo", case_id=case.case_id) == (
            "in_sync"
        )
        assert execution.entered == ["manual_review", "approved"]
        assert park_task_token(**redelivery) == "refused"  # delivered: a later copy is refused

    def test_a_redelivered_used_token_is_never_parked_again(
        self, store: InMemoryCaseStore, execution: FakeExecution
    ) -> None:
        case = make_case(store)
        park(store, execution, case.case_id)
        service.decide_case(
            store,
            execution,
            ADMIN,
            case.case_id,
            decision="revision",
            reason="expired",
            expected_version=1,
        )
        used = execution.sent[-1][0]
        park(store, execution, case.case_id)  # the token for `revision`
        service.send_integrator_event(
            store, execution, tenant_id="demo", case_id=case.case_id, name="resubmitted"
        )
        # SQS delivers the first token again while the execution is back in manual_review.
        assert (
            park_task_token(
                store,
                tenant_id="demo",
                case_id=case.case_id,
                state="manual_review",
                task_token=used,
            )
            == "refused"
        )
        park(store, execution, case.case_id)
        service.decide_case(
            store, execution, ADMIN, case.case_id, decision="approve", expected_version=3
        )
        assert execution.entered[-1] == "approved"
