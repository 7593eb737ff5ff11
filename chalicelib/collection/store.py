"""Where the back-and-forth keeps its records: collection links (by token hash only), the
reminder and expiry timers of rounds, and the customer-visible messages of a case.

`chalicelib.aws.dynamodb_collection.DynamoCollectionStore` is the real one; both pass the same
contract tests (`tests/integration/test_collection_store_contract.py`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from chalicelib.auth.collection_tokens import CollectionGrant
from chalicelib.models.case import AuditRecord, MessageRecord

TimerKind = Literal["reminder", "expiry"]


@dataclass(frozen=True)
class LinkRecord:
    """A minted collection link. The token itself is never kept: only its hash."""

    token_hash: str
    tenant_id: str
    case_id: str
    round_number: int
    generation: int
    expires_at: str
    created_at: str
    channel: str  # where the URL went: reviewer, email, integrator, webhook

    def grant(self) -> CollectionGrant:
        return CollectionGrant(
            tenant_id=self.tenant_id,
            case_id=self.case_id,
            expires_at=datetime.fromisoformat(self.expires_at.replace("Z", "+00:00")),
            round_number=self.round_number,
            generation=self.generation,
        )


@dataclass(frozen=True)
class RoundTimer:
    """A reminder or the expiry of a round's links, due at `due_at`. It may be stale when it
    fires (the round was answered, or renewed): the sweep checks the case first."""

    due_at: str
    tenant_id: str
    case_id: str
    round_number: int
    generation: int
    kind: TimerKind

    @property
    def sort_key(self) -> str:
        return (
            f"{self.due_at}#{self.tenant_id}#{self.case_id}#{self.round_number}"
            f"#{self.generation}#{self.kind}"
        )


class CollectionStore(Protocol):
    def put_link(self, link: LinkRecord) -> None: ...

    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None: ...

    def put_timers(self, timers: list[RoundTimer]) -> None: ...

    def due_timers(self, now: str, limit: int) -> list[RoundTimer]:
        """The timers due at or before `now`, oldest first (a Query, never a Scan)."""

    def delete_timer(self, timer: RoundTimer) -> None: ...

    def add_message(self, message: MessageRecord, audit: AuditRecord) -> None:
        """Keep the message and its audit record together."""

    def list_messages(self, tenant_id: str, case_id: str) -> list[MessageRecord]: ...


class InMemoryCollectionStore:
    """A thread-safe fake of the DynamoDB collection store for domain tests (the audit records
    of messages are kept in `audit`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: dict[str, LinkRecord] = {}
        self._timers: dict[str, RoundTimer] = {}
        self._messages: dict[tuple[str, str], list[MessageRecord]] = {}
        self.audit: list[AuditRecord] = []

    def put_link(self, link: LinkRecord) -> None:
        with self._lock:
            self._links[link.token_hash] = link

    def grant_for_token_hash(self, token_hash: str) -> CollectionGrant | None:
        with self._lock:
            link = self._links.get(token_hash)
        return link.grant() if link else None

    def put_timers(self, timers: list[RoundTimer]) -> None:
        with self._lock:
            self._timers.update({timer.sort_key: timer for timer in timers})

    def due_timers(self, now: str, limit: int) -> list[RoundTimer]:
        with self._lock:
            due = sorted(k for k in self._timers if k.split("#", 1)[0] <= now)
            return [self._timers[k] for k in due[:limit]]

    def delete_timer(self, timer: RoundTimer) -> None:
        with self._lock:
            self._timers.pop(timer.sort_key, None)

    def add_message(self, message: MessageRecord, audit: AuditRecord) -> None:
        with self._lock:
            key = (message.tenant_id, message.case_id)
            self._messages.setdefault(key, []).append(message.model_copy())
            self.audit.append(audit)

    def list_messages(self, tenant_id: str, case_id: str) -> list[MessageRecord]:
        with self._lock:
            messages = list(self._messages.get((tenant_id, case_id), []))
        return sorted(messages, key=lambda m: (m.created_at, m.message_id))
