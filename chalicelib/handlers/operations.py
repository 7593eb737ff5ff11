"""Every HTTP operation declared once: `@operation(...)` registers the Chalice route and says
what it takes and answers, and `chalicelib.openapi` reads the same declaration.

The registered handler authenticates (the operation's `AuthKind`), parses the body and the query
into their models, calls the view with typed keyword arguments (path parameters, the principal
under the auth kind's `argument`, `body`, `query`), and serialises the model the view returns
(by alias) with the success status. Every failure leaves in the one error envelope
(`chalicelib.handlers.http.handle_errors`).

Declaring costs nothing at import beyond a dataclass per route: schemas are built only when the
OpenAPI document is (see `chalicelib.handlers.openapi_api`).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.handlers.auth_kinds import AuthKind
from chalicelib.handlers.http import handle_errors, json_response, parse_body, parse_query

# Statuses with a documented error answer; an operation may declare only these. 500 and 503
# are every operation's: any route can fail unexpectedly or be throttled by AWS.
KNOWN_ERRORS = frozenset({400, 401, 403, 404, 409, 413, 422, 500, 503})
ALWAYS = (500, 503)
SUCCESS_STATUSES = frozenset({200, 201, 202, 204})
_PATH_PARAMETER = re.compile(r"{(\w+)}")


class IncompleteOperation(TypeError):
    """An operation declared without what the API document needs (response, errors...)."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    max_length: int


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers. Error statuses are derived from the rest (see
    `error_statuses`) and extended with `errors` where a route can also answer e.g. 403 or 409."""

    method: str
    path: str  # as declared on the blueprint, without its url prefix
    auth: AuthKind[Any]
    summary: str
    tag: str
    response: type[BaseModel] | None  # None: no body (204), or one no model describes
    errors: tuple[int, ...]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    # False where an empty body means "all defaults" (e.g. rotate-secret).
    body_required: bool = True
    headers: tuple[Header, ...] = field(default_factory=tuple)
    description: str | None = None
    exclude_none: bool = False

    @property
    def path_parameters(self) -> list[str]:
        return _PATH_PARAMETER.findall(self.path)

    def view_arguments(self) -> set[str]:
        """The keyword arguments the view is called with (the principal only if it asks)."""
        names = set(self.path_parameters)
        if self.auth.argument is not None:
            names.add(self.auth.argument)
        if self.body is not None:
            names.add("body")
        if self.query is not None:
            names.add("query")
        return names

    def error_statuses(self) -> list[int]:
        statuses = {*self.errors, *ALWAYS}
        if self.body is not None or self.query is not None:
            statuses.add(400)
        if self.body is not None:
            statuses.add(413)
        if self.auth.kind != "public":
            statuses.add(401)
        if self.auth.refuses:
            statuses.add(403)
        if self.path_parameters:
            statuses.add(404)
        return sorted(statuses)

    def check(self) -> None:
        where = f"{self.method} {self.path}"
        if self.response is MISSING or self.errors is MISSING:
            raise IncompleteOperation(
                f"{where}: declare `response=` (a model, or None for no body) and `errors=` "
                "(the statuses beyond the derived ones, `()` for none)"
            )
        if self.response is not None and not (
            isinstance(self.response, type) and issubclass(self.response, BaseModel)
        ):
            raise IncompleteOperation(f"{where}: `response` must be a pydantic model or None")
        if self.status not in SUCCESS_STATUSES:
            raise IncompleteOperation(f"{where}: unknown success status {self.status}")
        if self.status == 204 and self.response is not None:
            raise IncompleteOperation(f"{where}: a 204 answer has no body")
        unknown = set(self.errors) - KNOWN_ERRORS
        if unknown:
            raise IncompleteOperation(f"{where}: no documented error answer for {sorted(unknown)}")


# Every operation, by the function Chalice calls for it (`RouteEntry.view_function`).
_REGISTRY: dict[Callable[..., Any], Operation] = {}


def operation_of(view_function: Callable[..., Any]) -> Operation | None:
    return _REGISTRY.get(view_function)


def declared_operation(
    routes: Mapping[str, Mapping[str, Any]], method: str, path: str
) -> Operation | None:
    """The operation behind `method path` of a Chalice `app.routes`; None for a route that
    was not declared with `@operation` (or whose view was declared for another route)."""
    found = operation_of(routes[path][method].view_function)
    if found is None or found.method != method or not path.endswith(found.path):
        return None
    return found


def operation_at(routes: Mapping[str, Mapping[str, Any]], method: str, path: str) -> Operation:
    """`declared_operation`, for callers that need one (KeyError if none)."""
    found = declared_operation(routes, method, path)
    if found is None:
        raise KeyError(f"{method} {path} was not declared with @operation")
    return found


def _serialise(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if op.response is None:
        if result is not None:
            raise TypeError(f"{op.method} {op.path} declares no response but returned one")
        return Response(body="", status_code=op.status)
    if not isinstance(result, op.response):
        raise TypeError(
            f"{op.method} {op.path} returned {type(result).__name__}, "
            f"not the declared {op.response.__name__}"
        )
    body = result.model_dump(by_alias=True, exclude_none=op.exclude_none)
    return json_response(body, op.status)


def operation(
    bp: Blueprint,
    method: str,
    path: str,
    *,
    auth: AuthKind[Any],
    summary: str,
    tag: str,
    response: type[BaseModel] | None = MISSING,
    errors: tuple[int, ...] = MISSING,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    body_required: bool = True,
    headers: tuple[Header, ...] = (),
    description: str | None = None,
    exclude_none: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare and register one HTTP operation on `bp` (see the module docstring). Raises
    `IncompleteOperation` at import when the declaration lacks what the document needs or the
    view's parameters do not match what it will be called with."""
    op = Operation(
        method=method,
        path=path,
        auth=auth,
        summary=summary,
        tag=tag,
        response=response,
        errors=errors,
        status=status,
        body=body,
        query=query,
        body_required=body_required,
        headers=headers,
        description=description,
        exclude_none=exclude_none,
    )
    op.check()

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        declared = set(inspect.signature(view).parameters)
        expected = op.view_arguments()
        principal_only = {op.auth.argument} & expected
        # Every argument must be taken, except the principal where the view does not need it.
        if not expected - principal_only <= declared <= expected:
            raise IncompleteOperation(
                f"{method} {path}: {view.__name__} takes {sorted(declared)} but is called "
                f"with {sorted(expected)}"
            )
        takes_principal = bool(principal_only & declared)

        @functools.wraps(view)
        def handle(**path_params: str) -> Response:
            request = bp.current_request

            def call() -> Response:
                kwargs: dict[str, Any] = dict(path_params)
                principal = op.auth.authenticate(request, path_params)
                if takes_principal:
                    kwargs[str(op.auth.argument)] = principal
                if op.body is not None:
                    raw = request.raw_body or b""
                    if op.body_required or raw.strip():
                        kwargs["body"] = parse_body(request, op.body)
                    else:
                        kwargs["body"] = op.body()
                if op.query is not None:
                    kwargs["query"] = parse_query(request, op.query)
                return _serialise(op, view(**kwargs))

            return handle_errors(request, call)

        _REGISTRY[handle] = op
        bp.route(path, methods=[method])(handle)
        return handle

    return register
