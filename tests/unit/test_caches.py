"""Every process-wide cache in chalicelib is registered, so `caches.reset_all()` (what the tests
call when they switch AWS backends) forgets all of them, including ones added later."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from typing import Any

import pytest

import chalicelib
from chalicelib import caches


def module_level_caches() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            defined_here = getattr(value, "__module__", None) == module.__name__
            is_cache = not isinstance(value, type) and callable(getattr(value, "cache_clear", None))
            if defined_here and is_cache:
                found[f"{module.__name__}.{name}"] = value
    return found


def test_every_cache_in_chalicelib_is_registered() -> None:
    found = module_level_caches()
    assert "chalicelib.aws.s3.s3_client" in found  # the walk does find them
    assert "chalicelib.aws.dynamodb.dynamodb_table" in found  # per-thread ones too
    registered = caches.registered()
    unregistered = [
        name for name, cache in found.items() if not any(cache is r for r in registered)
    ]
    assert unregistered == []


def test_reset_all_forgets_what_a_registered_cache_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    @functools.cache
    def client(name: str) -> str:
        calls.append(name)
        return name

    monkeypatch.setattr(caches, "_REGISTERED", [*caches.registered()])
    assert caches.register(client) is client
    client("a")
    client("a")
    caches.reset_all()
    client("a")
    assert calls == ["a", "a"]


def test_a_ttl_cache_keeps_an_entry_for_its_time_and_forgets_it_on_a_write() -> None:
    now = [0.0]
    cache: caches.TtlCache[str, int] = caches.TtlCache(30, max_entries=2, clock=lambda: now[0])
    loads: list[str] = []

    def load(key: str, value: int) -> int:
        loads.append(key)
        return value

    assert cache.get("a", lambda: load("a", 1)) == 1
    now[0] = 29.0
    assert cache.get("a", lambda: load("a", 2)) == 1  # still fresh
    now[0] = 30.0
    assert cache.get("a", lambda: load("a", 3)) == 3  # expired: read again
    cache.forget("a")
    assert cache.get("a", lambda: load("a", 4)) == 4  # this container's write: read again
    cache.get("b", lambda: load("b", 5))
    cache.get("c", lambda: load("c", 6))  # past two entries the oldest ("a") goes
    assert cache.get("a", lambda: load("a", 7)) == 7
    assert loads == ["a", "a", "a", "b", "c", "a"]

    # A read that began before a write does not keep what it read.
    def stale_read() -> int:
        cache.forget("d")  # the write lands while the read is under way
        return 8

    assert cache.get("d", stale_read) == 8
    assert cache.get("d", lambda: load("d", 9)) == 9
    cache.cache_clear()
    assert cache.get("c", lambda: load("c", 10)) == 10
