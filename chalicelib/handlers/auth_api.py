"""Reviewer sign-in: `/api/v1/auth/*`. Cognito checks the password; the app returns its tokens
and who the reviewer is."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.auth.sessions import refresh_session, set_first_password, sign_in, sign_out
from chalicelib.dependencies import reviewer_directory, token_verifier, user_pool
from chalicelib.handlers.auth_kinds import PUBLIC, SIGNED_IN
from chalicelib.handlers.operations import operation
from chalicelib.models.reviewers import (
    LoginRequest,
    NewPasswordRequest,
    RefreshRequest,
    Reviewer,
    SessionTokens,
)

auth_api = Blueprint(__name__)


@operation(
    auth_api,
    "POST",
    "/login",
    auth=PUBLIC,
    summary="Sign in with email and password",
    description="An invited user's first sign-in with the temporary password answers 401 "
    "`new_password_required`: choose a password with `POST /api/v1/auth/new-password`.",
    tag="auth",
    body=LoginRequest,
    response=SessionTokens,
    errors=(401,),
)
def login_route(body: LoginRequest) -> SessionTokens:
    return sign_in(
        body.email,
        body.password,
        provider=user_pool(),
        verifier=token_verifier(),
        directory=reviewer_directory(),
    )


@operation(
    auth_api,
    "POST",
    "/new-password",
    auth=PUBLIC,
    summary="First sign-in of an invited user: set a new password and sign in",
    tag="auth",
    body=NewPasswordRequest,
    response=SessionTokens,
    errors=(401,),
)
def new_password_route(body: NewPasswordRequest) -> SessionTokens:
    return set_first_password(
        body.email,
        body.temporary_password,
        body.new_password,
        provider=user_pool(),
        verifier=token_verifier(),
        directory=reviewer_directory(),
    )


@operation(
    auth_api,
    "POST",
    "/refresh",
    auth=PUBLIC,
    summary="Renew the ID and access tokens",
    tag="auth",
    body=RefreshRequest,
    response=SessionTokens,
    errors=(401,),
    # Cognito issues no new refresh token on a refresh: the field is left out, not null.
    exclude_none=True,
)
def refresh_route(body: RefreshRequest) -> SessionTokens:
    return refresh_session(
        body.refresh_token,
        provider=user_pool(),
        verifier=token_verifier(),
        directory=reviewer_directory(),
    )


@operation(
    auth_api,
    "GET",
    "/me",
    auth=SIGNED_IN,
    summary="The signed-in reviewer",
    tag="auth",
    response=Reviewer,
    errors=(),
)
def me_route(reviewer: Reviewer) -> Reviewer:
    return reviewer


@operation(
    auth_api,
    "POST",
    "/logout",
    auth=SIGNED_IN,
    summary="Sign out of every session (revokes the reviewer's refresh tokens)",
    tag="auth",
    response=None,
    status=204,
    errors=(),
)
def logout_route(reviewer: Reviewer) -> None:
    sign_out(reviewer, provider=user_pool())
