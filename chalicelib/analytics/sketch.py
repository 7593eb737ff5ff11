"""Mergeable quantile sketches: durations counted in fixed logarithmic buckets (the DDSketch
mapping), so sketches of any hours, reviewers or workflows add up bucket by bucket.

A bucket `i` holds the values in (gamma^(i-1), gamma^i] and is read back as the value whose
relative distance to both ends is `RELATIVE_ERROR`: every quantile is within that relative error
of the true value at the same rank. Durations are seconds; those under a millisecond (and zero)
share bucket `ZERO_BUCKET`, read back as 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

RELATIVE_ERROR = 0.02
GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(GAMMA)
MIN_SECONDS = 0.001
ZERO_BUCKET = "z"


def bucket_of(seconds: float) -> str:
    if seconds <= MIN_SECONDS:
        return ZERO_BUCKET
    return str(math.ceil(math.log(seconds) / _LOG_GAMMA))


def bucket_value(bucket: str) -> float:
    if bucket == ZERO_BUCKET:
        return 0.0
    return 2 * GAMMA ** int(bucket) / (GAMMA + 1)


def _order(bucket: str) -> float:
    return -math.inf if bucket == ZERO_BUCKET else int(bucket)


class Sketch:
    """Counts per bucket; `add` merges another sketch's counts."""

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self.counts: dict[str, int] = dict(counts or {})

    def record(self, seconds: float) -> None:
        bucket = bucket_of(seconds)
        self.counts[bucket] = self.counts.get(bucket, 0) + 1

    def add(self, bucket: str, count: int) -> None:
        if count:
            self.counts[bucket] = self.counts.get(bucket, 0) + count

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def quantile(self, q: float) -> float | None:
        """The value at rank floor(q * (n - 1)) of the sorted values (0-based), within
        `RELATIVE_ERROR`; None for an empty sketch."""
        total = self.count
        if total <= 0:
            return None
        rank = math.floor(q * (total - 1))
        seen = 0
        for bucket in sorted(self.counts, key=_order):
            seen += self.counts[bucket]
            if seen > rank:
                return bucket_value(bucket)
        return bucket_value(max(self.counts, key=_order))

    def histogram(self, edges: Iterable[float]) -> list[int]:
        """Counts below each edge (exclusive, by bucket value) and the rest above the last."""
        limits = list(edges)
        out = [0] * (len(limits) + 1)
        for bucket, count in self.counts.items():
            value = bucket_value(bucket)
            index = next((i for i, edge in enumerate(limits) if value < edge), len(limits))
            out[index] += count
        return out
