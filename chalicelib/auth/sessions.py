"""Signing reviewers in and recognising them on every back-office request."""

from __future__ import annotations

from typing import Protocol

from chalicelib.auth.directory import ReviewerDirectory
from chalicelib.auth.permissions import with_permissions
from chalicelib.auth.tokens import VerifiedClaims
from chalicelib.aws.cognito import IssuedTokens
from chalicelib.errors import Unauthenticated
from chalicelib.models.reviewers import Reviewer, SessionTokens
from chalicelib.tenants.api_keys import bearer_token


class IdentityProvider(Protocol):
    def sign_in(self, email: str, password: str) -> IssuedTokens: ...

    def refresh(self, refresh_token: str) -> IssuedTokens: ...

    def sign_out_everywhere(self, username: str) -> None: ...


class IdTokenVerifier(Protocol):
    def verify_id_token(self, token: str) -> VerifiedClaims: ...


def reviewer_for_claims(claims: VerifiedClaims, directory: ReviewerDirectory) -> Reviewer:
    """The reviewer a verified token speaks for: the tenant from the token, everything else
    (roles, active flag, name) from the directory, which is the authority at every request."""
    listed = directory.get_reviewer(claims.tenant_id, claims.subject)
    if listed is None or not listed.active:
        raise Unauthenticated("this account has no access to the back office")
    return with_permissions(listed)


def authenticate_reviewer(
    authorization: str | None, verifier: IdTokenVerifier, directory: ReviewerDirectory
) -> Reviewer:
    claims = verifier.verify_id_token(bearer_token(authorization))
    return reviewer_for_claims(claims, directory)


def _session(
    tokens: IssuedTokens, verifier: IdTokenVerifier, directory: ReviewerDirectory
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
    directory: ReviewerDirectory,
) -> SessionTokens:
    return _session(provider.sign_in(email, password), verifier, directory)


def refresh_session(
    refresh_token: str,
    *,
    provider: IdentityProvider,
    verifier: IdTokenVerifier,
    directory: ReviewerDirectory,
) -> SessionTokens:
    return _session(provider.refresh(refresh_token), verifier, directory)


def sign_out(reviewer: Reviewer, *, provider: IdentityProvider) -> None:
    """Sign the reviewer out of every session: their refresh tokens stop working at once."""
    provider.sign_out_everywhere(reviewer.email)
