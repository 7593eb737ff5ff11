"""Customer collection tokens: the credential of one collection link, good for one case of one
tenant until it expires. Only a hash of the token is ever stored or looked up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.errors import Unauthenticated


@dataclass(frozen=True)
class CollectionGrant:
    """What a collection token lets its bearer (the customer) reach: one case, until it expires."""

    tenant_id: str
    case_id: str
    expires_at: datetime
    # The round the link was minted for and that round's link generation then: "new link"
    # moves the generation on, which revokes every older link (checked against the case).
    round_number: int = 0
    generation: int = 0


class CollectionTokenStore(Protocol):
    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None: ...


def hash_collection_token(token: str) -> str:
    # Tokens are random and long (unguessable), so a plain SHA-256 suffices: a leaked table of
    # hashes gives no usable link, and no pepper has to travel with it.
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_collection_token(
    token: str, store: CollectionTokenStore, now: datetime
) -> CollectionGrant:
    grant = store.grant_for_token_hash(hash_collection_token(token))
    # One answer for unknown and expired links: a probe learns nothing about which tokens exist.
    if grant is None or grant.expires_at <= now:
        raise Unauthenticated("this collection link is invalid or has expired")
    return grant
