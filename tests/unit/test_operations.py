"""Operations declared once (`chalicelib.handlers.operations`): what a declaration must say, how
the registered handler calls its view, and the document built from the declarations alone.

A small app of its own, with public and signature-authenticated routes only, so nothing here
needs AWS."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice import Blueprint, Chalice
from chalice.test import Client
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_openapi
from pydantic import Field

from chalicelib.auth.collection_tokens import CollectionGrant, hash_collection_token
from chalicelib.auth.vendor_signatures import VendorCaller, sign_callback
from chalicelib.errors import Conflict
from chalicelib.handlers.auth_kinds import (
    INTEGRATOR,
    PUBLIC,
    REVIEWER,
    WEBHOOK_MANAGER,
    CollectionToken,
    VendorSignature,
)
from chalicelib.handlers.http import error_envelope_middleware
from chalicelib.handlers.operations import IncompleteOperation, operation, operation_at
from chalicelib.models.base import ApiModel
from chalicelib.observability import logger
from chalicelib.openapi import UndocumentedRoutes, build_openapi


class Greeting(ApiModel):
    greeted_name: str
    times: int


class GreetRequest(ApiModel):
    first_name: str = Field(min_length=1)


class GreetQuery(ApiModel):
    times: int = Field(default=1, ge=1, le=3)


class Grants:
    def __init__(self, grants: dict[str, CollectionGrant]) -> None:
        self.grants = grants

    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None:
        return self.grants.get(token_hash)


class Secrets:
    def secret_for(self, provider: str) -> str | None:
        return {"acmeid": "vendor-secret"}.get(provider)


GRANT = CollectionGrant("demo", "case-1", datetime.now(UTC) + timedelta(hours=1))
CUSTOMER = CollectionToken(lambda: Grants({hash_collection_token("link-token"): GRANT}))
VENDOR = VendorSignature(Secrets)


def build_app() -> Chalice:
    app = Chalice(app_name="operations-test")
    app.register_middleware(error_envelope_middleware, "http")
    bp = Blueprint(__name__)

    @operation(
        bp,
        "POST",
        "/greet/{place}",
        auth=PUBLIC,
        summary="Greet",
        tag="meta",
        body=GreetRequest,
        query=GreetQuery,
        response=Greeting,
        status=201,
        errors=(409,),
    )
    def greet_route(place: str, body: GreetRequest, query: GreetQuery) -> Greeting:
        if place == "busy":
            raise Conflict("busy")
        if place == "broken":
            raise RuntimeError(f"cannot greet {body.first_name}")
        return Greeting(greeted_name=f"{body.first_name} of {place}", times=query.times)

    @operation(
        bp,
        "GET",
        "/collect/cases/{case_id}",
        auth=CUSTOMER,
        summary="The customer's case",
        tag="meta",
        response=Greeting,
        errors=(),
    )
    def customer_route(grant: CollectionGrant, case_id: str) -> Greeting:
        return Greeting(greeted_name=grant.case_id, times=1)

    @operation(
        bp,
        "POST",
        "/vendors/{provider}/callback",
        auth=VENDOR,
        summary="A vendor's callback",
        tag="meta",
        response=None,
        status=204,
        errors=(),
    )
    def vendor_route(caller: VendorCaller, provider: str) -> None:
        assert caller.provider == provider

    app.register_blueprint(bp, url_prefix="/api")
    return app


@pytest.fixture(scope="module")
def app() -> Chalice:
    return build_app()


@pytest.fixture
def client(app: Chalice) -> Iterator[Client]:
    with Client(app) as test_client:
        yield test_client


def post(client: Client, path: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post(path, headers={"Content-Type": "application/json", **headers}, body=raw)


# -- declarations ----------------------------------------------------------------------------
def declare(**overrides: Any) -> Any:
    options: dict[str, Any] = {
        "auth": PUBLIC,
        "summary": "s",
        "tag": "meta",
        "response": Greeting,
        "errors": (),
    }
    options.update(overrides)
    return operation(Blueprint("declared"), "GET", "/things/{thing_id}", **options)


def test_a_route_without_a_response_model_fails_the_build() -> None:
    with pytest.raises(IncompleteOperation, match="declare `response=`"):
        operation(Blueprint("x"), "GET", "/x", auth=PUBLIC, summary="s", tag="t", errors=())


def test_a_route_without_error_codes_fails_the_build() -> None:
    with pytest.raises(IncompleteOperation, match="`errors=`"):
        operation(Blueprint("x"), "GET", "/x", auth=PUBLIC, summary="s", tag="t", response=None)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"errors": (418,)}, "no documented error answer for \\[418\\]"),
        ({"status": 204}, "a 204 answer has no body"),
        ({"status": 299}, "unknown success status"),
        ({"response": dict}, "must be a pydantic model"),
    ],
)
def test_an_inconsistent_declaration_fails_the_build(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(IncompleteOperation, match=match):
        declare(**overrides)


def test_a_view_must_take_what_it_is_called_with() -> None:
    register = declare(body=GreetRequest)

    def forgets_the_body(thing_id: str) -> Greeting:
        raise AssertionError

    with pytest.raises(IncompleteOperation, match="takes \\['thing_id'\\] but is called with"):
        register(forgets_the_body)

    def takes_too_much(thing_id: str, body: GreetRequest, query: GreetQuery) -> Greeting:
        raise AssertionError

    with pytest.raises(IncompleteOperation):
        register(takes_too_much)


def test_a_view_may_leave_out_the_principal_but_nothing_else() -> None:
    def list_things(thing_id: str) -> Greeting:
        raise AssertionError

    declare(auth=REVIEWER)(list_things)
    with pytest.raises(IncompleteOperation):
        declare(auth=REVIEWER)(lambda reviewer: None)


def test_a_route_registered_without_operation_fails_the_document() -> None:
    app = build_app()

    @app.route("/api/bare", methods=["GET"])
    def bare_route() -> dict[str, str]:
        return {}

    with pytest.raises(UndocumentedRoutes, match="GET /api/bare"):
        build_openapi(app.routes)


# -- the registered handler ------------------------------------------------------------------
def test_the_view_gets_typed_arguments_and_its_model_is_serialised_by_alias(
    client: Client,
) -> None:
    response = post(client, "/api/greet/Paris?times=2", {"firstName": "Ada"})
    assert response.status_code == 201
    assert json.loads(response.body) == {"greetedName": "Ada of Paris", "times": 2}


def test_bad_bodies_and_queries_answer_400_with_paths(client: Client) -> None:
    bad_body = json.loads(post(client, "/api/greet/Paris", {"firstName": ""}).body)["error"]
    assert bad_body["code"] == "validation_error"
    assert bad_body["details"][0]["path"] == "firstName"
    assert bad_body["requestId"]
    bad_query = post(client, "/api/greet/Paris?times=9", {"firstName": "Ada"})
    assert bad_query.status_code == 400
    assert json.loads(bad_query.body)["error"]["details"][0]["path"] == "times"


def test_a_domain_error_answers_its_status_with_the_request_id(client: Client) -> None:
    response = post(client, "/api/greet/busy", {"firstName": "Ada"})
    assert response.status_code == 409
    error = json.loads(response.body)["error"]
    assert error["code"] == "conflict" and error["requestId"].startswith("req")


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """Error lines of the service's logger, as the JSON Powertools writes for them."""
    return [
        json.loads(logger.registered_formatter.format(record))
        for record in caplog.records
        if record.name == logger.name and record.levelname == "ERROR"
    ]


def test_an_unexpected_exception_answers_the_envelope_and_is_logged_once(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    response = post(client, "/api/greet/broken", {"firstName": "Personal Name"})
    assert response.status_code == 500
    body = json.loads(response.body)
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == "internal_error" and error["message"]
    assert "Code" not in body and "Personal Name" not in response.body.decode()
    (line,) = logged_errors(caplog)
    assert line["request_id"] == error["requestId"]
    assert line["route"] == "/api/greet/{place}" and line["method"] == "POST"
    assert line["exception_name"] == "RuntimeError"
    assert "greet_route" in line["stack"]
    # Neither the body nor the exception's message (which quotes it) is logged.
    assert "Personal Name" not in json.dumps(line)


def test_chalice_own_error_answers_leave_in_the_envelope(client: Client) -> None:
    response = client.http.request("DELETE", "/api/greet/Paris", headers={}, body=b"")
    assert response.status_code == 405
    error = json.loads(response.body)["error"]
    assert error["code"] == "method_not_allowed" and error["requestId"]
    assert response.headers["Allow"] == "POST"


def test_a_failing_middleware_answers_the_envelope(caplog: pytest.LogCaptureFixture) -> None:
    app = build_app()

    @app.middleware("http")
    def broken(event: Any, get_response: Any) -> Any:
        raise KeyError(event.headers["x-personal"])

    with Client(app) as client:
        response = post(
            client, "/api/greet/Paris", {"firstName": "Ada"}, **{"X-Personal": "secret-value"}
        )
    assert response.status_code == 500
    assert json.loads(response.body)["error"]["code"] == "internal_error"
    (line,) = logged_errors(caplog)
    assert line["exception_name"] == "KeyError" and "secret-value" not in json.dumps(line)


# -- the auth kinds through the handler ------------------------------------------------------
def test_a_collection_token_reaches_its_own_case_only(client: Client) -> None:
    token = {"Authorization": "Bearer link-token"}
    ok = client.http.get("/api/collect/cases/case-1", headers=token)
    assert ok.status_code == 200, ok.body
    assert json.loads(ok.body)["greetedName"] == "case-1"
    assert client.http.get("/api/collect/cases/case-2", headers=token).status_code == 404
    refused = client.http.get("/api/collect/cases/case-1", headers={"Authorization": "Bearer x"})
    assert refused.status_code == 401
    assert json.loads(refused.body)["error"]["code"] == "unauthenticated"


def test_a_vendor_callback_needs_its_provider_signature(client: Client) -> None:
    import time

    body = b'{"check":"clear"}'
    stamp = str(int(time.time()))
    signed = {
        "X-Signature-Timestamp": stamp,
        "X-Signature": sign_callback("vendor-secret", stamp, body),
    }
    assert post(client, "/api/vendors/acmeid/callback", body, **signed).status_code == 204
    assert post(client, "/api/vendors/otherid/callback", body, **signed).status_code == 401
    tampered = post(client, "/api/vendors/acmeid/callback", b'{"check":"hit"}', **signed)
    assert tampered.status_code == 401


# -- the document from declarations ----------------------------------------------------------
def test_every_auth_kind_documents_its_security_scheme(app: Chalice) -> None:
    document = build_openapi(app.routes)
    validate_openapi(document, cls=OpenAPIV31SpecValidator)
    schemes = document["components"]["securitySchemes"]
    # Only the schemes some route uses.
    assert set(schemes) == {"collectionToken", "vendorSignature"}
    assert schemes["vendorSignature"]["in"] == "header"
    paths = document["paths"]
    assert paths["/api/greet/{place}"]["post"]["security"] == []
    assert paths["/api/collect/cases/{case_id}"]["get"]["security"] == [{"collectionToken": []}]
    callback = paths["/api/vendors/{provider}/callback"]["post"]
    assert callback["security"] == [{"vendorSignature": []}]
    assert set(callback["responses"]) == {"204", "401", "404", "500", "503"}
    greet = paths["/api/greet/{place}"]["post"]["responses"]
    assert set(greet) == {"201", "400", "404", "409", "413", "500", "503"}
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]


@pytest.mark.parametrize(
    ("auth", "kind", "scheme"),
    [
        (INTEGRATOR, "integrator", "integratorApiKey"),
        (REVIEWER, "reviewer", "reviewerJwt"),
        (WEBHOOK_MANAGER, "reviewer", "reviewerJwt"),
        (PUBLIC, "public", None),
        (CUSTOMER, "customer", "collectionToken"),
        (VENDOR, "vendor", "vendorSignature"),
    ],
)
def test_each_auth_kind_carries_its_scheme(auth: Any, kind: str, scheme: str | None) -> None:
    assert auth.kind == kind
    assert auth.requirement() == ([{scheme: []}] if scheme else [])


def test_operations_are_found_by_route(app: Chalice) -> None:
    found = operation_at(app.routes, "POST", "/api/greet/{place}")
    assert found.body is GreetRequest and found.status == 201
    with pytest.raises(KeyError):
        operation_at(app.routes, "POST", "/api/vendors/{provider}/callback/other")
