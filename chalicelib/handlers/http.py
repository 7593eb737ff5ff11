"""The HTTP edge shared by every route: body parsing, authentication and the one place where
domain errors become HTTP responses."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalice import Blueprint, Response
from chalice.app import Request
from pydantic import BaseModel, ValidationError
from pydantic_core import from_json

from chalicelib.auth.sessions import authenticate_reviewer
from chalicelib.config import MAX_REQUEST_BYTES, get_settings
from chalicelib.dependencies import reviewer_directory, tenant_directory, token_verifier
from chalicelib.errors import DomainError, InvalidRequest, PayloadTooLarge
from chalicelib.ids import new_id
from chalicelib.models.errors import ErrorBody, ErrorResponse
from chalicelib.models.reviewers import Reviewer
from chalicelib.observability import logger
from chalicelib.tenants.api_keys import authenticate_integrator

Model = TypeVar("Model", bound=BaseModel)
JSON_HEADERS = {"Content-Type": "application/json"}


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        body=json.dumps(body, separators=(",", ":"), default=str),
        status_code=status_code,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def error_response(error: DomainError) -> Response:
    # Built without validation: an error answer must never fail in turn (the contract tests
    # check the shape against the schema instead).
    body = ErrorResponse.model_construct(
        error=ErrorBody.model_construct(
            code=error.code, message=error.message, details=error.details
        )
    )
    return json_response(body.model_dump(exclude_none=True), error.status_code)


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


def request_id(request: Request) -> str:
    """API Gateway's request id; one of our own where there is none (tests, local tools)."""
    if request.context is None:
        request.context = {}
    return str(request.context.setdefault("requestId", new_id("req")))


def integrator_tenant(request: Request) -> str:
    return authenticate_integrator(
        request.headers.get("authorization"), tenant_directory(), get_settings().api_key_pepper
    )


def signed_in_reviewer(request: Request) -> Reviewer:
    """The reviewer whose Cognito ID token authorises this request (401 otherwise)."""
    return authenticate_reviewer(
        request.headers.get("authorization"), token_verifier(), reviewer_directory()
    )


def api_route(bp: Blueprint, path: str, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """`bp.route` whose view maps domain and validation errors to JSON error responses."""

    def register(view: Callable[..., Any]) -> Any:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except DomainError as error:
                if error.status_code >= 500:
                    logger.exception("domain error", extra={"code": error.code})
                return error_response(error)

        return bp.route(path, **options)(guarded)

    return register
