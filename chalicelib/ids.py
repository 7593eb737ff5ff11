"""Identifiers and time: time-ordered ids so audit records and cases sort by creation."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_sequence_lock = threading.Lock()
_last_millis = 0
_sequence = itertools.count()


def new_id(prefix: str) -> str:
    """Millisecond time, then a per-process sequence (so ids made in the same millisecond keep
    their order), then randomness (so processes never collide)."""
    global _last_millis, _sequence
    with _sequence_lock:
        millis = int(time.time() * 1000)
        if millis > _last_millis:
            _last_millis, _sequence = millis, itertools.count()
        sequence = next(_sequence)
    return f"{prefix}_{_last_millis:011x}{sequence:04x}{secrets.token_hex(6)}"


def stable_id(prefix: str, *parts: str) -> str:
    """An id derived from its parts, so the same integrator entity always gets the same id."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}_{digest}"


def _system_clock() -> datetime:
    return datetime.now(UTC)


_clock: Callable[[], datetime] = _system_clock


def utc_now() -> str:
    """ISO-8601 UTC with milliseconds and `Z`: sorts lexically in time order."""
    return _clock().astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def use_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Every fact stamped within reads its time from `clock` (scripted histories: tests, the
    demo's analytics); the system clock again afterwards."""
    global _clock
    previous, _clock = _clock, clock
    try:
        yield
    finally:
        _clock = previous
