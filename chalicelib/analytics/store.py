"""The aggregates store: the interface analytics uses, and an in-memory implementation.

`chalicelib.aws.dynamodb_analytics.DynamoMetricsStore` is the real one; both pass the same
contract tests (`tests/integration/test_metrics_store_contract.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.analytics import keys
from chalicelib.analytics.events import Increment


@dataclass(frozen=True)
class Aggregate:
    sk: str
    counts: dict[str, int]
    members: frozenset[str] = frozenset()


@dataclass
class ReadCounter:
    """Items read by one request (what the bench reports: it must not grow with cases)."""

    items: int = 0


class MetricsStore(Protocol):
    def apply(self, tenant_id: str, event_id: str, increments: Sequence[Increment]) -> bool:
        """Add the increments once per event id, atomically with the event's seen-marker.
        False (and nothing changed) if the event was already counted."""

    def query(self, pk: str, sk_from: str, sk_to: str, reads: ReadCounter) -> list[Aggregate]:
        """Every item of `pk` whose sort key is between `sk_from` and `sk_to` (inclusive)."""

    def load(self, items: dict[tuple[str, str], Aggregate]) -> None:
        """Write whole aggregate items as they are (seeding demo data and benchmarks)."""


@dataclass
class InMemoryMetricsStore:
    items: dict[tuple[str, str], Aggregate] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def apply(self, tenant_id: str, event_id: str, increments: Sequence[Increment]) -> bool:
        with self._lock:
            seen = (keys.seen_pk(tenant_id, event_id), keys.SEEN_SK)
            if seen in self.items:
                return False
            self.items[seen] = Aggregate(keys.SEEN_SK, {})
            for increment in increments:
                current = self.items.get((increment.pk, increment.sk)) or Aggregate(
                    increment.sk, {}
                )
                counts = dict(current.counts)
                for name, value in increment.counts.items():
                    counts[name] = counts.get(name, 0) + value
                self.items[(increment.pk, increment.sk)] = Aggregate(
                    increment.sk, counts, current.members | set(increment.members)
                )
            return True

    def query(self, pk: str, sk_from: str, sk_to: str, reads: ReadCounter) -> list[Aggregate]:
        with self._lock:
            found = sorted(
                (
                    item
                    for (p, sk), item in self.items.items()
                    if p == pk and sk_from <= sk <= sk_to
                ),
                key=lambda item: item.sk,
            )
        reads.items += len(found)
        return found

    def load(self, items: dict[tuple[str, str], Aggregate]) -> None:
        with self._lock:
            self.items.update(items)

    def aggregates(self) -> dict[tuple[str, str], Aggregate]:
        """Every aggregate item (without the seen-markers)."""
        with self._lock:
            return {key: item for key, item in self.items.items() if item.sk != keys.SEEN_SK}
