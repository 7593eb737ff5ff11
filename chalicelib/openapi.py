"""The OpenAPI 3.1 document of the HTTP API, generated from the operations and their models.

Every route is declared once, with `chalicelib.handlers.operations.operation`, which says what it
takes and answers. `build_openapi` walks the app's routes and reads each one's declaration, so a
route registered without one (a bare `bp.route`) cannot go unnoticed: the build raises, and the
unit tests build the document. Schemas come from `pydantic.json_schema.models_json_schema`,
which puts every model (and every nested one) under `components/schemas` once and resolves name
clashes. Security schemes come from the operations' auth kinds: only the kinds some route uses
are listed.

Nothing here runs at import time: the document is built on the first request to
`GET /api/v1/openapi.json` (see `chalicelib.handlers.openapi_api`), so the cold start of every
other Lambda invocation does not pay for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.errors import RETRY_AFTER_SECONDS
from chalicelib.handlers.operations import Header, declared_operation
from chalicelib.models.errors import ErrorResponse

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"

# Reusable error responses: status -> (component name, description).
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "`validation_error`: the body or query is invalid (details carry paths)"),
    401: (
        "Unauthenticated",
        "`unauthenticated`: missing, malformed, expired or forged; `new_password_required` "
        "at an invited user's first sign-in",
    ),
    403: (
        "Forbidden",
        "`forbidden`: a permission the caller lacks (`details.permission`), a grant beyond "
        "the caller's own permissions, or the assignment does not allow it; `self_approval`: "
        "the maker of a pending approval cannot be its checker",
    ),
    404: ("NotFound", "`not_found`: no such id in your tenant (another tenant's ids too)"),
    409: (
        "Conflict",
        "`version_conflict` (stale `expectedVersion`), `invalid_transition`, `case_completed`, "
        "`criteria_unmet` (`details.criteria`), `evidence_changed` (the pending approval was "
        "voided), `approval_pending`, `no_pending_approval`, `second_approval_required`, "
        "`role_in_use` or `conflict`",
    ),
    413: ("PayloadTooLarge", "`payload_too_large`: the body (or a document) is too large"),
    422: (
        "Unprocessable",
        "`unprocessable`: well-formed but not acceptable (e.g. the workflow does not review this "
        "entity type, or an Idempotency-Key reused with a different body)",
    ),
    500: (
        "InternalError",
        "`internal_error`: an unexpected failure on our side; quote `requestId` when reporting it",
    ),
    503: (
        "ServiceUnavailable",
        "`service_unavailable`: AWS is throttling or briefly unavailable; retry after "
        "`Retry-After` seconds",
    ),
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0, "example": RETRY_AFTER_SECONDS},
    }
}

SUCCESS_DESCRIPTIONS: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
}

TAGS: list[dict[str, str]] = [
    {"name": "integrator", "description": "Integrators' API, authenticated by the API key"},
    {"name": "auth", "description": "Reviewer sign-in (Cognito)"},
    {"name": "cases", "description": "The back office: inbox, case view, assignment, notes"},
    {"name": "decisions", "description": "Reviewers' decisions on cases and documents"},
    {"name": "users", "description": "The tenant's reviewers (the assignee picker)"},
    {"name": "admin", "description": "Tenant administration: users, custom roles, the admin trail"},
    {"name": "webhooks", "description": "Webhook subscriptions and deliveries (admins)"},
    {"name": "views", "description": "Saved inbox views, personal or shared with the tenant"},
    {"name": "layouts", "description": "Case layouts per workflow definition (admins)"},
    {"name": "definitions", "description": "Workflow definitions published by admins"},
    {"name": "vendor", "description": "Vendors' signed callbacks (asynchronous plugins)"},
    {"name": "meta", "description": "About the API itself"},
]


class UndocumentedRoutes(Exception):
    """A route of the app was not declared with `@operation`: declare it (and its models)."""


def route_keys(routes: Mapping[str, Mapping[str, Any]]) -> set[tuple[str, str]]:
    """`(method, path)` of every route in a Chalice `app.routes` mapping."""
    return {(method, path) for path, methods in routes.items() for method in methods}


def undocumented(routes: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, str]]:
    return sorted(key for key in route_keys(routes) if declared_operation(routes, *key) is None)


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
    # Only BaseModel subclasses go in, so every key is one of `models`.
    return cast(dict[tuple[type[BaseModel], JsonSchemaMode], dict[str, Any]], refs), dict(
        top.get("$defs", {})
    )


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
    components: dict[str, Any] = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        component: dict[str, Any] = {"description": description}
        if status == 503:
            component["headers"] = RETRY_AFTER_HEADER
        component["content"] = _json_content({"$ref": "#/components/schemas/ErrorResponse"})
        components[name] = component
    return components


def _header_parameter(header: Header) -> dict[str, Any]:
    return {
        "name": header.name,
        "in": "header",
        "required": False,
        "description": header.description,
        "schema": {"type": "string", "minLength": 1, "maxLength": header.max_length},
    }


def build_openapi(routes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document for a Chalice `app.routes`. Raises `UndocumentedRoutes` when a
    route was not declared with `@operation`."""
    found = {key: declared_operation(routes, *key) for key in route_keys(routes)}
    missing = sorted(key for key, operation in found.items() if operation is None)
    if missing:
        listed = ", ".join(f"{method} {path}" for method, path in missing)
        raise UndocumentedRoutes(f"declare these routes with @operation: {listed}")

    operations = {key: operation for key, operation in found.items() if operation is not None}
    keys = sorted(operations, key=lambda key: (key[1], key[0]))
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorResponse, "serialization")]
    for key in keys:
        operation = operations[key]
        if operation.body is not None:
            wanted.append((operation.body, "validation"))
        if operation.response is not None:
            wanted.append((operation.response, "serialization"))
    refs, schemas = _schemas(wanted)

    paths: dict[str, dict[str, Any]] = {}
    operation_ids: set[str] = set()
    for method, path in keys:
        entry = routes[path][method]
        operation = operations[(method, path)]
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
        parameters.extend(_header_parameter(header) for header in operation.headers)

        success: dict[str, Any] = {"description": SUCCESS_DESCRIPTIONS[operation.status]}
        if operation.response is not None:
            success["content"] = _json_content(refs[(operation.response, "serialization")])
        elif operation.media_type is not None:
            success["content"] = {operation.media_type: {"schema": {"type": "string"}}}
        elif operation.status != 204:
            # Only this document itself: a JSON object we do not describe by a model.
            success["content"] = _json_content({"type": "object"})
        responses: dict[str, Any] = {str(operation.status): success}
        for status in operation.error_statuses():
            name, _ = ERROR_RESPONSES[status]
            responses[str(status)] = {"$ref": f"#/components/responses/{name}"}

        document_operation: dict[str, Any] = {
            "operationId": operation_id,
            "summary": operation.summary,
            "tags": [operation.tag],
            "security": operation.auth.requirement(),
        }
        if operation.description:
            document_operation["description"] = operation.description
        if operation.auth.permissions:
            # The permissions the route needs (any one of them); see docs/roles.md.
            document_operation["x-permissions"] = list(operation.auth.permissions)
        if parameters:
            document_operation["parameters"] = parameters
        if operation.body is not None:
            document_operation["requestBody"] = {
                "required": operation.body_required,
                "content": _json_content(refs[(operation.body, "validation")]),
            }
        document_operation["responses"] = responses
        paths.setdefault(path, {})[method.lower()] = document_operation

    declared = list(operations.values())
    used_tags = {operation.tag for operation in declared}
    schemes = {
        operation.auth.scheme_name: operation.auth.scheme
        for operation in declared
        if operation.auth.scheme_name and operation.auth.scheme
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "KYC/KYB case-management back office",
            "version": API_VERSION,
            "description": "Integrators send workflow runs; reviewers decide cases in the back "
            "office. Errors are always `{error: {code, message, details?, requestId}}`.",
        },
        "tags": [tag for tag in TAGS if tag["name"] in used_tags],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": _error_components(),
            "securitySchemes": dict(sorted(schemes.items())),
        },
    }
