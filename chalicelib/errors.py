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


class ServiceUnavailable(DomainError):
    """A dependency failed and nothing was changed: the client may try again."""

    status_code = 503
    code = "unavailable"
