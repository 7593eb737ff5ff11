"""Collection rounds: what one "please re-upload" request asks of the customer.

A reviewer marks documents `revision` (each with a reason and a message) and may ask for
document types the case lacks; nothing moves until the reviewer sends the request (the case
decision `revision`), which opens the next numbered round with the whole list. The round
closes when the customer submits, or when the integrator re-runs or sends `resubmitted`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.errors import InvalidRequest
from chalicelib.ids import new_id
from chalicelib.models.case import Case, CollectionRound, DecidedBy, RequestedDocument
from chalicelib.models.reviewers import Reviewer

DEFAULT_LINK_TTL_SECONDS = 7 * 24 * 3600
MAX_LINK_TTL_SECONDS = 30 * 24 * 3600
# The flags the inbox filters on: a round's links expired unanswered; the customer answered.
LINK_EXPIRED_FLAG = "collection_link_expired"
RESUBMITTED_FLAG = "resubmitted"


@dataclass(frozen=True)
class NewDocumentType:
    """A document type the reviewer asks for that the case does not have."""

    type: str
    category: str
    reason: str | None = None
    message: str | None = None


def expiry(at: str, seconds: int) -> str:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def open_round(
    case: Case,
    reviewer: Reviewer,
    *,
    reason: str | None,
    comment: str | None,
    new_types: list[NewDocumentType],
    at: str,
    ttl_seconds: int = DEFAULT_LINK_TTL_SECONDS,
) -> CollectionRound:
    """The next round of `case` (changed in place): every document marked `revision`, plus the
    new types asked for. The reviewer's reason and comment are the round's general message."""
    requested = [
        RequestedDocument(
            document_id=doc.id,
            type=doc.type,
            category=doc.category,
            reason=doc.decision.reason,
            message=doc.decision.comment,
        )
        for doc in case.documents
        if doc.status == "revision"
    ]
    present = {(doc.category, doc.type) for doc in case.documents}
    for index, wanted in enumerate(new_types):
        if (wanted.category, wanted.type) in present:
            raise InvalidRequest(
                "the case already has this document: mark it for re-upload instead",
                details=[{"path": f"requestDocuments[{index}]", "message": "already present"}],
            )
        requested.append(
            RequestedDocument(
                type=wanted.type,
                category=wanted.category,
                reason=wanted.reason,
                message=wanted.message,
            )
        )
    round_ = CollectionRound(
        round_id=new_id("round"),
        number=len(case.collection_rounds) + 1,
        document_ids=[item.document_id for item in requested if item.document_id],
        requested=requested,
        message=comment,
        reason=reason,
        sent_at=at,
        sent_by=DecidedBy(id=reviewer.id, name=reviewer.name),
        expires_at=expiry(at, ttl_seconds),
    )
    case.collection_rounds.append(round_)
    if LINK_EXPIRED_FLAG in case.flags:
        case.flags.remove(LINK_EXPIRED_FLAG)
    return round_


def close_open_round(case: Case, *, at: str, by: str) -> int | None:
    """Close the case's open round (in place), answered by the customer or the integrator; the
    round's number, or None if none was open."""
    round_ = case.open_round
    if round_ is None:
        return None
    round_.completed_at = at
    round_.completed_by = by  # type: ignore[assignment]
    if LINK_EXPIRED_FLAG in case.flags:
        case.flags.remove(LINK_EXPIRED_FLAG)
    return round_.number
