"""Collection links: a random token per link, kept only as its hash, good for one round of one
case until it expires or the round's links are renewed ("new link" revokes older ones)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.auth.collection_tokens import CollectionGrant, hash_collection_token
from chalicelib.collection.rounds import expiry
from chalicelib.collection.store import CollectionStore, LinkRecord, RoundTimer
from chalicelib.errors import Unauthenticated
from chalicelib.models.case import Case, CollectionRound

TOKEN_BYTES = 32
COLLECT_PATH = "/collect/"


@dataclass(frozen=True)
class IssuedLink:
    """A link's URL: handed to its one recipient and never stored or logged."""

    url: str
    expires_at: str


def mint_link(
    store: CollectionStore,
    case: Case,
    round_: CollectionRound,
    *,
    base_url: str,
    channel: str,
    now: str,
    expires_at: str | None = None,
) -> IssuedLink:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    until = expires_at or round_.expires_at or now
    store.put_link(
        LinkRecord(
            token_hash=hash_collection_token(token),
            tenant_id=case.tenant_id,
            case_id=case.case_id,
            round_number=round_.number,
            generation=round_.link_generation,
            expires_at=until,
            created_at=now,
            channel=channel,
        )
    )
    return IssuedLink(url=f"{base_url.rstrip('/')}{COLLECT_PATH}{token}", expires_at=until)


def round_timers(
    case: Case, round_: CollectionRound, reminders_before: tuple[int, ...], now: str
) -> list[RoundTimer]:
    """The expiry of the round's links, and a reminder `reminders_before` seconds before it
    (those still in the future)."""
    if round_.expires_at is None:
        return []
    due = datetime.fromisoformat(round_.expires_at.replace("Z", "+00:00"))
    timers = [
        RoundTimer(
            due_at=expiry(round_.expires_at, -seconds),
            tenant_id=case.tenant_id,
            case_id=case.case_id,
            round_number=round_.number,
            generation=round_.link_generation,
            kind="reminder",
        )
        for seconds in reminders_before
        if due - timedelta(seconds=seconds) > datetime.fromisoformat(now.replace("Z", "+00:00"))
    ]
    return [
        *timers,
        RoundTimer(
            due_at=round_.expires_at,
            tenant_id=case.tenant_id,
            case_id=case.case_id,
            round_number=round_.number,
            generation=round_.link_generation,
            kind="expiry",
        ),
    ]


def round_of_grant(case: Case, grant: CollectionGrant) -> CollectionRound:
    """The round a link was minted for, if the link still stands: the same round and link
    generation (a renewed round revokes older links). An answered round still stands: its
    page says "received"."""
    round_ = next((r for r in case.collection_rounds if r.number == grant.round_number), None)
    if round_ is None or round_.link_generation != grant.generation:
        raise Unauthenticated("this collection link is invalid or has expired")
    if round_.is_open and round_.expires_at is not None and round_.expires_at <= _iso_now():
        raise Unauthenticated("this collection link is invalid or has expired")
    return round_


def _iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
