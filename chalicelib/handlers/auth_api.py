"""Reviewer sign-in: `/api/v1/auth/*`. Cognito checks the password; the app returns its tokens
and who the reviewer is."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.auth.sessions import refresh_session, sign_in, sign_out
from chalicelib.dependencies import reviewer_directory, token_verifier, user_pool
from chalicelib.handlers.http import api_route, json_response, parse_body, signed_in_reviewer
from chalicelib.models.reviewers import LoginRequest, RefreshRequest

auth_api = Blueprint(__name__)


@api_route(auth_api, "/login", methods=["POST"])
def login_route() -> Any:
    body = parse_body(auth_api.current_request, LoginRequest)
    session = sign_in(
        body.email,
        body.password,
        provider=user_pool(),
        verifier=token_verifier(),
        directory=reviewer_directory(),
    )
    return json_response(session.model_dump(by_alias=True))


@api_route(auth_api, "/refresh", methods=["POST"])
def refresh_route() -> Any:
    body = parse_body(auth_api.current_request, RefreshRequest)
    session = refresh_session(
        body.refresh_token,
        provider=user_pool(),
        verifier=token_verifier(),
        directory=reviewer_directory(),
    )
    return json_response(session.model_dump(by_alias=True, exclude_none=True))


@api_route(auth_api, "/me", methods=["GET"])
def me_route() -> Any:
    reviewer = signed_in_reviewer(auth_api.current_request)
    return json_response(reviewer.model_dump(by_alias=True))


@api_route(auth_api, "/logout", methods=["POST"])
def logout_route() -> Any:
    reviewer = signed_in_reviewer(auth_api.current_request)
    sign_out(reviewer, provider=user_pool())
    return Response(body="", status_code=204)
