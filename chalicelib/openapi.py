"""The OpenAPI 3.1 document of the HTTP API, generated from the pydantic models.

One declarative table (`OPERATIONS`) says, for every `(method, path)` of the Chalice app, what
the operation takes and answers. `build_openapi` walks the app's routes and looks each one up, so
a route added without an entry here cannot go unnoticed: the build raises, and the unit tests
build the document. Schemas come from `pydantic.json_schema.models_json_schema`, which puts every
model (and every nested one) under `components/schemas` once and resolves name clashes.

Nothing here runs at import time beyond defining the table: the document is built on the first
request to `GET /api/v1/openapi.json` (see `chalicelib.handlers.openapi_api`), so the cold start
of every other Lambda invocation does not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.handlers.external_api import WorkflowListQuery
from chalicelib.models.backoffice import (
    AssigneeRequest,
    AuditList,
    CaseList,
    CaseView,
    InboxParams,
    NoteList,
    NoteRequest,
    NoteView,
    UserList,
)
from chalicelib.models.decisions import (
    DecisionRequest,
    IntegratorEventRequest,
    ReasonCodeList,
)
from chalicelib.models.errors import ErrorResponse
from chalicelib.models.responses import (
    RunResponse,
    WorkflowContext,
    WorkflowDefinitionList,
    WorkflowRuntime,
    WorkflowRuntimeList,
)
from chalicelib.models.reviewers import LoginRequest, RefreshRequest, Reviewer, SessionTokens
from chalicelib.models.run import RunRequest
from chalicelib.models.webhooks import (
    CreateSubscriptionRequest,
    DeliveryList,
    DeliveryQuery,
    DeliveryView,
    RotateSecretRequest,
    SigningSecretView,
    SubscriptionList,
    SubscriptionWithSecret,
)

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"

Security = Literal["integrator", "reviewer", "public"]
# The security requirement objects per kind. `public` is an explicit empty list so that a
# reader (or a generated client) does not fall back to a document-wide default.
SECURITY_REQUIREMENTS: dict[Security, list[dict[str, list[str]]]] = {
    "integrator": [{"integratorApiKey": []}],
    "reviewer": [{"reviewerJwt": []}],
    "public": [],
}
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "integratorApiKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "The tenant's integrator API key: `Authorization: Bearer <api key>` "
        "(Ballerine-compatible). Local stack: `secret` (tenant demo), `acme-secret` (acme).",
    },
    "reviewerJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The reviewer's Cognito **ID token** from `POST /api/v1/auth/login` "
        "(the access token is refused). Verified by the app against the pool's JWKS.",
    },
}


# Reusable error responses: status -> (component name, description).
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "`validation_error`: the body or query is invalid (details carry paths)"),
    401: ("Unauthenticated", "`unauthenticated`: missing, malformed, expired or forged"),
    403: ("Forbidden", "`forbidden`: the role or the assignment does not allow it"),
    404: ("NotFound", "`not_found`: no such id in your tenant (another tenant's ids too)"),
    409: (
        "Conflict",
        "`version_conflict` (stale `expectedVersion`), `invalid_transition` or `case_completed`",
    ),
    413: ("PayloadTooLarge", "`payload_too_large`: the body (or a document) is too large"),
    422: (
        "Unprocessable",
        "`unprocessable`: well-formed but not acceptable (e.g. the workflow does not review this "
        "entity type, or an Idempotency-Key reused with a different body)",
    ),
    503: ("Unavailable", "`unavailable`: a dependency failed and nothing changed; try again"),
}


SUCCESS_DESCRIPTIONS: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
}


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    max_length: int


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers. Error statuses are derived from the rest (see
    `error_statuses`) and extended with `errors` where a route can also answer 403 or 409."""

    summary: str
    tag: str
    security: Security
    response: type[BaseModel] | None
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    description: str | None = None
    # False where an empty body means "all defaults" (e.g. rotate-secret).
    body_required: bool = True
    headers: tuple[Header, ...] = field(default_factory=tuple)

    def error_statuses(self, path: str) -> list[int]:
        statuses = set(self.errors)
        if self.body is not None or self.query is not None:
            statuses.add(400)
        if self.body is not None:
            statuses.add(413)
        if self.security != "public":
            statuses.add(401)
        if "{" in path:
            statuses.add(404)
        return sorted(statuses)


EXTERNAL = "/api/v1/external"
AUTH = "/api/v1/auth"
BACKOFFICE = "/api/v1/backoffice"
CASE = f"{BACKOFFICE}/cases/{{case_id}}"

OPERATIONS: dict[tuple[str, str], Operation] = {
    # -- integrators ---------------------------------------------------------------------------
    ("POST", f"{EXTERNAL}/workflows/run"): Operation(
        summary="Run a workflow: create a case (or update the entity's active case)",
        tag="integrator",
        security="integrator",
        body=RunRequest,
        response=RunResponse,
        status=201,
        # 404: unknown workflowId; 409: concurrent runs or a replay still in progress.
        errors=(404, 409, 422),
        headers=(
            Header(
                "Idempotency-Key",
                "replays the first answer for the same key (1..255 characters)",
                255,
            ),
        ),
    ),
    ("GET", f"{EXTERNAL}/workflows"): Operation(
        summary="List the tenant's cases, newest first",
        tag="integrator",
        security="integrator",
        query=WorkflowListQuery,
        response=WorkflowRuntimeList,
    ),
    ("GET", f"{EXTERNAL}/workflows/{{case_id}}"): Operation(
        summary="One case with its documents and their decisions",
        tag="integrator",
        security="integrator",
        response=WorkflowRuntime,
    ),
    ("GET", f"{EXTERNAL}/workflows/{{case_id}}/context"): Operation(
        summary="The case's whole context as kept (unknown fields preserved)",
        tag="integrator",
        security="integrator",
        response=WorkflowContext,
    ),
    ("POST", f"{EXTERNAL}/workflows/{{case_id}}/event"): Operation(
        summary="Send an integrator event (e.g. `resubmitted`)",
        tag="integrator",
        security="integrator",
        body=IntegratorEventRequest,
        response=WorkflowRuntime,
        errors=(409,),
        description="400 for an unknown event, 409 when the event is not allowed now.",
    ),
    ("GET", f"{EXTERNAL}/workflow-definitions"): Operation(
        summary="The bundled workflow definitions",
        tag="integrator",
        security="integrator",
        response=WorkflowDefinitionList,
    ),
    # -- reviewer sign-in ----------------------------------------------------------------------
    ("POST", f"{AUTH}/login"): Operation(
        summary="Sign in with email and password",
        tag="auth",
        security="public",
        body=LoginRequest,
        response=SessionTokens,
        errors=(401,),
    ),
    ("POST", f"{AUTH}/refresh"): Operation(
        summary="Renew the ID and access tokens",
        tag="auth",
        security="public",
        body=RefreshRequest,
        response=SessionTokens,
        errors=(401,),
    ),
    ("POST", f"{AUTH}/logout"): Operation(
        summary="Sign out of every session (revokes the reviewer's refresh tokens)",
        tag="auth",
        security="reviewer",
        response=None,
        status=204,
    ),
    ("GET", f"{AUTH}/me"): Operation(
        summary="The signed-in reviewer",
        tag="auth",
        security="reviewer",
        response=Reviewer,
    ),
    # -- back office ---------------------------------------------------------------------------
    ("GET", f"{BACKOFFICE}/cases"): Operation(
        summary="The inbox: the tenant's cases, filtered, sorted, cursor-paginated",
        tag="cases",
        security="reviewer",
        query=InboxParams,
        response=CaseList,
    ),
    ("GET", CASE): Operation(
        summary="The case view",
        tag="cases",
        security="reviewer",
        response=CaseView,
    ),
    ("PUT", f"{CASE}/assignee"): Operation(
        summary="Assign, claim or unassign a case",
        tag="cases",
        security="reviewer",
        body=AssigneeRequest,
        response=CaseView,
        errors=(403, 409),
    ),
    ("GET", f"{CASE}/notes"): Operation(
        summary="The case's notes, oldest first",
        tag="cases",
        security="reviewer",
        response=NoteList,
    ),
    ("POST", f"{CASE}/notes"): Operation(
        summary="Add a note to the case",
        tag="cases",
        security="reviewer",
        body=NoteRequest,
        response=NoteView,
        status=201,
        errors=(403,),
    ),
    ("GET", f"{CASE}/audit"): Operation(
        summary="The case's audit trail, oldest first",
        tag="cases",
        security="reviewer",
        response=AuditList,
    ),
    ("GET", f"{BACKOFFICE}/users"): Operation(
        summary="The tenant's reviewers (for the assignee picker)",
        tag="users",
        security="reviewer",
        response=UserList,
    ),
    ("POST", f"{CASE}/decision"): Operation(
        summary="Decide the case: approve, reject or ask for a revision",
        tag="decisions",
        security="reviewer",
        body=DecisionRequest,
        response=CaseView,
        errors=(403, 409),
    ),
    ("POST", f"{CASE}/documents/{{document_id}}/decision"): Operation(
        summary="Decide one document of the case",
        tag="decisions",
        security="reviewer",
        body=DecisionRequest,
        response=CaseView,
        errors=(403, 409),
    ),
    ("GET", f"{BACKOFFICE}/reason-codes"): Operation(
        summary="The reason codes a reject or revision decision takes",
        tag="decisions",
        security="reviewer",
        response=ReasonCodeList,
    ),
    # -- webhooks (admins; docs/webhooks.md) ---------------------------------------------------
    ("GET", f"{BACKOFFICE}/webhooks"): Operation(
        summary="The tenant's webhook subscriptions (and the default one); secrets never shown",
        tag="webhooks",
        security="reviewer",
        response=SubscriptionList,
        errors=(403,),
    ),
    ("POST", f"{BACKOFFICE}/webhooks"): Operation(
        summary="Subscribe a URL; the signing secret (`whsec_...`) is in this answer only",
        tag="webhooks",
        security="reviewer",
        body=CreateSubscriptionRequest,
        response=SubscriptionWithSecret,
        status=201,
        errors=(403, 409),
    ),
    ("DELETE", f"{BACKOFFICE}/webhooks/{{subscription_id}}"): Operation(
        summary="Delete a subscription (its pending retries are cancelled)",
        tag="webhooks",
        security="reviewer",
        response=None,
        status=204,
        errors=(403, 409),
    ),
    ("POST", f"{BACKOFFICE}/webhooks/{{subscription_id}}/rotate-secret"): Operation(
        summary="New signing secret; the old one also signs until the overlap ends",
        tag="webhooks",
        security="reviewer",
        body=RotateSecretRequest,
        body_required=False,
        response=SubscriptionWithSecret,
        errors=(403,),
    ),
    ("GET", f"{BACKOFFICE}/webhooks/signing-secret"): Operation(
        summary="The tenant's signing secret for per-run subscriptions: its dates, never itself",
        tag="webhooks",
        security="reviewer",
        response=SigningSecretView,
        errors=(403,),
    ),
    ("POST", f"{BACKOFFICE}/webhooks/signing-secret/reveal"): Operation(
        summary="Show the per-run signing secret, once (409 afterwards: rotate it)",
        tag="webhooks",
        security="reviewer",
        response=SigningSecretView,
        errors=(403, 409),
    ),
    ("POST", f"{BACKOFFICE}/webhooks/signing-secret/rotate"): Operation(
        summary="New per-run signing secret, in this answer only; the old one also signs until "
        "the overlap ends",
        tag="webhooks",
        security="reviewer",
        body=RotateSecretRequest,
        body_required=False,
        response=SigningSecretView,
        errors=(403, 409),
    ),
    ("GET", f"{BACKOFFICE}/webhooks/deliveries"): Operation(
        summary="The delivery log, newest first, filtered, cursor-paginated",
        tag="webhooks",
        security="reviewer",
        query=DeliveryQuery,
        response=DeliveryList,
        errors=(403,),
    ),
    ("GET", f"{BACKOFFICE}/webhooks/deliveries/{{delivery_id}}"): Operation(
        summary="One delivery with every attempt",
        tag="webhooks",
        security="reviewer",
        response=DeliveryView,
        errors=(403,),
    ),
    ("POST", f"{BACKOFFICE}/webhooks/deliveries/{{delivery_id}}/redeliver"): Operation(
        summary="Deliver again (same webhook-id, fresh retry schedule)",
        tag="webhooks",
        security="reviewer",
        response=DeliveryView,
        status=202,
        errors=(403, 409, 503),
    ),
    # -- this document -------------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): Operation(
        summary="This OpenAPI 3.1 document (holds no tenant data, so it is public)",
        tag="meta",
        security="public",
        response=None,
    ),
}

TAGS: list[dict[str, str]] = [
    {"name": "integrator", "description": "Integrators' API, authenticated by the API key"},
    {"name": "auth", "description": "Reviewer sign-in (Cognito)"},
    {"name": "cases", "description": "The back office: inbox, case view, assignment, notes"},
    {"name": "decisions", "description": "Reviewers' decisions on cases and documents"},
    {"name": "users", "description": "The tenant's reviewers"},
    {"name": "webhooks", "description": "Webhook subscriptions and deliveries (admins)"},
    {"name": "meta", "description": "About the API itself"},
]


class UndocumentedRoutes(Exception):
    """A route of the app has no entry in `OPERATIONS`: add one (and its models)."""


def route_keys(routes: Mapping[str, Mapping[str, Any]]) -> set[tuple[str, str]]:
    """`(method, path)` of every route in a Chalice `app.routes` mapping."""
    return {(method, path) for path, methods in routes.items() for method in methods}


def undocumented(routes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    return sorted(route_keys(routes) - OPERATIONS.keys())


def stale(routes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Table entries for routes the app no longer has."""
    return sorted(OPERATIONS.keys() - route_keys(routes))


def _operation_id(view_name: str) -> str:
    # Chalice's view names are the handler functions' names, e.g. `list_cases_route`.
    words = view_name.removesuffix("_route").split("_")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def _schemas(
    models: list[tuple[type[BaseModel], JsonSchemaMode]],
) -> tuple[dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]], dict[str, Any]]:
    """One pass over every model: references by (model, mode) and the hoisted definitions.

    Validation mode for what clients send, serialization mode for what they receive; where the
    two differ pydantic names them `-Input` and `-Output`."""
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema(unique, by_alias=True, ref_template=REF_TEMPLATE)
    return dict(refs), dict(top.get("$defs", {}))


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is absent, never `null`: drop pydantic's null branch."""
    schema = dict(schema)
    if schema.get("default", ...) is None:
        del schema["default"]
    branches = [b for b in schema.get("anyOf", []) if b != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema = {**branches[0], **schema}
    elif "anyOf" in schema:
        schema["anyOf"] = branches
    return schema


def _query_parameters(model: type[BaseModel]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A query model's fields as `in: query` parameters, plus any definitions they refer to."""
    schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE, mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        prop.pop("title", None)
        parameter["schema"] = _not_null(prop)
        parameters.append(parameter)
    return parameters, schema.get("$defs", {})


def _json_content(ref: dict[str, Any]) -> dict[str, Any]:
    return {JSON: {"schema": ref}}


def _error_components() -> dict[str, Any]:
    return {
        name: {
            "description": description,
            "content": _json_content({"$ref": "#/components/schemas/ErrorResponse"}),
        }
        for name, description in ERROR_RESPONSES.values()
    }


def build_openapi(routes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a Chalice `app.routes`. Raises `UndocumentedRoutes` when a
    route has no entry in `OPERATIONS` (entries for routes the app lacks are skipped)."""
    missing = undocumented(routes)
    if missing:
        listed = ", ".join(f"{method} {path}" for method, path in missing)
        raise UndocumentedRoutes(f"add these routes to chalicelib.openapi.OPERATIONS: {listed}")

    keys = sorted(route_keys(routes), key=lambda key: (key[1], key[0]))
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for key in keys:
        operation = OPERATIONS[key]
        if operation.body is not None:
            wanted.append((operation.body, "validation"))
        if operation.response is not None:
            wanted.append((operation.response, "serialization"))
    refs, schemas = _schemas(wanted)

    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for method, path in keys:
        entry = routes[path][method]
        operation = OPERATIONS[(method, path)]
        operation_id = _operation_id(entry.view_name)
        if operation_id in operation_ids:
            raise ValueError(f"two routes share the operationId {operation_id!r}")
        operation_ids.add(operation_id)

        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in entry.view_args
        ]
        if operation.query is not None:
            query_parameters, query_defs = _query_parameters(operation.query)
            parameters.extend(query_parameters)
            for name, definition in query_defs.items():
                if schemas.setdefault(name, definition) != definition:
                    raise ValueError(f"two different schemas are named {name!r}")
        parameters.extend(
            {
                "name": header.name,
                "in": "header",
                "required": False,
                "description": header.description,
                "schema": {"type": "string", "minLength": 1, "maxLength": header.max_length},
            }
            for header in operation.headers
        )

        success: dict[str, Any] = {"description": SUCCESS_DESCRIPTIONS[operation.status]}
        if operation.response is not None:
            success["content"] = _json_content(refs[(operation.response, "serialization")])
        elif operation.status != 204:
            # Only this document itself: a JSON object we do not describe by a model.
            success["content"] = _json_content({"type": "object"})
        responses: dict[str, Any] = {str(operation.status): success}
        for status in operation.error_statuses(path):
            name, _ = ERROR_RESPONSES[status]
            responses[str(status)] = {"$ref": f"#/components/responses/{name}"}

        document_operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": operation.summary,
            "tags": [operation.tag],
            "security": SECURITY_REQUIREMENTS[operation.security],
        }
        if operation.description:
            document_operation["description"] = operation.description
        if parameters:
            document_operation["parameters"] = parameters
        if operation.body is not None:
            document_operation["requestBody"] = {
                "required": operation.body_required,
                "content": _json_content(refs[(operation.body, "validation")]),
            }
        document_operation["responses"] = responses
        paths.setdefault(path, {})[method.lower()] = document_operation

    used_tags = {OPERATIONS[key].tag for key in keys}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "KYC/KYB case-management back office",
            "version": API_VERSION,
            "description": "Integrators send workflow runs; reviewers decide cases in the back "
            "office. Errors are always `{error: {code, message, details?}}`.",
        },
        "tags": [tag for tag in TAGS if tag["name"] in used_tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": _error_components(),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
