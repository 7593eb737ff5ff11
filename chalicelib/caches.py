"""The process-wide caches (boto3 clients, adapters and secrets read once), registered here so
that whoever switches AWS backends (the tests, between moto sessions) forgets them all at once
instead of listing them by name.

    @caches.register
    @functools.cache
    def s3_client() -> Any: ...
"""

from __future__ import annotations

from typing import Protocol, TypeVar


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
