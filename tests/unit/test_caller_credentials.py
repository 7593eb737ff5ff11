"""The two credentials the next issues need: a customer's collection token (one case, until it
expires) and a vendor's signed callback (HMAC-SHA256 per provider, timestamped)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.auth.collection_tokens import (
    CollectionGrant,
    authenticate_collection_token,
    hash_collection_token,
)
from chalicelib.auth.vendor_signatures import VendorCaller, sign_callback, verify_callback
from chalicelib.errors import Unauthenticated

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class Store:
    def __init__(self, *grants: tuple[str, CollectionGrant]) -> None:
        self.by_hash = {hash_collection_token(token): grant for token, grant in grants}
        self.looked_up: list[str] = []

    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None:
        self.looked_up.append(token_hash)
        return self.by_hash.get(token_hash)


GRANT = CollectionGrant("demo", "case-1", NOW + timedelta(days=7))


def test_a_valid_token_grants_its_one_case() -> None:
    store = Store(("tok-1", GRANT))
    assert authenticate_collection_token("tok-1", store, NOW) == GRANT


def test_the_store_is_asked_by_hash_never_by_token() -> None:
    store = Store(("tok-1", GRANT))
    authenticate_collection_token("tok-1", store, NOW)
    assert store.looked_up == [hashlib.sha256(b"tok-1").hexdigest()]
    assert "tok-1" not in store.looked_up


@pytest.mark.parametrize(
    ("token", "now"),
    [
        ("unknown", NOW),
        ("tok-1", GRANT.expires_at),
        ("tok-1", GRANT.expires_at + timedelta(seconds=1)),
    ],
    ids=["unknown", "expires-now", "expired"],
)
def test_unknown_and_expired_tokens_are_refused_alike(token: str, now: datetime) -> None:
    with pytest.raises(Unauthenticated, match="invalid or has expired"):
        authenticate_collection_token(token, Store(("tok-1", GRANT)), now)


class Secrets:
    def secret_for(self, provider: str) -> str | None:
        return {"acmeid": "s3cret", "otherkyc": "other"}.get(provider)


BODY = b'{"applicant":"a-1","result":"clear"}'
T = 1_767_268_800


def verify(
    provider: str = "acmeid",
    *,
    timestamp: str | None = str(T),
    signature: str | None = None,
    body: bytes = BODY,
    now: float = T,
) -> VendorCaller:
    if signature is None:
        signature = sign_callback("s3cret", str(T), BODY)
    return verify_callback(
        provider,
        secrets=Secrets(),
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
    )


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"s3cret", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign_callback("s3cret", str(T), BODY) == f"sha256={expected}"
    assert verify() == VendorCaller("acmeid")


def test_a_callback_within_the_tolerance_passes() -> None:
    assert verify(now=T + 299) == VendorCaller("acmeid")
    assert verify(now=T - 299) == VendorCaller("acmeid")


@pytest.mark.parametrize(
    "case",
    [
        {"body": BODY + b" "},
        {"provider": "otherkyc"},
        {"provider": "nobody"},
        {"signature": "sha256=" + "0" * 64},
        {"signature": "sha256=é"},
        {"signature": ""},
        {"timestamp": None},
        {"timestamp": str(T + 1)},
        {"timestamp": "-1"},
        {"timestamp": "1e9"},
        {"now": T + 301},
        {"now": T - 301},
    ],
    ids=[
        "tampered-body",
        "another-providers-secret",
        "unknown-provider",
        "wrong-signature",
        "non-ascii-signature",
        "empty-signature",
        "no-timestamp",
        "timestamp-changed",
        "negative-timestamp",
        "not-an-integer",
        "too-old",
        "too-far-ahead",
    ],
)
def test_anything_else_is_refused(case: dict) -> None:
    with pytest.raises(Unauthenticated):
        verify(**case)


def test_the_comparison_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.auth import vendor_signatures

    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(vendor_signatures.hmac, "compare_digest", spy)
    verify()
    assert len(compared) == 1
