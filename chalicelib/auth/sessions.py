"""Signing reviewers in and recognising them on every back-office request."""

from __future__ import annotations

from typing import Protocol

from chalicelib.auth.access import AccessStore, resolve_permissions
from chalicelib.auth.tokens import VerifiedClaims
from chalicelib.aws.cognito import IssuedTokens
from chalicelib.errors import Unauthenticated
from chalicelib.models.reviewers import Reviewer, SessionTokens
from chalicelib.tenants.api_keys import bearer_token


class IdentityProvider(Protocol):
    def sign_in(self, email: str, password: str) -> IssuedTokens: ...

    def refresh(self, refresh_token: str) -> IssuedTokens: ...

    def sign_out_everywhere(self, username: str) -> None: ...

    def set_first_password(
        self, email: str, temporary_password: str, new_password: str
    ) -> IssuedTokens: ...


class IdTokenVerifier(Protocol):
    def verify_id_token(self, token: str) -> VerifiedClaims: ...


def reviewer_for_claims(claims: VerifiedClaims, directory: AccessStore) -> Reviewer:
    """The reviewer a verified token speaks for: the tenant from the token, everything else
    (roles, active flag, name) from the directory, which is the authority at every request.
    A custom role is read by key at each request too, so a change to it holds at once."""
    listed = directory.get_reviewer(claims.tenant_id, claims.subject)
    if listed is None or not listed.active:
        raise Unauthenticated("this account has no access to the back office")
    return resolve_permissions(directory, listed)


def authenticate_reviewer(
    authorization: str | None, verifier: IdTokenVerifier, directory: AccessStore
) -> Reviewer:
    claims = verifier.verify_id_token(bearer_token(authorization))
    return reviewer_for_claims(claims, directory)


def _session(
    tokens: IssuedTokens, verifier: IdTokenVerifier, directory: AccessStore
) -> SessionTokens:
    reviewer = reviewer_for_claims(verifier.verify_id_token(tokens.id_token), directory)
    return SessionTokens(
        id_token=tokens.id_token,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in,
        user=reviewer,
    )


def sign_in(
    email: str,
    password: str,
    *,
    provider: IdentityProvider,
    verifier: IdTokenVerifier,
    directory: AccessStore,
) -> SessionTokens:
    return _session(provider.sign_in(email, password), verifier, directory)


def set_first_password(
    email: str,
    temporary_password: str,
    new_password: str,
    *,
    provider: IdentityProvider,
    verifier: IdTokenVerifier,
    directory: AccessStore,
) -> SessionTokens:
    """An invited user's first sign-in: choose a password, and be signed in with it."""
    tokens = provider.set_first_password(email, temporary_password, new_password)
    return _session(tokens, verifier, directory)


def refresh_session(
    refresh_token: str,
    *,
    provider: IdentityProvider,
    verifier: IdTokenVerifier,
    directory: AccessStore,
) -> SessionTokens:
    return _session(provider.refresh(refresh_token), verifier, directory)


def sign_out(reviewer: Reviewer, *, provider: IdentityProvider) -> None:
    """Sign the reviewer out of every session: their refresh tokens stop working at once."""
    provider.sign_out_everywhere(reviewer.email)
