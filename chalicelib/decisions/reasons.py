"""Reason codes for rejections and re-upload requests (docs/api.md lists them)."""

from __future__ import annotations

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
MAX_COMMENT_LENGTH = 2000


def reason_problems(decision: str, reason: str | None, comment: str | None) -> list[dict[str, str]]:
    """Field problems of a decision's reason and comment, as validation details."""
    problems: list[dict[str, str]] = []
    if reason is not None and reason not in REASON_LABELS:
        problems.append({"path": "reason", "message": f"unknown reason code `{reason}`"})
    if decision in DECISIONS_NEEDING_A_REASON and reason is None:
        problems.append({"path": "reason", "message": f"a {decision} needs a reason code"})
    if reason == "other" and not (comment or "").strip():
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
