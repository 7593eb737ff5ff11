"""The SLA clock on business hours: deadlines skip nights, weekends and holidays in the
calendar's time zone, stay right across DST changes and in half-hour zones; the calendar is
validated where definitions load and where tenants set it; an armed timer's `at_risk` is 80 %
of the business budget, and time in `revision` still does not count."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.models.sla import BusinessHours, SlaSettings, SlaSettingsRequest
from chalicelib.sla.calendar import deadline
from chalicelib.sla.timers import sla_status
from chalicelib.workflows.definition import WorkflowDefinition, WorkflowDefinitionError
from chalicelib.workflows.registry import get_definition
from tests.unit.test_sla_timers import armed, iso, setup

BERLIN = BusinessHours(time_zone="Europe/Berlin", holidays=[date(2026, 12, 24), date(2026, 12, 25)])
ROUND_THE_CLOCK = BusinessHours(
    time_zone="Europe/Berlin",
    days=["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
    opens="00:00",
    closes="24:00",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # Mon 10:00 CET + 4 h, within the day.
        (utc(2026, 3, 2, 9), 4, utc(2026, 3, 2, 13)),
        # Mon 16:00 CET + 1 h ends exactly at closing time.
        (utc(2026, 3, 2, 15), 1, utc(2026, 3, 2, 16)),
        # Fri 15:00 CET + 8 h: 2 h on Friday, the weekend skipped, 6 h on Monday -> 15:00.
        (utc(2026, 3, 6, 14), 8, utc(2026, 3, 9, 14)),
        # Entered on Saturday: the clock starts on Monday at 09:00.
        (utc(2026, 3, 7, 11), 1, utc(2026, 3, 9, 9)),
        # Entered before opening: the clock starts at 09:00 the same day.
        (utc(2026, 3, 3, 5), 0.5, utc(2026, 3, 3, 8, 30)),
        # Wed 23 Dec 16:00 CET + 2 h: 1 h, then 24/25 Dec (holidays) and the weekend, Mon 10:00.
        (utc(2026, 12, 23, 15), 2, utc(2026, 12, 28, 9)),
        # Fri 27 Mar 16:00 CET + 2 h: DST starts on Sunday; Mon 10:00 CEST is 08:00 UTC.
        (utc(2026, 3, 27, 15), 2, utc(2026, 3, 30, 8)),
        # Fri 23 Oct 16:00 CEST + 2 h: DST ends on Sunday; Mon 10:00 CET is 09:00 UTC.
        (utc(2026, 10, 23, 14), 2, utc(2026, 10, 26, 9)),
        # Three business days are 24 business hours: Mon 09:00 -> Wed 17:00.
        (utc(2026, 3, 2, 8), 24, utc(2026, 3, 4, 16)),
    ],
)
def test_deadlines_count_only_business_time(start: datetime, hours: float, due: datetime) -> None:
    assert deadline(start, hours * 3600, BERLIN) == due


def test_round_the_clock_counts_real_time_across_dst_changes() -> None:
    # The local day of 29 March has 23 hours and 25 October has 25: 24 h stay 24 real hours.
    assert deadline(utc(2026, 3, 28, 11), 24 * 3600, ROUND_THE_CLOCK) == utc(2026, 3, 29, 11)
    assert deadline(utc(2026, 10, 24, 10), 24 * 3600, ROUND_THE_CLOCK) == utc(2026, 10, 25, 10)
    assert deadline(utc(2026, 3, 28, 11), 3600, None) == utc(2026, 3, 28, 12)


def test_a_half_hour_zone_and_open_days_of_its_own() -> None:
    india = BusinessHours(time_zone="Asia/Kolkata", days=["sun", "mon"], opens="10:00")
    # Mon 2 Mar 10:00 IST is 04:30 UTC; 8 h: 7 h on Monday, then Sunday 10:00-11:00 IST.
    assert deadline(utc(2026, 3, 2, 4, 30), 8 * 3600, india) == utc(2026, 3, 8, 5, 30)


@pytest.mark.parametrize(
    ("calendar", "path"),
    [
        ({"timeZone": "Mars/Olympus"}, "timeZone"),
        ({"timeZone": "UTC", "opens": "17:00", "closes": "09:00"}, None),
        ({"timeZone": "UTC", "opens": "9:00"}, "opens"),
        ({"timeZone": "UTC", "closes": "24:30"}, "closes"),
        ({"timeZone": "UTC", "days": ["mon", "mon"]}, "days"),
        ({"timeZone": "UTC", "days": ["monday"]}, "days.0"),
        ({"timeZone": "UTC", "days": []}, "days"),
        ({"timeZone": "UTC", "holidays": ["20261225"]}, "holidays.0"),
        ({"timeZone": "UTC", "sundays": True}, "sundays"),
    ],
)
def test_a_bad_calendar_is_refused_with_its_field_path(
    calendar: dict[str, Any], path: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        SlaSettingsRequest.model_validate({"businessHours": calendar})
    (error,) = caught.value.errors()
    assert ".".join(str(part) for part in error["loc"]) == (
        f"businessHours.{path}" if path else "businessHours"
    )


def test_definitions_declare_business_hours_and_are_checked_on_load() -> None:
    data = get_definition("kyc-manual-review", 1).model_dump(mode="json", by_alias=True)
    data["sla"]["manual_review"]["businessHours"] = {
        "timeZone": "Europe/Berlin", "holidays": ["2026-12-25"],
    }  # fmt: skip
    loaded = WorkflowDefinition.from_json(copy.deepcopy(data))
    assert loaded.sla["manual_review"].business_hours == BusinessHours(
        time_zone="Europe/Berlin", holidays=[date(2026, 12, 25)]
    )
    data["sla"]["manual_review"]["businessHours"]["timeZone"] = "Berlin"
    with pytest.raises(WorkflowDefinitionError, match="timeZone"):
        WorkflowDefinition.from_json(data)


def test_the_tenants_business_hours_run_the_timer_and_its_at_risk_point() -> None:
    cases, settings, queue = setup(seconds=2 * 3600)
    settings.put(
        "demo",
        SlaSettings(
            workflows={"kyc-manual-review": {"manual_review": 2 * 3600}}, business_hours=BERLIN
        ),
    )
    friday = utc(2026, 3, 6, 15)  # 16:00 CET: one business hour left that day
    timer = armed(cases, settings, queue, at=friday)
    assert timer.due_at == iso(utc(2026, 3, 9, 9))  # Monday 10:00 CET
    assert timer.at_risk_at == iso(utc(2026, 3, 9, 8, 36))  # 80 % of 2 h: Monday 09:36 CET
    # Friday night and the weekend are no business time: still on track on Monday at 09:35.
    assert sla_status(timer, utc(2026, 3, 9, 8, 35)) == "on_track"
    assert sla_status(timer, utc(2026, 3, 9, 8, 36)) == "at_risk"
    assert sla_status(timer, utc(2026, 3, 9, 9)) == "breached"
    assert queue.scheduled[-1][1] == (utc(2026, 3, 9, 9) - friday).total_seconds()


def test_time_in_revision_does_not_count_on_business_hours_either() -> None:
    cases, settings, queue = setup(seconds=2 * 3600)
    tenant = settings.get("demo")
    settings.put("demo", tenant.model_copy(update={"business_hours": BERLIN}))
    armed(cases, settings, queue, at=utc(2026, 3, 6, 15))  # Fri 16:00 CET
    for state, at in (
        ("revision", utc(2026, 3, 6, 15, 30)),  # half an hour used, waiting for the customer
        ("manual_review", utc(2026, 3, 10, 12)),  # back on Tue 13:00 CET: a new clock
    ):
        case = cases.get_case("demo", "case_1")
        cases.update_case(
            case.model_copy(update={"state": state}), expected_version=case.version, audit=[]
        )
        armed(cases, settings, queue, state, at)
    timer = cases.get_case("demo", "case_1").sla_timer
    assert timer.generation == 3 and timer.due_at == iso(utc(2026, 3, 10, 14))
    assert sla_status(timer, utc(2026, 3, 10, 13, 35)) == "on_track"
    assert sla_status(timer, utc(2026, 3, 10, 13, 36)) == "at_risk"


def test_the_definitions_business_hours_apply_unless_the_tenant_sets_its_own() -> None:
    cases, settings, queue = setup()
    settings.put("demo", SlaSettings())  # the definition's 24 h of manual review
    definition = get_definition("kyc-manual-review", 1)
    spec = definition.sla["manual_review"].model_copy(update={"business_hours": BERLIN})
    patched = definition.model_copy(update={"sla": {"manual_review": spec}})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("chalicelib.sla.timers.get_definition", lambda *_, **__: patched)
        timer = armed(cases, settings, queue, at=utc(2026, 3, 2, 8))  # Mon 09:00 CET
        assert timer.due_at == iso(utc(2026, 3, 4, 16))  # three business days: Wed 17:00 CET
        cases2, settings2, queue2 = setup()
        settings2.put("demo", SlaSettings(business_hours=ROUND_THE_CLOCK))
        replaced = armed(cases2, settings2, queue2, at=utc(2026, 3, 2, 8))
    assert replaced.due_at == iso(utc(2026, 3, 2, 8) + timedelta(hours=24))
