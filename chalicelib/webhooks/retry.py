"""When to try again: the configured schedule, jitter, and the receiver's `Retry-After`."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# When attempt n (n = 1..10) is due, counted from the first attempt: immediately, 5 s, 5 min,
# 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Read as offsets, the schedule spans about a day, as the
# product asks; the wait between two attempts is the difference of their offsets.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (
    0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400,
)  # fmt: skip
JITTER = 0.1  # +-10 %: spreads a burst of failures so retries do not stampede the receiver

RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))


def parse_delays(raw: str | None) -> tuple[float, ...]:
    """`WEBHOOK_RETRY_DELAYS_SECONDS` ("0,5,300,..."); the default if unset or unusable."""
    if not raw or not raw.strip():
        return DEFAULT_RETRY_DELAYS
    try:
        delays = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        return DEFAULT_RETRY_DELAYS
    if not delays or any(d < 0 for d in delays):
        return DEFAULT_RETRY_DELAYS
    return delays


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def next_delay(
    delays: Sequence[float],
    attempt_made: int,
    retry_after: float | None = None,
    rng: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait before the attempt after `attempt_made` (1-based), None when exhausted.

    The schedule is the backoff (waits grow from 5 s to hours); jitter is +-10 % of the wait.
    `Retry-After` can only lengthen the wait (a receiver asking for 1 s does not make us hammer
    it), and is capped at the schedule's longest offset so a hostile header cannot park an event
    forever.
    """
    if attempt_made >= len(delays):
        return None
    base = max(0.0, delays[attempt_made] - delays[attempt_made - 1]) if attempt_made else delays[0]
    delay = base * (1 + JITTER * (2 * rng() - 1))
    if retry_after is not None:
        delay = max(delay, min(retry_after, max(delays)))
    return max(0.0, delay)
