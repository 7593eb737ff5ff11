"""The process-wide caches (boto3 clients, adapters and secrets read once), registered here so
that whoever switches AWS backends (the tests, between moto sessions) forgets them all at once
instead of listing them by name.

    @caches.register
    @functools.cache
    def s3_client() -> Any: ...
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar


class Resettable(Protocol):
    def cache_clear(self) -> None: ...


CacheT = TypeVar("CacheT", bound=Resettable)

_REGISTERED: list[Resettable] = []


def register(cache: CacheT) -> CacheT:
    """Decorator over `functools.cache` or `per_thread`: `reset_all` will clear `cache`."""
    _REGISTERED.append(cache)
    return cache


def registered() -> tuple[Resettable, ...]:
    return tuple(_REGISTERED)


def reset_all() -> None:
    """Forget every cached client and adapter (only the modules imported so far have any)."""
    for cache in _REGISTERED:
        cache.cache_clear()


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """What a Lambda container read lately, each entry kept `ttl_seconds` (so another
    container's write shows within that time) and forgotten at once on this container's own
    writes (`forget`). Bounded: past `max_entries` the oldest entry goes. Register an instance
    (`register(TtlCache(...))`) so that `reset_all` clears it too."""

    def __init__(
        self,
        ttl_seconds: float,
        max_entries: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl, self._max, self._clock = ttl_seconds, max_entries, clock
        self._lock = threading.Lock()
        self._entries: dict[K, tuple[float, V]] = {}
        # Bumped by each forget: a read that began before a write must not keep what it read.
        self._generation = 0

    def get(self, key: K, load: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            entry, generation = self._entries.get(key), self._generation
        if entry is not None and entry[0] > now:
            return entry[1]
        value = load()
        with self._lock:
            if generation != self._generation:
                return value
            self._entries.pop(key, None)
            self._entries[key] = (now + self._ttl, value)
            while len(self._entries) > self._max:
                del self._entries[next(iter(self._entries))]
        return value

    def forget(self, key: K) -> None:
        with self._lock:
            self._generation += 1
            self._entries.pop(key, None)

    def cache_clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
