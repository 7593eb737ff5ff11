"""Reviewer sign-in against moto's Cognito, and the token checks every back-office route uses."""

from __future__ import annotations

import time

import jwt
import pytest

from local.environment import REVIEWER_PASSWORD
from tests.integration.conftest import Api


def login(api: Api, email: str, password: str = REVIEWER_PASSWORD) -> dict:
    response = api.as_tenant(None).post(
        "/api/v1/auth/login", {"email": email, "password": password}
    )
    assert response.status_code == 200, response.body
    return response.json_body


def test_login_returns_tokens_and_the_reviewer(api: Api) -> None:
    session = login(api, "alice@demo.test")
    assert session["idToken"] and session["accessToken"] and session["refreshToken"]
    assert session["expiresIn"] > 0
    user = session["user"]
    assert user["email"] == "alice@demo.test"
    assert user["name"] == "Alice Reviewer"
    assert user["roles"] == ["reviewer"]
    assert user["tenantId"] == "demo"


@pytest.mark.parametrize(
    ("email", "roles", "tenant"),
    [
        ("admin@demo.test", ["admin"], "demo"),
        ("viewer@demo.test", ["viewer"], "demo"),
        ("admin@acme.test", ["admin"], "acme"),
    ],
)
def test_roles_and_tenant_come_from_cognito(api: Api, email: str, roles: list, tenant: str) -> None:
    user = login(api, email)["user"]
    assert (user["roles"], user["tenantId"]) == (roles, tenant)


@pytest.mark.parametrize(
    "body",
    [
        {"email": "alice@demo.test", "password": "wrong-password"},
        {"email": "nobody@demo.test", "password": REVIEWER_PASSWORD},
    ],
)
def test_wrong_credentials_get_one_401(api: Api, body: dict) -> None:
    response = api.as_tenant(None).post("/api/v1/auth/login", body)
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthenticated"


def test_invalid_login_body_is_a_400_with_field_paths(api: Api) -> None:
    response = api.as_tenant(None).post("/api/v1/auth/login", {"email": "not-an-email"})
    assert response.status_code == 400
    paths = {d["path"] for d in response.json_body["error"]["details"]}
    assert paths == {"email", "password"}


def test_refresh_renews_the_tokens(api: Api) -> None:
    session = login(api, "bob@demo.test")
    response = api.as_tenant(None).post(
        "/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}
    )
    assert response.status_code == 200, response.body
    assert response.json_body["user"]["email"] == "bob@demo.test"
    assert response.json_body["idToken"]


def test_me_needs_a_valid_id_token(api: Api) -> None:
    session = login(api, "alice@demo.test")
    me = api.as_tenant(session["idToken"]).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json_body["email"] == "alice@demo.test"
    # The access token is not accepted where an ID token is required.
    assert api.as_tenant(session["accessToken"]).get("/api/v1/auth/me").status_code == 401


def _forge(claims: dict) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "dummy"})


@pytest.mark.parametrize("kind", ["missing", "malformed", "forged", "expired", "api-key"])
def test_bad_tokens_are_401(api: Api, kind: str) -> None:
    session = login(api, "alice@demo.test")
    claims = jwt.decode(session["idToken"], options={"verify_signature": False})
    token = {
        "missing": None,
        "malformed": "not.a.jwt",
        "forged": _forge(claims),
        "expired": _forge({**claims, "exp": int(time.time()) - 3600}),
        "api-key": "secret",
    }[kind]
    response = api.as_tenant(token).get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthenticated"


def test_logout_revokes_the_refresh_token(api: Api) -> None:
    session = login(api, "bob@demo.test")
    response = api.as_tenant(session["idToken"]).post("/api/v1/auth/logout", {})
    assert response.status_code == 204
    refreshed = api.as_tenant(None).post(
        "/api/v1/auth/refresh", {"refreshToken": session["refreshToken"]}
    )
    assert refreshed.status_code == 401
    assert api.as_tenant(None).post("/api/v1/auth/logout", {}).status_code == 401
