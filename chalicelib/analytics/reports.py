"""Reading the aggregates: the summary, the days and the reviewers of a date range.

A range of local dates in a time zone becomes the UTC hours between its local midnights, each
floored to the hour: exact for whole-hour offsets; in zones offset by 30 or 45 minutes a local
day is summed from the UTC hour that holds its midnight (docs/analytics.md). A request reads the
range's day items (two per day and dimension), the open-case counters of each state (at most
ten items per state) and nothing that grows with the number of cases.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.analytics import keys
from chalicelib.analytics.events import COUNTERS, SKETCHES
from chalicelib.analytics.sketch import RELATIVE_ERROR, Sketch
from chalicelib.analytics.store import MetricsStore, ReadCounter

AGE_EDGES: tuple[tuple[str, timedelta], ...] = (
    ("lt1h", timedelta(hours=1)),
    ("lt1d", timedelta(days=1)),
    ("lt3d", timedelta(days=3)),
    ("lt7d", timedelta(days=7)),
)
OLDER = "older"
# Review-time distribution buckets (seconds): < 1 h, < 4 h, < 1 d, < 3 d, < 7 d, older.
REVIEW_TIME_EDGES = (3600.0, 4 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0)
QUANTILES = {"p50": 0.5, "p90": 0.9, "p95": 0.95}


@dataclass(frozen=True)
class Range:
    """Local dates `first`..`last` (inclusive) in `zone`, as whole UTC hours."""

    first: date
    last: date
    zone: ZoneInfo

    def _midnight(self, day: date) -> datetime:
        local = datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)
        return local.replace(minute=0, second=0, microsecond=0)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def boundaries(self) -> list[datetime]:
        """The UTC hour each local day starts at, and the one after the last day."""
        return [self._midnight(d) for d in [*self.days, self.last + timedelta(days=1)]]

    def day_of_slot(self) -> Callable[[str, str], date | None]:
        """(UTC day, hour) -> the local date it is counted in, None outside the range."""
        bounds = self.boundaries()
        days = self.days

        def local_day(utc_day: str, hour: str) -> date | None:
            slot = datetime.fromisoformat(utc_day).replace(hour=int(hour), tzinfo=UTC)
            index = bisect.bisect_right(bounds, slot) - 1
            return days[index] if 0 <= index < len(days) else None

        return local_day

    def utc_days(self) -> tuple[str, str]:
        bounds = self.boundaries()
        return bounds[0].date().isoformat(), (bounds[-1] - timedelta(hours=1)).date().isoformat()


@dataclass
class Totals:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    sketches: dict[str, Sketch] = field(default_factory=lambda: {s: Sketch() for s in SKETCHES})


@dataclass
class RangeData:
    """The range's aggregates: for the team, per local day and per reviewer."""

    team: Totals = field(default_factory=Totals)
    days: dict[date, Totals] = field(default_factory=lambda: defaultdict(Totals))
    reviewers: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))


def _fold(
    store: MetricsStore,
    pk: str,
    period: Range,
    reads: ReadCounter,
    add: Callable[[date, str | None, str, str | None, int], None],
) -> None:
    """Feed every counter / sketch bucket of `pk` in the range to `add(local day, reviewer,
    name, bucket or None, count)`."""
    first, last = period.utc_days()
    local_day = period.day_of_slot()
    for item in store.query(pk, keys.day_sk(first), keys.sketch_sk(last), reads):
        utc_day = item.sk[2:].removesuffix(keys.SKETCH_SUFFIX)
        sketch = item.sk.endswith(keys.SKETCH_SUFFIX)
        for attribute, count in item.counts.items():
            parts = attribute.split("|")
            bucket = parts.pop() if sketch else None
            hour = parts.pop()
            name = parts.pop()
            reviewer = parts[0] if parts else None
            day = local_day(utc_day, hour)
            if day is not None:
                add(day, reviewer, name, bucket, count)


def read_range(
    store: MetricsStore,
    tenant_id: str,
    period: Range,
    workflow: str | None,
    reads: ReadCounter,
    *,
    team: bool = True,
    people: bool = True,
) -> RangeData:
    """The range's aggregates of the team (totals and days) and/or of each reviewer."""
    data = RangeData()

    def add_team(day: date, _: str | None, name: str, bucket: str | None, count: int) -> None:
        for totals in (data.team, data.days[day]):
            if bucket is None:
                totals.counts[name] = totals.counts.get(name, 0) + count
            else:
                totals.sketches.setdefault(name, Sketch()).add(bucket, count)

    def add_reviewer(
        _: date, reviewer: str | None, name: str, bucket: str | None, count: int
    ) -> None:
        if reviewer is None:
            return
        totals = data.reviewers[reviewer]
        if bucket is None:
            totals.counts[name] = totals.counts.get(name, 0) + count
        else:
            totals.sketches.setdefault(name, Sketch()).add(bucket, count)

    if team:
        pk = keys.metrics_pk(tenant_id, keys.workflow_dimension(workflow))
        _fold(store, pk, period, reads, add_team)
    if people:
        pk = keys.metrics_pk(tenant_id, keys.workflow_dimension(workflow, keys.REVIEWERS))
        _fold(store, pk, period, reads, add_reviewer)
    return data


def read_team(
    store: MetricsStore, tenant_id: str, period: Range, workflow: str | None, reads: ReadCounter
) -> Totals:
    data = RangeData()

    def add(day: date, _: str | None, name: str, bucket: str | None, count: int) -> None:
        if bucket is None:
            data.team.counts[name] = data.team.counts.get(name, 0) + count

    _fold(store, keys.metrics_pk(tenant_id, keys.workflow_dimension(workflow)), period, reads, add)
    return data.team


@dataclass(frozen=True)
class OpenState:
    state: str
    count: int
    ages: dict[str, int]


def open_cases(
    store: MetricsStore,
    tenant_id: str,
    workflow: str | None,
    now: datetime,
    reads: ReadCounter,
) -> list[OpenState]:
    """Open cases per state and age, from each state's total and its last eight days of
    per-minute creation counters: whatever is not in the window is `older`."""
    dimension = keys.workflow_dimension(workflow)
    registry = store.query(
        keys.states_pk(tenant_id, dimension), keys.STATES_SK, keys.STATES_SK, reads
    )
    states = sorted(set().union(*(item.members for item in registry))) if registry else []
    window_start = (now - timedelta(days=8)).date().isoformat()
    out: list[OpenState] = []
    for state in states:
        items = store.query(
            keys.open_pk(tenant_id, dimension, state),
            keys.day_sk(window_start),
            keys.TOTAL_SK,
            reads,
        )
        total = sum(i.counts.get("n", 0) for i in items if i.sk == keys.TOTAL_SK)
        ages = dict.fromkeys([name for name, _ in AGE_EDGES] + [OLDER], 0)
        for item in items:
            if item.sk == keys.TOTAL_SK:
                continue
            day = datetime.fromisoformat(item.sk[2:]).replace(tzinfo=UTC)
            for minute, count in item.counts.items():
                created = day.replace(hour=int(minute[1:3]), minute=int(minute[3:5]))
                age = now - created
                name = next((n for n, edge in AGE_EDGES if age < edge), None)
                if name is not None:
                    ages[name] += count
        ages[OLDER] = total - sum(ages.values())
        clamped = {name: max(0, value) for name, value in ages.items()}
        if total > 0:
            out.append(OpenState(state, total, clamped))
    return out


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def quantiles(sketch: Sketch) -> dict[str, float | None]:
    return {name: sketch.quantile(q) for name, q in QUANTILES.items()}


def relative_error() -> float:
    return RELATIVE_ERROR
