"""Bodies of the decision and event routes."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import ConfigDict, Field, JsonValue, model_validator

from chalicelib.decisions.reasons import (
    DECISIONS_NEEDING_A_REASON,
    MAX_COMMENT_LENGTH,
    NOT_BLANK,
    DecisionKind,
    ReasonCode,
)
from chalicelib.models.base import ApiModel, JsonInt, OpenModel

MAX_EVENT_PAYLOAD_BYTES = 16 * 1024


# The reason rules of `reasons.reason_problems`, stated in the schema.
REASON_RULES: list[JsonValue] = [
    {
        "if": {"properties": {"decision": {"enum": list(DECISIONS_NEEDING_A_REASON)}}},
        "then": {"required": ["reason"], "properties": {"reason": {"type": "string"}}},
    },
    {
        "if": {"required": ["reason"], "properties": {"reason": {"const": "other"}}},
        "then": {
            "required": ["comment"],
            "properties": {"comment": {"type": "string", "pattern": NOT_BLANK}},
        },
    },
]


class DecisionRequest(ApiModel):
    """`POST .../cases/{id}/decision` and `.../documents/{documentId}/decision`.

    The reason rules (reject and revision need one, `other` needs a comment) are checked by the
    decision service, so they answer 400 with the field's path like every other problem; the
    schema states them too, so that a request valid under the OpenAPI document is accepted."""

    model_config = ConfigDict(json_schema_extra={"allOf": REASON_RULES})

    decision: DecisionKind
    reason: ReasonCode | None = Field(
        default=None, description="required for reject and revision; `other` needs a comment"
    )
    comment: str | None = Field(default=None, max_length=MAX_COMMENT_LENGTH)
    expected_version: JsonInt = Field(ge=1, description="the case version the reviewer looked at")


class CriteriaOverride(ApiModel):
    justification: str = Field(
        min_length=1,
        max_length=MAX_COMMENT_LENGTH,
        pattern=NOT_BLANK,
        description="why the case is approved although enforced criteria are not met",
    )


class DocumentTypeRequest(ApiModel):
    """A document type the case does not have yet, asked of the customer in a revision."""

    type: str = Field(min_length=1, max_length=64, pattern=NOT_BLANK)
    category: str = Field(min_length=1, max_length=64, pattern=NOT_BLANK)
    reason: ReasonCode | None = None
    message: str | None = Field(
        default=None, max_length=MAX_COMMENT_LENGTH, description="shown to the customer"
    )


MAX_REQUESTED_TYPES = 10


class CaseDecisionRequest(DecisionRequest):
    """`POST .../cases/{id}/decision`: a document decision's body, plus the criteria override
    (with `approve` only) and the document types the case lacks (with `revision` only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                *REASON_RULES,
                {
                    "if": {
                        "required": ["overrideCriteria"],
                        "properties": {"overrideCriteria": {"type": "object"}},
                    },
                    "then": {"properties": {"decision": {"const": "approve"}}},
                },
                {
                    "if": {
                        "required": ["requestDocuments"],
                        "properties": {"requestDocuments": {"type": "array", "minItems": 1}},
                    },
                    "then": {"properties": {"decision": {"const": "revision"}}},
                },
            ]
        }
    )

    override_criteria: CriteriaOverride | None = Field(
        default=None,
        description="approve although enforced acceptance criteria are unmet or unknown; needs "
        "the permission `cases.override_criteria`; audited and flagged (`criteria_overridden`)",
    )
    request_documents: list[DocumentTypeRequest] | None = Field(
        default=None,
        max_length=MAX_REQUESTED_TYPES,
        description="with `revision` only: document types the case lacks, asked of the customer "
        "in the same collection round as the documents marked for re-upload",
    )


class ReturnApprovalRequest(ApiModel):
    """`POST .../cases/{id}/pending-approval/return`: the checker sends the approval back."""

    comment: str = Field(
        min_length=1,
        max_length=MAX_COMMENT_LENGTH,
        pattern=NOT_BLANK,
        description="why the approval goes back to its maker (shown in the case's history)",
    )
    expected_version: JsonInt = Field(ge=1, description="the case version the checker looked at")


class ReasonCodeView(ApiModel):
    code: ReasonCode
    label: str


class ReasonCodeList(ApiModel):
    data: list[ReasonCodeView]


class IntegratorEventRequest(ApiModel):
    """`POST /external/workflows/{id}/event`."""

    name: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _payload_size(self) -> IntegratorEventRequest:
        if self.payload and len(json.dumps(self.payload)) > MAX_EVENT_PAYLOAD_BYTES:
            raise ValueError(f"payload: at most {MAX_EVENT_PAYLOAD_BYTES} bytes of JSON")
        return self


class VendorCallbackBody(OpenModel):
    """An asynchronous vendor's answer: any JSON object; the plugin's `output` mapping picks
    what the result keeps (docs/plugins.md#asynchronous-vendors)."""


class VendorCallbackAnswer(ApiModel):
    case_id: str
    plugin: str
    status: Literal["recorded"] = "recorded"
    result_version: int | None = Field(
        description="the plugin's result version the answer was recorded as (the same on a "
        "repeated callback); null when the case is gone"
    )
