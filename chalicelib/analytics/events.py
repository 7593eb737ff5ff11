"""What each domain event adds to the aggregates: a pure function from an event to increments.

Every increment is keyed by the case's own timestamps carried in the event (when it was created,
assigned, decided), never by when the event arrives, and increments only add: events counted in
any order give the same aggregates. Durations are measured between timestamps of the same event.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.analytics import keys
from chalicelib.analytics.sketch import bucket_of
from chalicelib.models.events import DomainEvent

DECISIONS = ("approve", "reject", "revision")
# Hourly counters, by event type (or decision) -> counter name.
COUNTERS = (
    "created",
    "assigned",
    "reassigned",
    "decided",
    "decided_approve",
    "decided_reject",
    "decided_revision",
    "resubmitted",
    "completed",
    "revision_rounds",
    "approval_pending",
    "approval_confirmed",
    "approval_returned",
    "approval_voided",
    "overridden",
    "sla_breached",
)
SKETCHES = ("time_to_first_assignment", "review_time", "resolution_time")
# Events counted as they are, attributed to the reviewer who acted.
ACTOR_COUNTED = {
    "case.approval_pending": "approval_pending",
    "case.approval_confirmed": "approval_confirmed",
    "case.approval_returned": "approval_returned",
    "case.approval_voided": "approval_voided",
    "case.criteria_overridden": "overridden",
}
COUNTED_EVENTS = (
    "case.created",
    "case.assigned",
    "case.state_changed",
    "case.completed",
    "case.sla_breached",
    *ACTOR_COUNTED,
)


@dataclass(frozen=True)
class Increment:
    pk: str
    sk: str
    counts: dict[str, int]
    # String-set members added to the item (the states an open-cases dimension has seen).
    members: tuple[str, ...] = ()


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


class _Builder:
    def __init__(self, tenant_id: str, workflow: str | None, at: datetime) -> None:
        self.tenant_id = tenant_id
        self.at = at
        self.day = at.date().isoformat()
        self.hour = f"{at.hour:02d}"
        self.team = [keys.ALL] + ([keys.workflow_dimension(workflow)] if workflow else [])
        self.people = [keys.REVIEWERS] + (
            [keys.workflow_dimension(workflow, keys.REVIEWERS)] if workflow else []
        )
        self.items: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        self.members: dict[tuple[str, str], set[str]] = defaultdict(set)

    def _add(self, pk: str, sk: str, attribute: str, value: int) -> None:
        counts = self.items[(pk, sk)]
        counts[attribute] = counts.get(attribute, 0) + value

    def count(self, metric: str, value: int = 1, reviewer: str | None = None) -> None:
        for dimension in self.team:
            self._add(
                keys.metrics_pk(self.tenant_id, dimension),
                keys.day_sk(self.day),
                f"{metric}|{self.hour}",
                value,
            )
        if reviewer:
            for dimension in self.people:
                self._add(
                    keys.metrics_pk(self.tenant_id, dimension),
                    keys.day_sk(self.day),
                    f"{reviewer}|{metric}|{self.hour}",
                    value,
                )

    def duration(self, sketch: str, seconds: float | None, reviewer: str | None = None) -> None:
        if seconds is None:
            return
        bucket = bucket_of(seconds)
        for dimension in self.team:
            self._add(
                keys.metrics_pk(self.tenant_id, dimension),
                keys.sketch_sk(self.day),
                f"{sketch}|{self.hour}|{bucket}",
                1,
            )
        if reviewer:
            for dimension in self.people:
                self._add(
                    keys.metrics_pk(self.tenant_id, dimension),
                    keys.sketch_sk(self.day),
                    f"{reviewer}|{sketch}|{self.hour}|{bucket}",
                    1,
                )

    def open_case(self, state: str | None, created: datetime | None, value: int) -> None:
        """An open case entering (+1) or leaving (-1) `state`, keyed by its creation minute."""
        if not state or created is None:
            return
        for dimension in self.team:
            pk = keys.open_pk(self.tenant_id, dimension, state)
            self._add(pk, keys.day_sk(created.date().isoformat()), f"m{created:%H%M}", value)
            self._add(pk, keys.TOTAL_SK, "n", value)
            self.members[(keys.states_pk(self.tenant_id, dimension), keys.STATES_SK)].add(state)

    def build(self) -> list[Increment]:
        out = [
            Increment(pk, sk, {a: v for a, v in counts.items() if v})
            for (pk, sk), counts in self.items.items()
        ]
        out = [i for i in out if i.counts]
        out += [
            Increment(pk, sk, {}, tuple(sorted(states)))
            for (pk, sk), states in self.members.items()
        ]
        return out


def increments_for(event: DomainEvent) -> list[Increment]:
    """The aggregates one event changes (empty for events analytics does not count)."""
    if event.type not in COUNTED_EVENTS:
        return []
    at = parse_time(event.occurred_at)
    if at is None:
        return []
    data = event.data
    after = data.get("after") or {}
    before = data.get("before") or {}
    workflow = data.get("workflowDefinitionId")
    builder = _Builder(event.tenant_id, workflow if isinstance(workflow, str) else None, at)
    actor = event.actor.get("id") if event.actor.get("type") == "reviewer" else None
    created = parse_time(data.get("caseCreatedAt"))
    if event.type == "case.created":
        builder.count("created")
        builder.open_case(after.get("state"), at, +1)
    elif event.type == "case.assigned":
        assignee = data.get("assigneeId")
        if assignee:
            builder.count("assigned", reviewer=assignee)
            if data.get("previousAssigneeId"):
                builder.count("reassigned", reviewer=assignee)
            if data.get("firstAssignment"):
                builder.duration("time_to_first_assignment", _seconds(created, at))
    elif event.type == "case.state_changed":
        decision = data.get("decision")
        if decision in DECISIONS:
            builder.count("decided", reviewer=actor)
            builder.count(f"decided_{decision}", reviewer=actor)
            assigned = parse_time(data.get("assignedAt"))
            builder.duration("review_time", _seconds(assigned, at), reviewer=actor)
        if data.get("event") == "resubmitted":
            builder.count("resubmitted")
        builder.open_case(before.get("state"), created, -1)
        if after.get("status") == "active":
            builder.open_case(after.get("state"), created, +1)
    elif event.type == "case.completed":
        builder.count("completed")
        builder.count("revision_rounds", int(data.get("revisionRounds") or 0))
        builder.duration("resolution_time", _seconds(created, at))
    elif event.type == "case.sla_breached":
        builder.count("sla_breached")
    else:
        builder.count(ACTOR_COUNTED[event.type], reviewer=actor)
    return builder.build()
