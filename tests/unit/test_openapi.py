"""The OpenAPI document: valid 3.1, complete (every route of the app), secured per route, and
built lazily (importing the app must not pay for it)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_openapi

from app import app
from chalicelib import openapi
from chalicelib.handlers.operations import operation_at
from chalicelib.openapi import UndocumentedRoutes, build_openapi, route_keys
from tests.conftest import PROJECT_DIR

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_openapi(app.routes)


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    # Pinned to the 3.1 validator rather than detected from the `openapi` field.
    validate_openapi(document, cls=OpenAPIV31SpecValidator)


def test_every_route_of_the_app_is_documented_and_nothing_else(
    document: dict[str, Any],
) -> None:
    app_routes = route_keys(app.routes)
    assert openapi.undocumented(app.routes) == []
    assert {(method, path) for method, path, _ in operations(document)} == app_routes


def test_a_route_missing_from_the_table_fails_the_build() -> None:
    routes = {path: dict(methods) for path, methods in app.routes.items()}
    some_entry = next(iter(routes["/api/v1/auth/me"].values()))
    routes["/api/v1/backoffice/not-documented"] = {"GET": some_entry}
    with pytest.raises(UndocumentedRoutes, match="GET /api/v1/backoffice/not-documented"):
        build_openapi(routes)


@pytest.mark.parametrize(
    ("prefix", "scheme"),
    [
        ("/api/v1/external/", "integratorApiKey"),
        ("/api/v1/backoffice/", "reviewerJwt"),
    ],
)
def test_each_family_of_routes_has_its_security(
    document: dict[str, Any], prefix: str, scheme: str
) -> None:
    family = [(m, p, op) for m, p, op in operations(document) if p.startswith(prefix)]
    assert family
    for method, path, operation in family:
        # The vendors' callbacks (under the integrator's workflows) are signed by the vendor.
        expected = "vendorSignature" if path.endswith("/hook/{event}") else scheme
        assert operation["security"] == [{expected: []}], (method, path)
        assert "401" in operation["responses"], (method, path)


def test_sign_in_and_this_document_are_public_and_me_is_not(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert paths["/api/v1/auth/login"]["post"]["security"] == []
    assert paths["/api/v1/auth/refresh"]["post"]["security"] == []
    assert paths["/api/v1/openapi.json"]["get"]["security"] == []
    assert paths["/api/v1/auth/me"]["get"]["security"] == [{"reviewerJwt": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes["integratorApiKey"] == {**schemes["integratorApiKey"], "type": "http"}
    assert schemes["integratorApiKey"]["scheme"] == "bearer"
    assert schemes["reviewerJwt"]["scheme"] == "bearer"
    assert schemes["reviewerJwt"]["bearerFormat"] == "JWT"


def test_path_parameters_match_the_route_templates(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        declared = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
        assert declared == app.routes[path][method].view_args, (method, path)


def test_query_models_become_query_parameters(document: dict[str, Any]) -> None:
    inbox = document["paths"]["/api/v1/backoffice/cases"]["get"]["parameters"]
    by_name = {p["name"]: p for p in inbox if p["in"] == "query"}
    assert {"state", "status", "assignee", "workflowDefinitionId", "entityType", "q"} <= set(
        by_name
    )
    assert {"sort", "order", "limit", "cursor"} <= set(by_name)
    assert by_name["limit"]["schema"] == {
        "default": 25,
        "maximum": 100,
        "minimum": 1,
        "type": "integer",
    }
    # A query parameter is absent rather than null: no null branch leaks from pydantic.
    assert by_name["entityType"]["schema"] == {
        "enum": ["individual", "business"],
        "type": "string",
    }
    runs = document["paths"]["/api/v1/external/workflows"]["get"]["parameters"]
    assert [p["name"] for p in runs] == ["status", "limit", "cursor"]


def test_bodies_and_answers_refer_to_the_models(document: dict[str, Any]) -> None:
    run = document["paths"]["/api/v1/external/workflows/run"]["post"]
    assert run["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunRequest"
    }
    assert run["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RunResponse"
    }
    assert any(p["name"] == "Idempotency-Key" for p in run["parameters"])
    note = document["paths"]["/api/v1/backoffice/cases/{case_id}/notes"]["post"]
    assert set(note["responses"]) >= {"201", "400", "401", "404"}


def test_error_answers_use_the_one_error_shape(document: dict[str, Any]) -> None:
    components = document["components"]
    error = components["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    body = components["schemas"]["ErrorBody"]
    # Every error answer carries the request's id (issue 11).
    assert body["required"] == ["code", "message", "requestId"]
    for _, _, operation in operations(document):
        for status, answer in operation["responses"].items():
            if int(status) >= 400:
                name = answer["$ref"].removeprefix("#/components/responses/")
                content = components["responses"][name]["content"]["application/json"]
                assert content["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_every_schema_is_valid_json_schema_2020_12_and_every_ref_resolves(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert "$defs" not in schema, f"{name}: definitions must be hoisted"

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for value in node.values() for r in refs(value)]
        if isinstance(node, list):
            return [r for value in node for r in refs(value)]
        return []

    for ref in refs(document):
        _, section, name = ref.removeprefix("#/").split("/")
        assert name in document["components"][section], ref


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]
    assert len(ids) == len(set(ids))


def test_every_operation_names_a_known_error_status() -> None:
    for method, path in route_keys(app.routes):
        for status in operation_at(app.routes, method, path).error_statuses():
            assert status in openapi.ERROR_RESPONSES, (method, path, status)


def test_importing_the_app_does_not_build_the_document() -> None:
    # A fresh interpreter: this test process has imported chalicelib.openapi already.
    probe = (
        "import sys, app; "
        "assert 'chalicelib.openapi' not in sys.modules, 'the app imported chalicelib.openapi'; "
        "from chalicelib.handlers import openapi_api; "
        "assert openapi_api._document is None"
    )
    subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, check=True, timeout=120)


def test_every_operation_can_fail_unexpectedly_or_be_throttled(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert responses["500"] == {"$ref": "#/components/responses/InternalError"}, (method, path)
        assert responses["503"] == {"$ref": "#/components/responses/ServiceUnavailable"}
    throttled = document["components"]["responses"]["ServiceUnavailable"]
    assert throttled["headers"]["Retry-After"]["schema"]["type"] == "integer"


def test_the_module_holds_no_table_of_operations() -> None:
    tables = [
        name
        for name, value in vars(openapi).items()
        if isinstance(value, dict) and any(isinstance(key, tuple) for key in value)
    ]
    assert tables == []
