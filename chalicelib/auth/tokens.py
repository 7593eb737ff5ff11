"""Verifies the Cognito ID tokens reviewers send, in the app itself, so the same checks run
locally and behind API Gateway: signature against the pool's JWKS, issuer, audience (the app
client), expiry and token use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse
from urllib.request import url2pathname

from chalicelib.errors import Unauthenticated

if TYPE_CHECKING:
    import jwt

REQUIRED_CLAIMS = ["exp", "iat", "iss", "sub", "aud", "token_use"]
# Clocks drift between Cognito and Lambda; a few seconds of leeway avoids spurious 401s.
LEEWAY_SECONDS = 10


@dataclass(frozen=True)
class VerifiedClaims:
    subject: str
    tenant_id: str
    email: str | None
    raw: dict[str, Any]


class SigningKeys(Protocol):
    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK: ...


class FileSigningKeys:
    """A key set read from a file: for tests under in-process moto, which serves no JWKS."""

    def __init__(self, path: Path) -> None:
        import jwt

        self._keys = jwt.PyJWKSet.from_json(path.read_text())

    def get_signing_key_from_jwt(self, token: str) -> jwt.PyJWK:
        import jwt

        return self._keys[jwt.get_unverified_header(token).get("kid", "")]


def signing_keys(jwks_url: str) -> SigningKeys:
    # PyJWT pulls in `cryptography` (~30 ms): imported when a verifier is first built, so the
    # functions that never see a reviewer's token (queue consumers) do not pay for it.
    import jwt

    if jwks_url.startswith("file:"):
        return FileSigningKeys(Path(url2pathname(urlparse(jwks_url).path)))
    # PyJWKClient caches the key set and refetches it when it meets an unknown key id.
    return jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)


class TokenVerifier:
    def __init__(self, *, jwks_url: str, issuer: str, client_id: str) -> None:
        self._keys = signing_keys(jwks_url)
        self._issuer = issuer
        self._client_id = client_id

    def verify_id_token(self, token: str) -> VerifiedClaims:
        import jwt

        try:
            key = self._keys.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self._client_id,
                issuer=self._issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise Unauthenticated("the token is not valid") from exc
        if claims.get("token_use") != "id":
            raise Unauthenticated("an ID token is required")
        tenant_id = claims.get("custom:tenant")
        if not tenant_id:
            raise Unauthenticated("the token names no tenant")
        return VerifiedClaims(
            subject=str(claims["sub"]),
            tenant_id=str(tenant_id),
            email=claims.get("email"),
            raw=claims,
        )
