"""SLA settings: a tenant's overrides of the workflow definitions' review SLAs, and the business
calendar an SLA clock may run on (docs/sla.md)."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from chalicelib.models.analytics import IsoDate
from chalicelib.models.base import ApiModel

MAX_SLA_SECONDS = 366 * 24 * 3600
MAX_HOLIDAYS = 400
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(ApiModel):
    """When the SLA clock runs: open days from `opens` to `closes` (local wall-clock time in
    `timeZone`), except the listed holidays (local dates). Outside them the clock stands still."""

    time_zone: str = Field(max_length=64, description="IANA time zone, e.g. Europe/Berlin")
    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS[:5]),
        min_length=1,
        max_length=7,
        description="Open days (default mon to fri)",
    )
    opens: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")
    closes: str = Field(
        default="17:00", pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$", description="HH:MM or 24:00"
    )
    holidays: list[IsoDate] = Field(
        default_factory=list,
        max_length=MAX_HOLIDAYS,
        description="Closed local dates (YYYY-MM-DD)",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("an IANA time zone, e.g. Europe/Berlin") from exc
        return value

    @field_validator("days")
    @classmethod
    def _each_day_once(cls, value: list[Weekday]) -> list[Weekday]:
        if len(set(value)) != len(value):
            raise ValueError("each day once")
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessHours:
        if self.opens >= self.closes:  # HH:MM compare as text; 24:00 is last
            raise ValueError("`opens` must be before `closes`")
        return self


class SlaSettingsRequest(ApiModel):
    workflows: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        max_length=50,
        description="Seconds per state, per workflow definition id; they replace the "
        "definition's SLA of that state",
    )
    escalate_to: str | None = Field(
        default=None,
        max_length=128,
        description="A reviewer who gets breached cases; none: they go to the escalated queue",
    )
    business_hours: BusinessHours | None = Field(
        default=None,
        description="The tenant's business calendar for every SLA clock (replaces the "
        "definitions' `businessHours`); none: each definition's own, else round the clock",
    )


class SlaSettings(SlaSettingsRequest):
    updated_by: str | None = None
    updated_at: str | None = None
