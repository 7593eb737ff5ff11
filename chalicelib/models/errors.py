"""The one error shape of every route: `{error: {code, message, details?, requestId}}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(BaseModel):
    # Closed to extra fields, so the contract tests notice if the shape grows.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    code: str = Field(description="machine-readable, e.g. `validation_error`, `not_found`")
    message: str
    details: list[dict[str, Any]] | dict[str, Any] | None = Field(
        default=None,
        description="validation errors: `[{path, message, type}]`; invalid transitions: "
        "`{allowedEvents}`",
    )
    request_id: str = Field(
        alias="requestId",
        description="the request's id, also in the logs: quote it when reporting a problem",
    )


class ErrorResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: ErrorBody
