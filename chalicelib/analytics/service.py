"""Analytics as the API answers it, and the consumer's one step (count an event once)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.analytics.events import increments_for
from chalicelib.analytics.reports import (
    AGE_EDGES,
    OLDER,
    REVIEW_TIME_EDGES,
    Range,
    Totals,
    open_cases,
    quantiles,
    rate,
    read_range,
    read_team,
)
from chalicelib.analytics.sketch import RELATIVE_ERROR, Sketch
from chalicelib.analytics.store import MetricsStore, ReadCounter
from chalicelib.errors import InvalidRequest
from chalicelib.models.analytics import (
    MAX_RANGE_DAYS,
    AnalyticsDaily,
    AnalyticsParams,
    AnalyticsReviewers,
    AnalyticsSummary,
    Counts,
    DailyRow,
    Durations,
    DurationStats,
    HistogramBin,
    OpenAges,
    OpenCases,
    OpenState,
    RangeEcho,
    Rates,
    ReviewerRow,
)
from chalicelib.models.events import DomainEvent

Clock = Callable[[], datetime]
DEFAULT_DAYS = 30


def utc_clock() -> datetime:
    return datetime.now(UTC)


def record_event(store: MetricsStore, event: DomainEvent) -> bool:
    """Count `event` once: False if it was counted before (a redelivery) or is not counted."""
    increments = increments_for(event)
    if not increments:
        return False
    return store.apply(event.tenant_id, event.event_id, increments)


def period_of(params: AnalyticsParams, now: datetime) -> Range:
    try:
        zone = ZoneInfo(params.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidRequest(
            "unknown time zone",
            details=[{"path": "timezone", "message": "an IANA time zone, e.g. Europe/Paris"}],
        ) from exc
    last = params.to or now.astimezone(zone).date()
    first = params.from_ or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRequest(
            "`from` is after `to`", details=[{"path": "from", "message": "must be <= to"}]
        )
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRequest(
            f"at most {MAX_RANGE_DAYS} days at a time",
            details=[{"path": "to", "message": f"at most {MAX_RANGE_DAYS} days after `from`"}],
        )
    return Range(first, last, zone)


def _echo(period: Range, params: AnalyticsParams) -> RangeEcho:
    return RangeEcho.model_validate(
        {
            "from": period.first,
            "to": period.last,
            "timezone": params.timezone,
            "workflow": params.workflow,
        }
    )


def _stats(sketch: Sketch) -> DurationStats:
    values = quantiles(sketch)
    rounded = {k: (round(v, 3) if v is not None else None) for k, v in values.items()}
    return DurationStats(count=sketch.count, **rounded)


def _counts(counts: dict[str, int]) -> Counts:
    return Counts(
        created=counts.get("created", 0),
        assigned=counts.get("assigned", 0),
        reassigned=counts.get("reassigned", 0),
        decided=counts.get("decided", 0),
        approved=counts.get("decided_approve", 0),
        rejected=counts.get("decided_reject", 0),
        revision=counts.get("decided_revision", 0),
        resubmitted=counts.get("resubmitted", 0),
        completed=counts.get("completed", 0),
        approvals_pending=counts.get("approval_pending", 0),
        approvals_confirmed=counts.get("approval_confirmed", 0),
        approvals_returned=counts.get("approval_returned", 0),
        approvals_voided=counts.get("approval_voided", 0),
        criteria_overridden=counts.get("overridden", 0),
        sla_breached=counts.get("sla_breached", 0),
    )


def _histogram(sketch: Sketch) -> list[HistogramBin]:
    labels = ["< 1 h", "1-4 h", "4 h-1 d", "1-3 d", "3-7 d", "> 7 d"]
    return [
        HistogramBin(label=label, count=count)
        for label, count in zip(labels, sketch.histogram(REVIEW_TIME_EDGES), strict=True)
    ]


def summary(
    store: MetricsStore, tenant_id: str, params: AnalyticsParams, now: datetime
) -> AnalyticsSummary:
    period = period_of(params, now)
    reads = ReadCounter()
    data = read_range(store, tenant_id, period, params.workflow, reads, people=False)
    team = data.team
    counts = _counts(team.counts)
    today = now.astimezone(period.zone).date()
    decided_today = read_team(
        store, tenant_id, Range(today, today, period.zone), params.workflow, reads
    ).counts.get("decided", 0)
    states = open_cases(store, tenant_id, params.workflow, now, reads)
    age_names = [name for name, _ in AGE_EDGES] + [OLDER]
    ages = {name: sum(s.ages[name] for s in states) for name in age_names}
    return AnalyticsSummary(
        range=_echo(period, params),
        counts=counts,
        rates=Rates(
            approval=rate(counts.approved, counts.decided),
            rejection=rate(counts.rejected, counts.decided),
            revision=rate(counts.revision, counts.decided),
        ),
        durations=Durations(
            time_to_first_assignment=_stats(team.sketches["time_to_first_assignment"]),
            review_time=_stats(team.sketches["review_time"]),
            resolution_time=_stats(team.sketches["resolution_time"]),
        ),
        revision_rounds_per_case=(
            round(team.counts.get("revision_rounds", 0) / counts.completed, 4)
            if counts.completed
            else None
        ),
        decided_today=decided_today,
        open=OpenCases(
            total=sum(s.count for s in states),
            ages=OpenAges(**ages),
            by_state=[
                OpenState(state=s.state, count=s.count, ages=OpenAges(**s.ages)) for s in states
            ],
        ),
        review_time_histogram=_histogram(team.sketches["review_time"]),
        relative_error=RELATIVE_ERROR,
        items_read=reads.items,
    )


def _daily_row(day: object, totals: Totals) -> DailyRow:
    c = totals.counts
    return DailyRow.model_validate(
        {
            "date": day,
            "created": c.get("created", 0),
            "decided": c.get("decided", 0),
            "approved": c.get("decided_approve", 0),
            "rejected": c.get("decided_reject", 0),
            "revision": c.get("decided_revision", 0),
            "resubmitted": c.get("resubmitted", 0),
            "completed": c.get("completed", 0),
        }
    )


def daily(
    store: MetricsStore, tenant_id: str, params: AnalyticsParams, now: datetime
) -> AnalyticsDaily:
    period = period_of(params, now)
    reads = ReadCounter()
    data = read_range(store, tenant_id, period, params.workflow, reads, people=False)
    return AnalyticsDaily(
        range=_echo(period, params),
        data=[_daily_row(day, data.days.get(day) or Totals()) for day in period.days],
        items_read=reads.items,
    )


def reviewers(
    store: MetricsStore,
    tenant_id: str,
    params: AnalyticsParams,
    now: datetime,
    names: dict[str, str],
) -> AnalyticsReviewers:
    """Every reviewer with activity in the range, and every reviewer of the tenant (zeros)."""
    period = period_of(params, now)
    reads = ReadCounter()
    data = read_range(store, tenant_id, period, params.workflow, reads, team=False)
    rows = []
    for reviewer_id in sorted(set(data.reviewers) | set(names)):
        totals = data.reviewers.get(reviewer_id) or Totals()
        c = totals.counts
        rows.append(
            ReviewerRow(
                reviewer_id=reviewer_id,
                name=names.get(reviewer_id, "former reviewer"),
                assigned=c.get("assigned", 0),
                reassigned=c.get("reassigned", 0),
                decided=c.get("decided", 0),
                approved=c.get("decided_approve", 0),
                rejected=c.get("decided_reject", 0),
                revision=c.get("decided_revision", 0),
                approvals_confirmed=c.get("approval_confirmed", 0),
                approvals_returned=c.get("approval_returned", 0),
                criteria_overridden=c.get("overridden", 0),
                review_time=_stats(totals.sketches.get("review_time") or Sketch()),
            )
        )
    return AnalyticsReviewers(range=_echo(period, params), data=rows, items_read=reads.items)


def _csv_cell(value: object) -> object:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(rows: list[dict[str, object]]) -> str:
    out = io.StringIO()
    if not rows:
        return ""
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return out.getvalue()


def daily_csv(report: AnalyticsDaily) -> str:
    return export_csv([row.model_dump(mode="json", by_alias=True) for row in report.data])


def reviewers_csv(report: AnalyticsReviewers) -> str:
    rows: list[dict[str, object]] = []
    for row in report.data:
        flat = row.model_dump(mode="json", by_alias=True, exclude={"review_time"})
        for name in ("p50", "p90", "p95"):
            flat[f"reviewTime{name.upper()}Seconds"] = getattr(row.review_time, name)
        rows.append(flat)
    return export_csv(rows)
