"""One error envelope for every failure of the real app, in-process: an unexpected exception in
a view, AWS throttling, a failing middleware and Chalice's own answers. Each answer is checked
against the published OpenAPI document where the route documents it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from chalice.test import Client

import app as app_module
from chalicelib.handlers import auth_api
from local.environment import REVIEWER_PASSWORD
from tests.integration.test_openapi_contract import Contract

LOGIN = "/api/v1/auth/login"
CREDENTIALS = {"email": "alice@demo.test", "password": REVIEWER_PASSWORD}


@pytest.fixture
def contract(client: Client) -> Contract:
    return Contract(client, json.loads(client.http.get("/api/v1/openapi.json").body))


def failing(exc: Exception) -> Any:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise exc

    return fail


def test_an_unexpected_exception_in_a_view_answers_500_with_a_request_id(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth_api, "sign_in", failing(RuntimeError("bug")))
    response = contract.call("POST", LOGIN, body=CREDENTIALS)
    assert response.status_code == 500
    body = json.loads(response.body)
    assert body["error"]["code"] == "internal_error"
    assert body["error"]["requestId"].startswith("req")
    assert "Code" not in body and "bug" not in response.body.decode()


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("TooManyRequestsException", 400),
        ("ThrottlingException", 400),
        ("ProvisionedThroughputExceededException", 400),
        ("RequestLimitExceeded", 400),
        ("ServiceUnavailable", 503),
    ],
)
def test_aws_throttling_answers_503_with_retry_after(
    contract: Contract, monkeypatch: pytest.MonkeyPatch, code: str, status: int
) -> None:
    error = ClientError(
        {
            "Error": {"Code": code, "Message": "slow down"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "InitiateAuth",
    )
    monkeypatch.setattr(auth_api, "sign_in", failing(error))
    response = contract.call("POST", LOGIN, body=CREDENTIALS)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.body)["error"]["code"] == "service_unavailable"


def test_other_aws_errors_are_internal_errors(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    error = ClientError(
        {"Error": {"Code": "TransactionInProgressException"}, "ResponseMetadata": {}},
        "TransactWriteItems",
    )
    monkeypatch.setattr(auth_api, "sign_in", failing(error))
    response = contract.call("POST", LOGIN, body=CREDENTIALS)
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def test_a_failure_outside_the_views_answers_the_envelope_too(
    contract: Contract, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The metrics middleware runs after every view; make it fail.
    monkeypatch.setattr(app_module, "flush_metrics", failing(RuntimeError("metrics down")))
    response = contract.call("GET", "/api/v1/external/workflows", auth="secret")
    assert response.status_code == 500
    error = json.loads(response.body)["error"]
    assert error["code"] == "internal_error" and error["requestId"]


def test_chalice_own_answers_leave_in_the_envelope(client: Client) -> None:
    response = client.http.request("PATCH", "/api/v1/auth/me", headers={}, body=b"")
    assert response.status_code == 405
    error = json.loads(response.body)["error"]
    assert error == {
        "code": "method_not_allowed",
        "message": "Unsupported method: PATCH",
        "requestId": error["requestId"],
    }
