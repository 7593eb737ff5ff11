"""The SLA clock on a business calendar: pure functions over aware datetimes (docs/sla.md).

A deadline is `start` plus a budget of seconds counted only while the calendar is open: open
days from `opens` to `closes` in the calendar's time zone, holidays skipped. Days are walked in
local time and each open span converted to UTC, so a DST change shortens or lengthens only
the wall-clock night, never an open span's length in the budget. Without a calendar the clock
runs round the clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.models.sla import WEEKDAYS, BusinessHours

# A calendar is open at least one day a week; holidays are a finite list, so within this many
# days every budget (at most 366 days of business time) ends. A guard, not a limit users meet.
MAX_DAYS_WALKED = 366 * 40


def _local(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    if hhmm == "24:00":
        return datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), zone).astimezone(UTC)


def open_spans(calendar: BusinessHours, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's open spans (UTC) from `start` on, the first one cut at `start`."""
    zone = ZoneInfo(calendar.time_zone)  # ZoneInfo keeps its own cache of zones
    start = start.astimezone(UTC)
    open_days = {WEEKDAYS.index(day) for day in calendar.days}
    holidays = set(calendar.holidays)
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS_WALKED):
        if day.weekday() in open_days and day not in holidays:
            opens, closes = _local(day, calendar.opens, zone), _local(day, calendar.closes, zone)
            if closes > start:
                yield max(opens, start), closes
        day += timedelta(days=1)
    raise ValueError("the calendar has no open time within the guard")


def deadline(start: datetime, seconds: float, calendar: BusinessHours | None) -> datetime:
    """When `seconds` of (business) time have passed since `start`."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    remaining = seconds
    for opens, closes in open_spans(calendar, start):
        span = (closes - opens).total_seconds()
        if remaining <= span:
            return opens + timedelta(seconds=remaining)
        remaining -= span
    raise AssertionError("open_spans ends only by raising")
