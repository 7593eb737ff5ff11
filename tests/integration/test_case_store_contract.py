"""One contract, two case stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.aws.dynamodb import DynamoCaseStore
from chalicelib.aws.s3 import S3DocumentStorage
from chalicelib.cases.inbox import InboxQuery
from chalicelib.cases.store import ActiveCaseExists, CaseStore, InMemoryCaseStore
from chalicelib.config import get_settings
from chalicelib.errors import VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.case import (
    Actor,
    AuditRecord,
    Case,
    CollectionRound,
    DecidedBy,
    DocumentDecision,
    DocumentRecord,
    HitResolution,
    NoteRecord,
    PageSet,
    PageStorage,
    PendingApproval,
    PluginResult,
    SlaTimer,
    WorkflowTransition,
)


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryCaseStore()
    else:
        request.getfixturevalue("local_aws")
        settings = get_settings()
        yield DynamoCaseStore(settings.cases_table, S3DocumentStorage(settings.documents_bucket))


def make_case(tenant: str = "demo", entity: str = "e-1", **changes: Any) -> Case:
    now = utc_now()
    case = Case(
        case_id=new_id("case"),
        tenant_id=tenant,
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        state="manual_review",
        created_at=now,
        updated_at=now,
        entity_type="individual",
        entity_id=entity,
        ballerine_entity_id="ent_1",
        entity_name="Jane Doe",
        context={"entity": {"id": entity}, "documents": [], "n": 1.5},
        page_storage={
            "page_1": PageStorage(status="pending", source_uri="https://x/1.png", updated_at=now)
        },
    )
    return case.model_copy(update=changes)


def audit(case: Case, action: str = "case.created") -> AuditRecord:
    return AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action=action,
        at=utc_now(),
        actor=Actor(type="system", id="test"),
    )


class TestCaseStoreContract:
    def test_create_and_read_back(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        assert store.get_case("demo", case.case_id) == case
        assert store.get_case("acme", case.case_id) is None
        assert store.find_active_case_id("demo", "kyc-manual-review", "e-1") == case.case_id
        assert [a.action for a in store.list_audit("demo", case.case_id)] == ["case.created"]

    def test_one_active_case_per_entity_and_workflow(self, store: CaseStore) -> None:
        first = make_case()
        store.create_case(first, audit(first))
        second = make_case()
        with pytest.raises(ActiveCaseExists) as raised:
            store.create_case(second, audit(second))
        assert raised.value.case_id == first.case_id
        assert store.get_case("demo", second.case_id) is None
        other_tenant = make_case(tenant="acme")
        store.create_case(other_tenant, audit(other_tenant))

    def test_update_is_conditional_on_version(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        changed = case.model_copy(update={"state": "revision"})
        updated = store.update_case(changed, expected_version=1, audit=audit(case, "x"))
        assert updated.version == 2
        with pytest.raises(VersionConflict):
            store.update_case(changed, expected_version=1, audit=audit(case, "lost"))
        assert store.get_case("demo", case.case_id).state == "revision"
        assert [a.action for a in store.list_audit("demo", case.case_id)] == ["case.created", "x"]

    def test_update_never_overwrites_page_storage(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        fetched = PageStorage(status="stored", key="k", updated_at=utc_now())
        store.set_page_storage("demo", case.case_id, "page_1", fetched, audit(case, "fetched"))
        stale_copy = case.model_copy(update={"entity_name": "Jane Q. Doe"})
        new_page = PageStorage(status="pending", source_uri="https://x/2.png", updated_at=utc_now())
        store.update_case(
            stale_copy,
            expected_version=1,
            audit=audit(case, "rerun"),
            new_page_storage={"page_2": new_page},
        )
        stored = store.get_case("demo", case.case_id)
        assert stored.page_storage["page_1"].status == "stored"
        assert stored.page_storage["page_2"].status == "pending"
        assert stored.entity_name == "Jane Q. Doe"

    def test_completing_releases_the_entity(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        done = case.model_copy(
            update={"status": "completed", "state": "approved", "resolved_at": utc_now()}
        )
        store.update_case(done, expected_version=1, audit=audit(case, "case.completed"))
        assert store.find_active_case_id("demo", "kyc-manual-review", "e-1") is None
        again = make_case()
        store.create_case(again, audit(again))

    def test_a_search_names_the_sources_that_matched_and_follows_changes(
        self, store: CaseStore
    ) -> None:
        entity = {"id": "e-1", "data": {"firstName": "Jane", "email": "jane@x.io"}}
        case = make_case(context={"entity": entity, "documents": []})
        store.create_case(case, audit(case))

        def matched(q: str) -> list[frozenset[str]]:
            query = InboxQuery(tenant_id="demo", statuses=("active",), assignees=None, search=q)
            return [row.matched_in for row in store.inbox_page(query, None).rows]

        # "jane" starts the name ("Jane Doe"), its first word, the first name and the email.
        assert matched("jane") == [{"name", "firstName", "email"}]
        assert matched("doe") == [{"name"}]
        assert matched("e-1") == [{"entityId"}]
        # A term whose sources change is written again (the same term, new sources).
        moved = {"id": "e-1", "data": {"firstName": "Jane", "email": "doe@x.io"}}
        changed = case.model_copy(update={"context": {"entity": moved, "documents": []}})
        store.update_case(changed, expected_version=1, audit=audit(case, "x"), previous=case)
        assert matched("doe") == [{"name", "email"}]
        assert matched("jane") == [{"name", "firstName"}]

    def test_task_token_is_parked_only_in_its_state(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        assert not store.park_task_token("demo", case.case_id, "revision", "t0", audit(case))
        assert store.park_task_token("demo", case.case_id, "manual_review", "t1", audit(case))
        stored = store.get_case("demo", case.case_id)
        assert (stored.task_token, stored.task_token_state) == ("t1", "manual_review")

    def test_list_pages_newest_first_within_tenant(self, store: CaseStore) -> None:
        cases = [make_case(entity=f"e-{n}") for n in range(5)]
        for case in cases:
            store.create_case(case, audit(case))
        other = make_case(tenant="acme")
        store.create_case(other, audit(other))
        seen: list[str] = []
        start = None
        while True:
            page = store.list_cases("demo", status="active", limit=2, start_key=start)
            seen += [c.case_id for c in page.cases]
            start = page.last_key
            if not start:
                break
        assert seen == [c.case_id for c in reversed(cases)]
        assert store.list_cases("demo", status="completed", limit=10, start_key=None).cases == []


class TestTheCasesOwnRecords:
    """The system's records live beside the integrator's context and round-trip whole."""

    def test_records_round_trip_and_follow_versioned_writes(self, store: CaseStore) -> None:
        now = utc_now()
        case = make_case(
            context={
                "entity": {"id": "e-1"},
                "documents": [
                    {"id": "doc_1", "type": "passport", "category": "id", "pages": [{"id": "p1"}]}
                ],
                # What the integrator wrote stays its own, whatever it claims.
                "pluginsOutput": {"kyc": {"score": 0.5}},
            },
            document_records={
                "doc_1": DocumentRecord(
                    decision=DocumentDecision(
                        status="rejected",
                        reason="expired",
                        decided_by=DecidedBy(id="u-1", name="Ada"),
                        decided_at=now,
                        rejection_reason="Expired",
                    ),
                    page_history=[
                        PageSet(
                            replaced_at=now,
                            pages=[{"id": "p0", "provider": "http", "metadata": {"n": 2.5}}],
                        )
                    ],
                )
            },
            vendor_results={
                "kyc": PluginResult(
                    plugin="kyc",
                    provider="http",
                    status="succeeded",
                    data={"score": 0.25, "hits": [{"id": "h1"}]},
                    started_at=now,
                    finished_at=now,
                    input_digest="d",
                )
            },
            hit_resolutions={
                "h1": HitResolution(
                    plugin="kyc",
                    status="dismissed",
                    reason="another person",
                    by=DecidedBy(id="u1", name="Ann"),
                    at=now,
                )
            },
            collection_rounds=[CollectionRound(round_id="r1", document_ids=["doc_1"], sent_at=now)],
            sla_timer=SlaTimer(state="manual_review", due_at=now),
        )
        store.create_case(case, audit(case))
        stored = store.get_case("demo", case.case_id)
        assert stored == case
        assert stored.documents[0].decision.status == "rejected"
        (page,) = stored.documents[0].page_history[0].document_pages
        assert (page.id, page.provider, page.metadata) == ("p0", "http", {"n": 2.5})

        approval = PendingApproval(
            decision="approve",
            evidence_digest="d1",
            maker=DecidedBy(id="u-1"),
            requested_at=now,
            evidence_parts={"context": "c1", "page_storage": "p1"},
            state="manual_review",
            criteria_override={
                "by": {"id": "u-1", "name": "Ann"},
                "justification": "checked",
                "criteria": [{"id": "c", "status": "unknown", "enforced": True}],
            },
        )
        changed = stored.model_copy(deep=True, update={"pending_approval": approval})
        changed.document_record("doc_1").decision = DocumentDecision()
        changed.sla_timer = None  # the SLA timers own it: a case write leaves it as it is
        store.update_case(changed, expected_version=1, audit=audit(case, "x"))
        again = store.get_case("demo", case.case_id)
        assert again.pending_approval == approval
        assert again.sla_timer == case.sla_timer
        assert again.documents[0].decision == DocumentDecision()
        assert again.documents[0].page_history == case.documents[0].page_history
        assert again.context == case.context

    def test_a_decision_inside_the_context_is_not_a_record(self, store: CaseStore) -> None:
        case = make_case(
            context={
                "entity": {"id": "e-1"},
                "documents": [
                    {
                        "id": "doc_1",
                        "type": "passport",
                        "category": "id",
                        "decision": {"status": "approved"},
                        "pageHistory": [{"replacedAt": "x", "pages": [{"id": "p0"}]}],
                    }
                ],
            }
        )
        store.create_case(case, audit(case))
        stored = store.get_case("demo", case.case_id)
        assert stored.context == case.context
        (document,) = stored.documents
        assert (document.decision.status, document.page_history) == ("pending", [])
        assert stored.documents_needing_decision == 1


class TestSeveralFactsAndTheWorkflowSync:
    """update_case with several audit records; the parker and the sync's own writes."""

    def test_several_audit_records_commit_together_or_not_at_all(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        done = case.model_copy(update={"state": "approved", "status": "completed"})
        records = [audit(case, "case.state_changed"), audit(case, "case.completed")]
        store.update_case(done, expected_version=1, audit=records)
        with pytest.raises(VersionConflict):
            store.update_case(done, expected_version=1, audit=[audit(case, "lost"), audit(case)])
        assert [a.action for a in store.list_audit("demo", case.case_id)] == [
            "case.created",
            "case.state_changed",
            "case.completed",
        ]

    def test_transitions_are_kept_and_sync_fields_are_not_overwritten(
        self, store: CaseStore
    ) -> None:
        case = make_case(execution_state="manual_review")
        store.create_case(case, audit(case))
        assert store.park_task_token("demo", case.case_id, "manual_review", "t1", audit(case))
        step = WorkflowTransition(
            seq=1, event="revision", from_state="manual_review", to_state="revision", at=utc_now()
        )
        moved = case.model_copy(update={"state": "revision", "workflow_transitions": [step]})
        store.update_case(moved, expected_version=1, audit=audit(case, "case.state_changed"))
        stored = store.get_case("demo", case.case_id)
        assert stored.workflow_transitions == [step]
        # The versioned write leaves the parked token and the execution's position alone.
        assert (stored.task_token, stored.execution_state) == ("t1", "manual_review")
        assert stored.undelivered_transitions() == [step]

    def test_token_parks_for_the_state_the_execution_waits_in(self, store: CaseStore) -> None:
        # The case moved on (revision) before the execution parked its first token.
        case = make_case(state="revision", execution_state="manual_review")
        store.create_case(case, audit(case))
        assert not store.park_task_token("demo", case.case_id, "revision", "t0", audit(case))
        assert store.park_task_token("demo", case.case_id, "manual_review", "t1", audit(case))

    def test_claim_is_exclusive_moves_the_execution_and_retires_the_token(
        self, store: CaseStore
    ) -> None:
        step = WorkflowTransition(
            seq=1, event="revision", from_state="manual_review", to_state="revision", at=utc_now()
        )
        case = make_case(
            state="revision", execution_state="manual_review", workflow_transitions=[step]
        )
        store.create_case(case, audit(case))
        assert not store.claim_transition(
            "demo", case.case_id, step, "t1", "9999"
        )  # nothing parked
        store.park_task_token("demo", case.case_id, "manual_review", "t1", audit(case))
        assert store.claim_transition("demo", case.case_id, step, "t1", "9999")
        assert not store.claim_transition("demo", case.case_id, step, "t1", "9999")
        stored = store.get_case("demo", case.case_id)
        assert stored.execution_inflight is not None and stored.execution_inflight.token == "t1"
        assert (stored.execution_delivered, stored.execution_state) == (1, "revision")
        assert stored.task_token is None
        # The execution's next token parks at once; a redelivered old token never does.
        assert not store.park_task_token("demo", case.case_id, "revision", "t1", audit(case))
        assert store.park_task_token("demo", case.case_id, "revision", "t2", audit(case))
        # Of two retriers taking over the same lease, one wins; a release ("") reopens it.
        assert store.lease_transition("demo", case.case_id, 1, "9999", "")
        assert not store.lease_transition("demo", case.case_id, 1, "9999", "later")
        assert store.lease_transition("demo", case.case_id, 1, "", "later")
        assert store.get_case("demo", case.case_id).execution_inflight.lease_until == "later"
        store.finish_transition("demo", case.case_id, 1)
        stored = store.get_case("demo", case.case_id)
        assert stored.execution_inflight is None
        assert (stored.task_token, stored.task_token_state) == ("t2", "revision")
        assert stored.undelivered_transitions() == []

    def test_a_context_too_large_for_one_item_round_trips(self, store: CaseStore) -> None:
        # 100,000 "ü" escape to 600 KB: more than a DynamoDB item holds.
        case = make_case(context={"entity": {"id": "e-1"}, "documents": [], "x": "ü" * 100_000})
        case = case.model_copy(update={"config": {"y": "ß" * 50_000}})
        store.create_case(case, audit(case))
        assert store.get_case("demo", case.case_id) == case
        grown = case.model_copy(update={"context": {**case.context, "z": "🙂" * 40_000}})
        store.update_case(grown, expected_version=1, audit=audit(case, "grown"))
        assert store.get_case("demo", case.case_id).context == grown.context
        # Back under the limit, the context is inline again (and still read back whole).
        small = grown.model_copy(update={"context": {"entity": {"id": "e-1"}}, "config": {}})
        store.update_case(small, expected_version=2, audit=audit(case, "shrunk"))
        stored = store.get_case("demo", case.case_id)
        assert (stored.context, stored.config) == (small.context, {})
        listed = store.list_cases("demo", status="active", limit=5, start_key=None).cases
        assert [c.context for c in listed] == [small.context]

    def test_recent_audit_is_the_newest_records_oldest_first(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        for n in range(6):
            store.add_note(
                NoteRecord(
                    note_id=new_id("note"),
                    tenant_id="demo",
                    case_id=case.case_id,
                    text=f"note {n}",
                    author_id="r-1",
                    author_name="R",
                    created_at=utc_now(),
                ),
                audit(case, f"note.{n}"),
            )
        recent = store.recent_audit("demo", case.case_id, 3)
        assert [a.action for a in recent] == ["note.3", "note.4", "note.5"]
        assert (
            store.recent_audit("demo", case.case_id, 3)
            == store.list_audit("demo", case.case_id)[-3:]
        )


class TestSlaTimer:
    def test_the_timer_is_written_only_over_the_expected_generation(self, store: CaseStore) -> None:
        case = make_case()
        store.create_case(case, audit(case))
        now = utc_now()
        first = SlaTimer(state="manual_review", due_at=now, generation=1, entered_at=now)
        assert store.set_sla_timer("demo", case.case_id, first, expected_generation=None)
        assert not store.set_sla_timer("demo", case.case_id, first, expected_generation=None)
        second = first.model_copy(update={"generation": 2, "status": "breached"})
        assert not store.set_sla_timer("demo", case.case_id, second, expected_generation=5)
        assert store.set_sla_timer("demo", case.case_id, second, expected_generation=1)
        stored = store.get_case("demo", case.case_id)
        assert stored.sla_timer == second and stored.version == case.version
        assert not store.set_sla_timer("demo", "case_missing", first, expected_generation=None)
