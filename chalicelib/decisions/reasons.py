"""Reason codes for rejections and re-upload requests (docs/api.md lists them)."""

from __future__ import annotations

import re
from typing import Literal

from chalicelib.errors import InvalidRequest

ReasonCode = Literal[
    "blurry_or_unreadable",
    "expired",
    "altered_or_fake",
    "wrong_document_type",
    "data_mismatch",
    "missing_pages",
    "other",
]
DecisionKind = Literal["approve", "reject", "revision"]

REASON_LABELS: dict[str, str] = {
    "blurry_or_unreadable": "Blurry or unreadable",
    "expired": "Expired",
    "altered_or_fake": "Altered or fake",
    "wrong_document_type": "Wrong document type",
    "data_mismatch": "Data does not match",
    "missing_pages": "Missing pages",
    "other": "Other",
}

DECISIONS_NEEDING_A_REASON = ("reject", "revision")
# A character that is white space neither to Python's `re` nor to the ECMA regexes of JSON
# Schema (`\s` alone differs between them: U+001C-U+001F, U+0085, U+FEFF). The API's schema
# states it, and `reason_problems` checks with it, so both draw the same line.
NOT_BLANK = r"[^\s\x1c-\x1f\x85\ufeff]"
MAX_COMMENT_LENGTH = 2000


def reason_problems(decision: str, reason: str | None, comment: str | None) -> list[dict[str, str]]:
    """Field problems of a decision's reason and comment, as validation details."""
    problems: list[dict[str, str]] = []
    if reason is not None and reason not in REASON_LABELS:
        problems.append({"path": "reason", "message": f"unknown reason code `{reason}`"})
    if decision in DECISIONS_NEEDING_A_REASON and reason is None:
        problems.append({"path": "reason", "message": f"a {decision} needs a reason code"})
    if reason == "other" and not re.search(NOT_BLANK, comment or ""):
        problems.append({"path": "comment", "message": "reason `other` needs a comment"})
    if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        problems.append({"path": "comment", "message": f"at most {MAX_COMMENT_LENGTH} characters"})
    return problems


def require_valid_reason(decision: str, reason: str | None, comment: str | None) -> None:
    problems = reason_problems(decision, reason, comment)
    if problems:
        raise InvalidRequest("the decision is invalid", details=problems)


def reason_text(reason: str | None, comment: str | None) -> str | None:
    """Ballerine's free-text `rejectionReason` / `revisionReason`: the label, then the comment."""
    if reason is None:
        return comment or None
    label = REASON_LABELS.get(reason, reason)
    comment = (comment or "").strip()
    if reason == "other" and comment:
        return comment
    return f"{label}: {comment}" if comment else label


def reason_codes() -> list[dict[str, str]]:
    return [{"code": code, "label": label} for code, label in REASON_LABELS.items()]
