"""Integrator API keys: kept only as peppered HMAC-SHA256 hashes, checked on every request."""

from __future__ import annotations

import hashlib
import hmac
from typing import Protocol

from chalicelib.errors import Unauthenticated


class TenantDirectory(Protocol):
    def tenant_for_key_hash(self, key_hash: str) -> str | None: ...


def hash_api_key(api_key: str, pepper: str) -> str:
    return hmac.new(pepper.encode(), api_key.encode(), hashlib.sha256).hexdigest()


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("missing Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Authorization must be `Bearer <token>`")
    return token.strip()


def authenticate_integrator(
    authorization: str | None, directory: TenantDirectory, pepper: str
) -> str:
    """The tenant id that owns the presented API key."""
    tenant_id = directory.tenant_for_key_hash(hash_api_key(bearer_token(authorization), pepper))
    if tenant_id is None:
        raise Unauthenticated("invalid API key")
    return tenant_id
