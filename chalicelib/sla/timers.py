"""SLA timers: armed when a case enters a state with an SLA, fired at its deadline.

Arming (after `case.created` / `case.state_changed`) writes the case's `sla_timer` with a new
generation and schedules a timer message; a state without an SLA (e.g. `revision`, waiting for
the customer) disarms it, so that time never counts. A timer message that arrives early is
scheduled again for the rest (a queue delays at most 15 minutes); one whose generation,
state or deadline the case no longer carries does nothing. A breach flags the case, records
`case.sla_breached` (audited, published, a webhook) and escalates it: to the tenant's
escalation reviewer, or into the `escalated` queue of the inbox (the flag). A pending second
approval stays pending: the escalation changes only the assignee and the flags.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from chalicelib.cases.store import CaseStore
from chalicelib.errors import VersionConflict
from chalicelib.ids import new_id
from chalicelib.models.case import Actor, AuditRecord, Case, SlaTimer
from chalicelib.models.sla import BusinessHours
from chalicelib.sla.calendar import deadline
from chalicelib.sla.settings import SlaSettingsStore
from chalicelib.workflows.registry import get_definition

SLA_BREACHED = "sla_breached"
ESCALATED = "escalated"
AT_RISK_SHARE = 0.8
MAX_ATTEMPTS = 5
SYSTEM = Actor(type="system", id="sla-timer", name="SLA timer")
SlaStatus = Literal["on_track", "at_risk", "breached"]


class TimerQueue(Protocol):
    def schedule(self, message: dict[str, Any], delay_seconds: float) -> None: ...


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def sla_rule(case: Case, settings: SlaSettingsStore) -> tuple[float, BusinessHours | None] | None:
    """The SLA of the case's state, in (business) seconds, and the calendar its clock runs on:
    the tenant's override, else its definition's; None without an SLA. The tenant's business
    hours replace the definition's."""
    tenant = settings.get(case.tenant_id)
    definition = get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=case.tenant_id
    )
    spec = definition.sla.get(case.state)
    override = tenant.workflows.get(case.workflow_definition_id, {})
    if case.state in override:
        seconds = override[case.state]
    elif spec is not None:
        seconds = spec.hours * 3600
    else:
        return None
    calendar = tenant.business_hours or (spec.business_hours if spec else None)
    return seconds, calendar


def sla_status(timer: SlaTimer | None, now: datetime) -> SlaStatus | None:
    """on_track, at_risk (80 % of the budget gone) or breached; None without a timer."""
    if timer is None or timer.due_at is None:
        return None
    if timer.status == "breached":
        return "breached"
    due = _time(timer.due_at)
    if now >= due:
        return "breached"
    if timer.at_risk_at is not None:
        return "at_risk" if now >= _time(timer.at_risk_at) else "on_track"
    # A timer armed before `at_risk_at` was kept: the budget ran round the clock.
    entered = _time(timer.entered_at) if timer.entered_at else None
    if entered is not None and due > entered and (now - entered) / (due - entered) >= AT_RISK_SHARE:
        return "at_risk"
    return "on_track"


def timer_message(tenant_id: str, case_id: str, timer: SlaTimer) -> dict[str, Any]:
    return {
        "slaTimer": {
            "tenantId": tenant_id,
            "caseId": case_id,
            "generation": timer.generation,
            "state": timer.state,
            "dueAt": timer.due_at,
        }
    }


def arm(
    cases: CaseStore,
    settings: SlaSettingsStore,
    queue: TimerQueue,
    *,
    tenant_id: str,
    case_id: str,
    state: str,
    entered_at: str,
    now: datetime,
) -> SlaTimer | None:
    """(Re)arm the timer of `state`, entered at `entered_at`, if the case is still there; disarm
    it in a state without an SLA or once the case is closed. Idempotent: a redelivered event
    finds the timer of this entry already armed and does nothing; an event the case has moved
    past does nothing either (the later one arms)."""
    for _ in range(MAX_ATTEMPTS):
        case = cases.get_case(tenant_id, case_id)
        if case is None or case.state != state:
            return None
        current = case.sla_timer
        rule = sla_rule(case, settings) if case.status == "active" else None
        if (
            current is not None
            and current.state == case.state
            and rule is not None
            and current.entered_at is not None
            and current.entered_at >= entered_at
        ):
            return current  # armed for this entry (or a later one) already
        if rule is None and (current is None or current.due_at is None):
            return current
        generation = (current.generation if current else 0) + 1
        if rule is None:
            # Disarmed: the new state has no SLA, the case is closed; stale messages do nothing.
            timer = SlaTimer(state=case.state, generation=generation, entered_at=entered_at)
        else:
            seconds, calendar = rule
            entered = _time(entered_at)
            timer = SlaTimer(
                state=case.state,
                due_at=_iso(deadline(entered, seconds, calendar)),
                at_risk_at=_iso(deadline(entered, seconds * AT_RISK_SHARE, calendar)),
                generation=generation,
                entered_at=entered_at,
            )
        expected = current.generation if current else None
        if cases.set_sla_timer(tenant_id, case_id, timer, expected_generation=expected):
            if timer.due_at is not None:
                delay = (_time(timer.due_at) - now).total_seconds()
                queue.schedule(timer_message(tenant_id, case_id, timer), max(0.0, delay))
            return timer
    raise VersionConflict("the case's SLA timer kept changing")


def fire(
    cases: CaseStore,
    settings: SlaSettingsStore,
    queue: TimerQueue,
    message: dict[str, Any],
    now: datetime,
) -> bool:
    """Handle a timer message: True if it breached the case."""
    tenant_id, case_id = message["tenantId"], message["caseId"]
    due = _time(message["dueAt"])
    if now < due:
        queue.schedule({"slaTimer": message}, (due - now).total_seconds())
        return False
    for _ in range(MAX_ATTEMPTS):
        case = cases.get_case(tenant_id, case_id)
        timer = case.sla_timer if case else None
        if (
            case is None
            or timer is None
            or case.status != "active"
            or timer.generation != message["generation"]
            or timer.state != message["state"]
            or timer.due_at != message["dueAt"]
            or timer.status == "breached"
        ):
            return False  # a stale timer: paused, decided or re-armed since
        try:
            _breach(cases, settings, case, timer, now)
        except VersionConflict:
            continue
        breached = timer.model_copy(update={"status": "breached"})
        cases.set_sla_timer(tenant_id, case_id, breached, expected_generation=timer.generation)
        return True
    raise VersionConflict("the case kept changing while its SLA breach was recorded")


def _breach(
    cases: CaseStore, settings: SlaSettingsStore, case: Case, timer: SlaTimer, now: datetime
) -> None:
    escalate_to = settings.get(case.tenant_id).escalate_to
    flags = [f for f in case.flags if f not in (SLA_BREACHED, ESCALATED)] + [SLA_BREACHED]
    assignee = case.assignee_id
    if escalate_to and escalate_to != case.assignee_id:
        assignee = escalate_to
    elif not escalate_to:
        flags.append(ESCALATED)
    at = _iso(now)
    audit = AuditRecord(
        event_id=new_id("evt"),
        tenant_id=case.tenant_id,
        case_id=case.case_id,
        action="case.sla_breached",
        at=at,
        actor=SYSTEM,
        before={"flags": case.flags, "assigneeId": case.assignee_id},
        after={"flags": flags, "assigneeId": assignee},
        details={
            "state": timer.state,
            "dueAt": timer.due_at,
            "enteredAt": timer.entered_at,
            "generation": timer.generation,
            "escalatedTo": escalate_to,
            "entityId": case.entity_id,
            "workflowDefinitionId": case.workflow_definition_id,
            "caseCreatedAt": case.created_at,
        },
    )
    updated = case.model_copy(update={"flags": flags, "assignee_id": assignee, "updated_at": at})
    cases.update_case(updated, expected_version=case.version, audit=audit)


def state_entered_at(cases: CaseStore, case: Case) -> str:
    """When the case last entered its state, from its audit trail (its creation otherwise)."""
    entries = [
        record.at
        for record in cases.list_audit(case.tenant_id, case.case_id)
        if (record.after or {}).get("state") == case.state
    ]
    return max(entries, default=case.created_at)


def rearm(
    cases: CaseStore, settings: SlaSettingsStore, queue: TimerQueue, case_id: str, tenant_id: str,
    now: datetime,
) -> Literal["rearmed", "armed", "disarmed", "unchanged"]:  # fmt: skip
    """After timer messages may have been lost (a restart, a purged queue): an open case keeps
    its deadline under a new generation and gets a new message (due at once if the deadline
    has passed; older messages become stale); a case without a timer for its state (its
    arming or disarming event was lost) is armed from when it entered the state, or
    disarmed."""
    for _ in range(MAX_ATTEMPTS):
        case = cases.get_case(tenant_id, case_id)
        if case is None or case.status != "active":
            return "unchanged"
        current = case.sla_timer
        if current is not None and current.state == case.state:
            if current.due_at is None or current.status == "breached":
                return "unchanged"
            timer = current.model_copy(update={"generation": current.generation + 1})
            if cases.set_sla_timer(
                tenant_id, case_id, timer, expected_generation=current.generation
            ):
                delay = (_time(current.due_at) - now).total_seconds()
                queue.schedule(timer_message(tenant_id, case_id, timer), max(0.0, delay))
                return "rearmed"
            continue
        if current is None and sla_rule(case, settings) is None:
            return "unchanged"
        # No timer for this state: its arming (or disarming) event was lost.
        armed = arm(
            cases, settings, queue, tenant_id=tenant_id, case_id=case_id, state=case.state,
            entered_at=state_entered_at(cases, case), now=now,
        )  # fmt: skip
        if armed is None:
            return "unchanged"
        return "armed" if armed.due_at is not None else "disarmed"
    raise VersionConflict("the case's SLA timer kept changing")
