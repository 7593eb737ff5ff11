"""Analytics API models (`/api/v1/backoffice/analytics/*`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from chalicelib.models.base import ApiModel

MAX_RANGE_DAYS = 400


def _iso_date(value: object) -> object:
    # Pydantic would also read `0` or `20260101` as dates; the document says YYYY-MM-DD.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class AnalyticsParams(ApiModel):
    from_: IsoDate | None = Field(
        default=None, alias="from", description="First local date (default: 29 days before `to`)"
    )
    to: IsoDate | None = Field(default=None, description="Last local date (default: today)")
    workflow: str | None = Field(
        default=None, max_length=64, description="A workflow definition id"
    )
    timezone: str = Field(
        default="UTC", max_length=64, description="IANA time zone the dates are in"
    )


class AnalyticsExportParams(AnalyticsParams):
    table: Literal["daily", "reviewers"] = "daily"


class RangeEcho(ApiModel):
    from_: dt.date = Field(alias="from")
    to: dt.date
    timezone: str
    workflow: str | None = None


class Counts(ApiModel):
    created: int
    assigned: int
    reassigned: int
    decided: int
    approved: int
    rejected: int
    revision: int
    resubmitted: int
    completed: int
    approvals_pending: int = Field(description="First approvals waiting for a second (four-eyes)")
    approvals_confirmed: int
    approvals_returned: int
    approvals_voided: int
    criteria_overridden: int
    sla_breached: int


class Rates(ApiModel):
    approval: float | None
    rejection: float | None
    revision: float | None


class DurationStats(ApiModel):
    """Seconds; each percentile is within `relativeError` of the true value at its rank."""

    count: int
    p50: float | None
    p90: float | None
    p95: float | None


class Durations(ApiModel):
    time_to_first_assignment: DurationStats
    review_time: DurationStats = Field(description="Assigned -> decided")
    resolution_time: DurationStats = Field(description="Created -> completed")


class OpenAges(ApiModel):
    """Open cases by age: under an hour, a day, three days, a week, and older."""

    lt1h: int = Field(alias="lt1h")
    lt1d: int = Field(alias="lt1d")
    lt3d: int = Field(alias="lt3d")
    lt7d: int = Field(alias="lt7d")
    older: int


class OpenState(ApiModel):
    state: str
    count: int
    ages: OpenAges


class OpenCases(ApiModel):
    total: int
    ages: OpenAges
    by_state: list[OpenState]


class HistogramBin(ApiModel):
    label: str
    count: int


class AnalyticsSummary(ApiModel):
    range: RangeEcho
    counts: Counts
    rates: Rates
    durations: Durations
    revision_rounds_per_case: float | None
    decided_today: int
    open: OpenCases
    review_time_histogram: list[HistogramBin]
    relative_error: float = Field(description="Relative error of every percentile")
    items_read: int = Field(description="Aggregate items this answer read")


class DailyRow(ApiModel):
    date: dt.date
    created: int
    decided: int
    approved: int
    rejected: int
    revision: int
    resubmitted: int
    completed: int


class AnalyticsDaily(ApiModel):
    range: RangeEcho
    data: list[DailyRow]
    items_read: int


class ReviewerRow(ApiModel):
    reviewer_id: str
    name: str
    assigned: int
    reassigned: int
    decided: int
    approved: int
    rejected: int
    revision: int
    approvals_confirmed: int
    approvals_returned: int
    criteria_overridden: int
    review_time: DurationStats


class AnalyticsReviewers(ApiModel):
    range: RangeEcho
    data: list[ReviewerRow]
    items_read: int
