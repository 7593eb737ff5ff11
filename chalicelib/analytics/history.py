"""A scripted history of case lifecycles as domain events, on an injectable clock: the local
stack's demo data (so the dashboard is not empty on first start) and the benchmarks.

The events have the shape the services write (`case.created`, `case.assigned`,
`case.state_changed`, `case.completed`, with the case's own times in their details); the
history's cases are all resolved, so they add no open cases to the live inbox's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.analytics import keys
from chalicelib.analytics.store import Aggregate, InMemoryMetricsStore
from chalicelib.ids import new_id
from chalicelib.models.case import Actor, AuditRecord
from chalicelib.models.events import DomainEvent
from chalicelib.sla.timers import SYSTEM as SLA_TIMER_ACTOR

INTEGRATOR = Actor(type="integrator", id="demo-history")
REVIEW_SLA = timedelta(hours=24)  # the bundled definitions' manual review SLA
WORKFLOWS = ("kyc-manual-review", "kyb-manual-review")


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Case:
    def __init__(self, tenant_id: str, workflow: str, created: datetime) -> None:
        self.tenant_id, self.workflow, self.created = tenant_id, workflow, created
        self.case_id = new_id("case")
        self.state = "manual_review"
        self.assignee: str | None = None
        self.assigned_at: datetime | None = None
        self.rounds = 0
        self.events: list[DomainEvent] = []

    def _emit(
        self, action: str, at: datetime, actor: Actor, details: dict[str, Any], **extra: Any
    ) -> None:
        record = AuditRecord(
            event_id=new_id("evt"),
            tenant_id=self.tenant_id,
            case_id=self.case_id,
            action=action,
            at=_iso(at),
            actor=actor,
            details={"workflowDefinitionId": self.workflow, **details},
            **extra,
        )
        self.events.append(DomainEvent.from_audit(record))

    def create(self) -> None:
        self._emit(
            "case.created",
            self.created,
            INTEGRATOR,
            {},
            after={"state": self.state, "status": "active"},
        )

    def assign(self, at: datetime, reviewer: str, by: Actor) -> None:
        first = self.assignee is None and self.assigned_at is None
        self._emit(
            "case.assigned",
            at,
            by,
            {
                "previousAssigneeId": self.assignee,
                "assigneeId": reviewer,
                "caseCreatedAt": _iso(self.created),
                "firstAssignment": first,
            },
        )
        self.assignee, self.assigned_at = reviewer, at

    def record(self, action: str, at: datetime, actor: Actor) -> None:
        """A fact counted as it is (four-eyes, overrides for the reviewer who acted; breaches)."""
        self._emit(action, at, actor, {"caseCreatedAt": _iso(self.created)})

    def move(
        self, at: datetime, actor: Actor, event: str, target: str, decision: str | None
    ) -> None:
        final = target in ("approved", "rejected")
        details: dict[str, Any] = {
            "event": event,
            "previousState": self.state,
            "newState": target,
            "caseCreatedAt": _iso(self.created),
        }
        if decision:
            self.rounds += decision == "revision"
            details |= {
                "decision": decision,
                "assignedAt": _iso(self.assigned_at) if self.assigned_at else None,
            }
        status = "completed" if final else "active"
        self._emit(
            "case.state_changed",
            at,
            actor,
            details,
            before={"state": self.state, "status": "active"},
            after={"state": target, "status": status},
        )
        if final:
            self._emit(
                "case.completed",
                at,
                actor,
                {
                    "finalState": target,
                    "decision": decision,
                    "caseCreatedAt": _iso(self.created),
                    "revisionRounds": self.rounds,
                },
            )
        self.state = target


def demo_history(
    tenant_id: str,
    reviewers: Sequence[tuple[str, str]],
    *,
    clock: Callable[[], datetime],
    days: int = 21,
    cases_per_day: tuple[int, int] = (4, 12),
    seed: int = 18,
) -> list[DomainEvent]:
    """Resolved cases created over the `days` before `clock()`, reviewed by `reviewers`
    ((id, name) pairs; the first one reassigns and is the second approver): claims after
    minutes to hours, decisions mostly approvals, some re-upload rounds and reassignments, some
    approvals confirmed or returned by a second reviewer (four-eyes), a few criteria
    overridden, a few reviews past their 24 h SLA (breached)."""
    rng = random.Random(seed)
    now = clock()
    events: list[DomainEvent] = []
    for day in range(days, 0, -1):
        start = (now - timedelta(days=day)).replace(hour=0, minute=0, second=0, microsecond=0)
        for _ in range(rng.randint(*cases_per_day)):
            created = start + timedelta(minutes=rng.uniform(7 * 60, 19 * 60))
            case = _Case(tenant_id, rng.choice(WORKFLOWS), created)
            case.create()
            reviewer_id, name = rng.choice(reviewers)
            at = created + timedelta(minutes=rng.lognormvariate(3.5, 0.9))
            case.assign(at, reviewer_id, Actor(type="reviewer", id=reviewer_id, name=name))
            if rng.random() < 0.15:
                reviewer_id, name = rng.choice(reviewers)
                at += timedelta(minutes=rng.uniform(10, 120))
                admin_id, admin_name = reviewers[0]
                case.assign(at, reviewer_id, Actor(type="reviewer", id=admin_id, name=admin_name))
            actor = Actor(type="reviewer", id=reviewer_id, name=name)
            entered, breached = created, False  # the review SLA's clock
            while True:
                at += timedelta(minutes=rng.lognormvariate(4.2, 1.0))
                if rng.random() < 0.04:  # left waiting over a busy day or two
                    at += timedelta(hours=rng.uniform(20, 40))
                if not breached and at - entered > REVIEW_SLA:
                    case.record("case.sla_breached", entered + REVIEW_SLA, SLA_TIMER_ACTOR)
                    breached = True
                roll = rng.random()
                if roll < 0.2 and case.rounds < 2:
                    case.move(at, actor, "revision", "revision", "revision")
                    at += timedelta(hours=rng.uniform(2, 30))
                    case.move(at, INTEGRATOR, "resubmitted", "manual_review", None)
                    entered, breached = at, False
                    continue
                approve = roll < 0.85
                if 0.8 < roll < 0.85:  # approved despite a failed criterion
                    case.record("case.criteria_overridden", at, actor)
                if approve and reviewer_id != reviewers[0][0] and rng.random() < 0.4:
                    checker = Actor(type="reviewer", id=reviewers[0][0], name=reviewers[0][1])
                    case.record("case.approval_pending", at, actor)
                    at += timedelta(minutes=rng.uniform(5, 240))
                    if rng.random() < 0.2:
                        case.record("case.approval_returned", at, checker)
                        continue  # back to the maker, who decides again
                    case.record("case.approval_confirmed", at, checker)
                event, target = ("approve", "approved") if approve else ("reject", "rejected")
                case.move(at, actor, event, target, event)
                break
            # Only cases resolved by now: the history adds no open case the inbox does not have.
            if case.events[-1].occurred_at <= _iso(now):
                events += case.events
    return events


def aggregate(events: Sequence[DomainEvent]) -> dict[tuple[str, str], Aggregate]:
    """The hourly aggregates of `events`, counted in memory, to be loaded whole into a real
    store. The open-case counters are left out: the history's cases are all resolved (they net
    to zero), and loading them whole would overwrite the live cases' counters."""
    from chalicelib.analytics.service import record_event

    store = InMemoryMetricsStore()
    for event in events:
        record_event(store, event)
    return {key: item for key, item in store.aggregates().items() if keys.is_metrics_pk(key[0])}
