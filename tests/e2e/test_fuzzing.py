"""Fuzzing: Schemathesis generates requests from `/api/v1/openapi.json` of a running local stack,
once per auth kind, and checks every answer: no server error, every status and body as documented,
and every request that is valid under the schema accepted.

The stack is this module's own (the fuzzer creates cases, subscriptions and decisions that other
end-to-end tests must not see). The example count is bounded to keep `make test` within budget;
`FUZZ_EXAMPLES=200 pytest tests/e2e/test_fuzzing.py` searches harder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from local.child_stack import Stack, running_stack
from local.environment import REVIEWER_PASSWORD

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log = tmp_path_factory.mktemp("fuzz-stack") / "stack.log"
    with running_stack(log) as running:
        yield running


def app_document() -> dict[str, Any]:
    """The app's OpenAPI document, built in-process: Schemathesis' lazy (fixture) loader does not
    run under pytest 9, so the operations are collected from this and the stack is checked to
    serve the same document (`test_the_stack_serves_the_fuzzed_document`)."""
    from app import app  # noqa: F401  (registers the blueprints the document walks)
    from chalicelib.handlers.openapi_api import openapi_document

    return dict(json.loads(openapi_document()))


@pytest.fixture(scope="module")
def reviewer_token(fuzz_stack: Stack) -> str:
    login = httpx.post(
        f"{fuzz_stack.base_url}/api/v1/auth/login",
        json={"email": "admin@demo.test", "password": REVIEWER_PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return str(login.json()["idToken"])


schema = schemathesis.openapi.from_dict(app_document())


def left_out_checks(case: schemathesis.Case) -> list[Any]:
    """Where "a request valid under the schema is accepted" cannot hold, and why. Every other check
    (no server error, documented status, content type, headers, response schema, schema-invalid
    requests refused) runs on every case.

    - `cursor`: opaque and signed; only a previous page's `nextCursor` is valid.
    - base64 pages: the decoded bytes must be an image or a PDF (magic numbers), which a schema
      cannot state.
    - webhook URLs: the host must resolve, to public addresses only (the SSRF guard), at the time
      of the request.
    - references to what exists: a user's roles must be roles of the tenant, the SLA escalation
      reviewer a user of the tenant.
    - analytics date ranges: `to` at most 400 days after `from` (which defaults to today), and
      `timezone` an IANA zone name; neither is a constraint a schema can state.
    """
    positive_only = [positive_data_acceptance]
    if "cursor" in (case.query or {}):
        return positive_only
    if case.path == "/api/v1/backoffice/webhooks" and case.method == "POST":
        return positive_only
    if case.path.startswith("/api/v1/backoffice/analytics/"):
        return positive_only
    if case.method in ("POST", "PUT") and (
        case.path.startswith("/api/v1/backoffice/users")
        or case.path == "/api/v1/backoffice/settings/sla"
    ):
        return positive_only
    body = case.body if isinstance(case.body, dict) else {}
    context = body.get("context") if isinstance(body.get("context"), dict) else {}
    documents = context.get("documents")
    if isinstance(documents, list) and any(
        isinstance(page, dict) and page.get("provider") == "base64"
        for document in documents
        if isinstance(document, dict)
        for page in (document.get("pages") or [])
    ):
        return positive_only
    return []


def test_the_stack_serves_the_fuzzed_document(fuzz_stack: Stack) -> None:
    served = httpx.get(f"{fuzz_stack.base_url}/api/v1/openapi.json", timeout=30)
    assert served.json() == app_document()


@schema.include(path_regex=r"^/api/v1/external/").parametrize()
@FUZZ_SETTINGS
def test_integrator_api(case: schemathesis.Case, fuzz_stack: Stack) -> None:
    case.call_and_validate(
        base_url=fuzz_stack.base_url,
        headers={"Authorization": "Bearer secret"},
        excluded_checks=left_out_checks(case),
    )


# Logout is left out: it revokes the fuzzer's own session halfway through the run.
@(
    schema.include(path_regex=r"^/api/v1/(backoffice|auth)/")
    .exclude(path="/api/v1/auth/logout")
    .parametrize()
)
@FUZZ_SETTINGS
def test_reviewer_api(case: schemathesis.Case, fuzz_stack: Stack, reviewer_token: str) -> None:
    case.call_and_validate(
        base_url=fuzz_stack.base_url,
        headers={"Authorization": f"Bearer {reviewer_token}"},
        excluded_checks=left_out_checks(case),
    )
