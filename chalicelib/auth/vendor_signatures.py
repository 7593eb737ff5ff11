"""Vendor callbacks: each provider signs `<timestamp>.<raw body>` with HMAC-SHA256 and its own
secret. A fresh timestamp is part of what is signed, so a captured callback cannot be replayed
later with a new timestamp, and an old one is refused."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from chalicelib.errors import Unauthenticated

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
SIGNATURE_PREFIX = "sha256="
TOLERANCE_SECONDS = 300


@dataclass(frozen=True)
class VendorCaller:
    """A callback whose signature checked out for `provider`."""

    provider: str


class VendorSecrets(Protocol):
    def secret_for(self, provider: str) -> str | None: ...


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify_callback(
    provider: str,
    *,
    secrets: VendorSecrets,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> VendorCaller:
    if not timestamp or not signature:
        raise Unauthenticated(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        raise Unauthenticated(f"{TIMESTAMP_HEADER} must be unix seconds within {tolerance}s")
    secret = secrets.secret_for(provider)
    # An unknown provider is refused like a bad signature: no hint which providers exist.
    expected = sign_callback(secret, timestamp, body) if secret else ""
    if not secret or not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise Unauthenticated("the callback signature does not match")
    return VendorCaller(provider)
