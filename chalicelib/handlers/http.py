"""The HTTP edge shared by every route: body parsing, and the one place where failures become
HTTP responses, all in one envelope `{error: {code, message, details?, requestId}}`."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from chalicelib.aws.errors import is_retryable_aws_error
from chalicelib.config import MAX_REQUEST_BYTES
from chalicelib.errors import DomainError, InvalidRequest, PayloadTooLarge, ServiceUnavailable
from chalicelib.ids import new_id
from chalicelib.models.errors import ErrorBody, ErrorResponse
from chalicelib.observability import logger

Model = TypeVar("Model", bound=BaseModel)
JSON_HEADERS = {"Content-Type": "application/json"}
INTERNAL_ERROR = "internal_error"


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":"), default=str),
        status_code=status_code,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def _envelope(
    status: int,
    code: str,
    message: str,
    request: Request | None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    # Built without validation: an error answer must never fail in turn (the contract tests
    # check the shape against the schema instead).
    body = ErrorResponse.model_construct(
        error=ErrorBody.model_construct(
            code=code, message=message, details=details, request_id=request_id(request)
        )
    )
    return json_response(body.model_dump(by_alias=True, exclude_none=True), status, headers)


def error_response(error: DomainError, request: Request | None) -> Response:
    headers = None
    if isinstance(error, ServiceUnavailable):
        headers = {"Retry-After": str(error.retry_after)}
    return _envelope(error.status_code, error.code, error.message, request, error.details, headers)


def _route(request: Request | None) -> dict[str, str]:
    """Where a failure happened, by route template: never the concrete path or query, which
    can carry names (inbox search) or ids a log reader should not need."""
    context = (request.context if request is not None else None) or {}
    return {
        "method": str(context.get("httpMethod", "")),
        "route": str(context.get("resourcePath", "")),
    }


def unexpected_error_response(exc: Exception, request: Request | None) -> Response:
    """500 `internal_error`, or 503 with `Retry-After` when AWS throttled us or is briefly
    unavailable. Logged once, with the request id and the stack but not the message or the
    body: either may carry the personal data the request was about."""
    rid = request_id(request)
    where = {"request_id": rid, **_route(request), "exception_name": type(exc).__name__}
    if is_retryable_aws_error(exc):
        logger.warning("AWS is throttling or unavailable", extra=where)
        return error_response(
            ServiceUnavailable("the service is busy; retry shortly"),
            request,
        )
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.error("unexpected error", extra={**where, "stack": stack})
    return _envelope(500, INTERNAL_ERROR, "an unexpected error occurred", request)


def handle_errors(request: Request | None, call: Callable[[], Response]) -> Response:
    """`call()`, with every failure answered in the envelope."""
    try:
        return call()
    except DomainError as error:
        if error.status_code >= 500 and not isinstance(error, ServiceUnavailable):
            logger.exception("domain error", extra={"code": error.code})
        return error_response(error, request)
    except Exception as exc:  # the last line: no failure leaves without the envelope
        return unexpected_error_response(exc, request)


def _chalice_error_code(name: str) -> str:
    """Chalice's own error names (`MethodNotAllowedError`) as our codes (`method_not_allowed`)."""
    name = name.removesuffix("Error") or name
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def error_envelope_middleware(
    request: Request, get_response: Callable[[Request], Response]
) -> Response:
    """App-wide: failures outside the views (other middleware) and the errors Chalice answers
    itself (`{"Code": ..., "Message": ...}`: 405, 415, its 500) leave in the envelope too."""
    response = handle_errors(request, lambda: get_response(request))
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and "Code" in body:
        code = _chalice_error_code(str(body["Code"]))
        if response.status_code >= 500:
            code, message = INTERNAL_ERROR, "an unexpected error occurred"
        else:
            message = str(body.get("Message", ""))
        headers = {
            name: str(value)
            for name, value in response.headers.items()
            if name.lower() != "content-type"
        }
        return _envelope(response.status_code, code, message, request, headers=headers)
    return response


def field_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {"path": field_path(err["loc"]) or "$", "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def parse_json(request: Request) -> Any:
    """The body as JSON. pydantic's parser (jiter) rejects what `json.loads` lets through to fail
    later as a 500: nesting deeper than about 200 levels (`json.loads` overflows the stack), lone
    surrogate escapes such as "\\ud800" (no UTF-8 form, so no JSON or DynamoDB form either) and
    NaN or Infinity, which are not JSON."""
    raw = request.raw_body or b""
    if len(raw) > MAX_REQUEST_BYTES:
        raise PayloadTooLarge(f"the body is {len(raw)} bytes; the limit is {MAX_REQUEST_BYTES}")
    if not raw.strip():
        raise InvalidRequest("the request body is empty; JSON expected")
    try:
        return from_json(raw, allow_inf_nan=False)
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc


def parse_body(request: Request, model: type[Model]) -> Model:
    payload = parse_json(request)
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        details = validation_details(exc)
        raise InvalidRequest("the request is invalid", details=details) from exc


def parse_query(request: Request, model: type[Model]) -> Model:
    try:
        return model.model_validate(dict(request.query_params or {}))
    except ValidationError as exc:
        raise InvalidRequest("invalid query parameters", details=validation_details(exc)) from exc


def request_id(request: Request | None) -> str:
    """API Gateway's request id; one of our own where there is none (tests, local tools), kept
    on the request so that every log line and error answer of one request share it."""
    if request is None:
        return new_id("req")
    if request.context is None:
        request.context = {}
    return str(request.context.setdefault("requestId", new_id("req")))
