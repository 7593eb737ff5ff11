"""SLA timers on the in-memory stores: armed per state entry, stale timers do nothing, a breach
flags, audits and escalates once, time in a state without an SLA does not count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.cases.store import InMemoryCaseStore
from chalicelib.models.case import Actor, AuditRecord, Case, DecidedBy, PendingApproval
from chalicelib.models.sla import SlaSettings
from chalicelib.sla.settings import InMemorySlaSettingsStore
from chalicelib.sla.timers import arm, fire, rearm, sla_status

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Queue:
    def __init__(self) -> None:
        self.scheduled: list[tuple[dict[str, Any], float]] = []

    def schedule(self, message: dict[str, Any], delay_seconds: float) -> None:
        self.scheduled.append((message, delay_seconds))


def setup(seconds: float = 3600, escalate_to: str | None = None) -> tuple[Any, ...]:
    cases, settings, queue = InMemoryCaseStore(), InMemorySlaSettingsStore(), Queue()
    settings.put(
        "demo",
        SlaSettings(
            workflows={"kyc-manual-review": {"manual_review": seconds}}, escalate_to=escalate_to
        ),
    )
    case = Case(
        case_id="case_1",
        tenant_id="demo",
        workflow_definition_id="kyc-manual-review",
        workflow_definition_version=1,
        state="manual_review",
        created_at=iso(T0),
        updated_at=iso(T0),
        entity_type="individual",
        entity_id="e-1",
        ballerine_entity_id="ent_1",
        entity_name="Jane",
        context={},
        assignee_id="alice",
    )
    audit = AuditRecord(
        event_id="evt_0", tenant_id="demo", case_id="case_1", action="case.created",
        at=iso(T0), actor=Actor(type="integrator", id="k"),
    )  # fmt: skip
    cases.create_case(case, audit)
    return cases, settings, queue


def armed(
    cases: Any, settings: Any, queue: Any, state: str = "manual_review", at: datetime = T0
) -> Any:
    return arm(
        cases, settings, queue, tenant_id="demo", case_id="case_1", state=state,
        entered_at=iso(at), now=at,
    )  # fmt: skip


def test_armed_once_per_entry_with_the_tenant_override() -> None:
    cases, settings, queue = setup(seconds=3600)
    timer = armed(cases, settings, queue)
    assert timer.due_at == iso(T0 + timedelta(hours=1)) and timer.generation == 1
    assert armed(cases, settings, queue).generation == 1  # a redelivered event
    assert len(queue.scheduled) == 1 and queue.scheduled[0][1] == 3600


def test_status_on_track_at_risk_breached() -> None:
    cases, settings, queue = setup(seconds=1000)
    timer = armed(cases, settings, queue)
    assert sla_status(timer, T0 + timedelta(seconds=799)) == "on_track"
    assert sla_status(timer, T0 + timedelta(seconds=800)) == "at_risk"
    assert sla_status(timer, T0 + timedelta(seconds=1000)) == "breached"


def test_a_breach_flags_audits_and_escalates_once() -> None:
    cases, settings, queue = setup(seconds=60)
    armed(cases, settings, queue)
    ((message, _),) = queue.scheduled
    assert fire(cases, settings, queue, message["slaTimer"], T0 + timedelta(seconds=61))
    case = cases.get_case("demo", "case_1")
    assert "sla_breached" in case.flags and "escalated" in case.flags
    assert case.sla_timer.status == "breached"
    breaches = [r for r in cases.list_audit("demo", "case_1") if r.action == "case.sla_breached"]
    assert len(breaches) == 1 and breaches[0].details["state"] == "manual_review"
    assert not fire(cases, settings, queue, message["slaTimer"], T0 + timedelta(seconds=62))


def test_escalation_to_the_configured_reviewer() -> None:
    cases, settings, queue = setup(seconds=60, escalate_to="carol")
    armed(cases, settings, queue)
    fire(cases, settings, queue, queue.scheduled[0][0]["slaTimer"], T0 + timedelta(minutes=2))
    case = cases.get_case("demo", "case_1")
    assert case.assignee_id == "carol" and "escalated" not in case.flags


def test_an_early_message_waits_again_and_a_stale_one_does_nothing() -> None:
    cases, settings, queue = setup(seconds=3600)
    armed(cases, settings, queue)
    first = queue.scheduled[0][0]["slaTimer"]
    assert not fire(cases, settings, queue, first, T0 + timedelta(minutes=45))
    assert queue.scheduled[-1][1] == 15 * 60  # the rest of the wait
    # The case goes to revision (no SLA: the clock stops) and comes back: a new generation.
    case = cases.get_case("demo", "case_1")
    for state, at in (
        ("revision", T0 + timedelta(minutes=50)),
        ("manual_review", T0 + timedelta(hours=5)),
    ):
        case = cases.get_case("demo", "case_1")
        cases.update_case(
            case.model_copy(update={"state": state}), expected_version=case.version, audit=[]
        )
        armed(cases, settings, queue, state, at)
    timer = cases.get_case("demo", "case_1").sla_timer
    assert timer.generation == 3 and timer.due_at == iso(T0 + timedelta(hours=6))
    assert not fire(cases, settings, queue, first, T0 + timedelta(hours=1, minutes=1))
    assert cases.get_case("demo", "case_1").flags == []
    assert sla_status(timer, T0 + timedelta(hours=5, minutes=30)) == "on_track"


def test_a_state_without_sla_has_no_status() -> None:
    cases, settings, queue = setup()
    armed(cases, settings, queue)
    case = cases.get_case("demo", "case_1")
    cases.update_case(
        case.model_copy(update={"state": "revision"}), expected_version=case.version, audit=[]
    )
    timer = armed(cases, settings, queue, "revision", T0 + timedelta(minutes=1))
    assert timer.due_at is None and sla_status(timer, T0 + timedelta(days=9)) is None


def test_rearm_after_lost_messages_keeps_the_deadline_under_a_new_generation() -> None:
    cases, settings, queue = setup(seconds=60)
    armed(cases, settings, queue)
    lost = queue.scheduled[0][0]["slaTimer"]
    later = T0 + timedelta(minutes=5)  # past the deadline: due at once
    assert rearm(cases, settings, queue, "case_1", "demo", later) == "rearmed"
    timer = cases.get_case("demo", "case_1").sla_timer
    assert timer.generation == 2 and timer.due_at == iso(T0 + timedelta(seconds=60))
    message, delay = queue.scheduled[-1]
    assert delay == 0 and message["slaTimer"]["generation"] == 2
    assert not fire(cases, settings, queue, lost, later)  # a message from before is stale
    assert fire(cases, settings, queue, message["slaTimer"], later)
    assert rearm(cases, settings, queue, "case_1", "demo", later) == "unchanged"  # breached


def test_rearm_arms_a_case_whose_arming_event_was_lost_from_its_state_entry() -> None:
    cases, settings, queue = setup(seconds=3600)
    assert cases.get_case("demo", "case_1").sla_timer is None
    assert rearm(cases, settings, queue, "case_1", "demo", T0 + timedelta(minutes=10)) == "armed"
    timer = cases.get_case("demo", "case_1").sla_timer
    assert timer.generation == 1 and timer.due_at == iso(T0 + timedelta(hours=1))
    assert queue.scheduled[-1][1] == 50 * 60


def test_a_pending_second_approval_stays_pending_and_moves_with_the_escalation() -> None:
    cases, settings, queue = setup(seconds=60, escalate_to="carol")
    armed(cases, settings, queue)
    case = cases.get_case("demo", "case_1")
    pending = PendingApproval(
        decision="approve", evidence_digest="sha256:x", maker=DecidedBy(id="alice"),
        requested_at=iso(T0),
    )  # fmt: skip
    cases.update_case(
        case.model_copy(update={"pending_approval": pending}),
        expected_version=case.version,
        audit=[],
    )
    assert fire(cases, settings, queue, queue.scheduled[0][0]["slaTimer"], T0 + timedelta(hours=1))
    escalated = cases.get_case("demo", "case_1")
    assert escalated.assignee_id == "carol" and escalated.pending_approval == pending
    assert escalated.state == "manual_review" and escalated.status == "active"
