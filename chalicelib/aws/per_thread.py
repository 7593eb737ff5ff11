"""A cache per thread, for boto3 resources: clients are thread-safe, resources are not.

Lambda runs one thread, so this is one object per process there; the local stack serves
requests and queue consumers on several threads at once, and each gets its own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerThreadCache(Generic[T]):
    def __init__(self, factory: Callable[..., T]) -> None:
        functools.update_wrapper(self, factory)
        self._factory = factory
        self._local = threading.local()
        self._generation = 0

    def __call__(self, *args: Hashable) -> T:
        local: Any = self._local
        if getattr(local, "generation", None) != self._generation:
            local.values, local.generation = {}, self._generation
        if args not in local.values:
            local.values[args] = self._factory(*args)
        return local.values[args]  # type: ignore[no-any-return]

    def cache_clear(self) -> None:
        """Forget every thread's objects (tests switch AWS backends between cases)."""
        self._generation += 1


def per_thread(factory: Callable[..., T]) -> PerThreadCache[T]:
    return PerThreadCache(factory)
