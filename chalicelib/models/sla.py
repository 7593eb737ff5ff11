"""SLA settings: a tenant's overrides of the workflow definitions' review SLAs."""

from __future__ import annotations

from pydantic import Field

from chalicelib.models.base import ApiModel

MAX_SLA_SECONDS = 366 * 24 * 3600


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


class SlaSettings(SlaSettingsRequest):
    updated_by: str | None = None
    updated_at: str | None = None
