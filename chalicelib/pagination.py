"""Opaque, tamper-proof cursors: the last key, signed and bound to the query it came from."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, cast

from chalicelib.errors import InvalidRequest


def _signature(secret: str, scope: str, payload: bytes) -> str:
    mac = hmac.new(secret.encode(), scope.encode() + b"\x00" + payload, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:16]).decode().rstrip("=")


def encode_cursor(last_key: dict[str, Any] | None, *, scope: str, secret: str) -> str | None:
    if not last_key:
        return None
    payload = json.dumps(last_key, separators=(",", ":"), sort_keys=True, default=str).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_signature(secret, scope, payload)}"


def decode_cursor(cursor: str | None, *, scope: str, secret: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    if not cursor.isascii():
        raise _invalid()  # ours are base64url; compare_digest refuses non-ASCII text
    body, _, signature = cursor.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, TypeError) as exc:
        raise _invalid() from exc
    if not hmac.compare_digest(signature, _signature(secret, scope, payload)):
        raise _invalid()
    return cast(dict[str, Any], json.loads(payload))


def _invalid() -> InvalidRequest:
    return InvalidRequest(
        "invalid cursor", details=[{"path": "cursor", "message": "not a cursor of this query"}]
    )
