"""Domain errors. Each maps to one HTTP status in `chalicelib.handlers.http`, and only there."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(DomainError):
    status_code = 400
    code = "validation_error"


class Unauthenticated(DomainError):
    status_code = 401
    code = "unauthenticated"


class NewPasswordRequired(Unauthenticated):
    """The password was right but temporary: the user must choose a new one first."""

    code = "new_password_required"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class VersionConflict(Conflict):
    code = "version_conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class Unprocessable(DomainError):
    status_code = 422
    code = "unprocessable"


class TransitionNotAllowed(Conflict):
    """The decision or event is not accepted in the case's current state."""

    code = "invalid_transition"


class CaseCompleted(Conflict):
    code = "case_completed"


class CriteriaUnmet(Conflict):
    """An approval the case's enforced acceptance criteria do not allow (`details.criteria`)."""

    code = "criteria_unmet"


class SelfApproval(Forbidden):
    """The maker of a pending approval tried to be its checker too."""

    code = "self_approval"


class EvidenceChanged(Conflict):
    """The evidence changed since the maker's approval: it was voided (`details.changed`)."""

    code = "evidence_changed"


class ApprovalPending(Conflict):
    """A decision other than confirming (or returning) the pending approval."""

    code = "approval_pending"


class NoPendingApproval(Conflict):
    code = "no_pending_approval"


class SecondApprovalRequired(Conflict):
    """An integrator's event cannot approve a case that needs four eyes (two people)."""

    code = "second_approval_required"


# How long a client should wait before retrying a 503 (AWS throttling clears within seconds).
RETRY_AFTER_SECONDS = 1


class ServiceUnavailable(DomainError):
    """AWS throttled us (also after bounded retries of our own) or is briefly unavailable: the
    client may retry after `retry_after` seconds."""

    status_code = 503
    code = "service_unavailable"

    def __init__(
        self, message: str, *, retry_after: int = RETRY_AFTER_SECONDS, details: Any = None
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after
