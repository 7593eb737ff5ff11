"""The quantile sketch: within its stated relative error, and mergeable."""

from __future__ import annotations

import random

import pytest

from chalicelib.analytics.sketch import RELATIVE_ERROR, Sketch, bucket_of, bucket_value


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[int(q * (len(ordered) - 1))]


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_are_within_the_relative_error(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(8, 2) for _ in range(2000)]
    sketch = Sketch()
    for value in values:
        sketch.record(value)
    for q in (0.0, 0.5, 0.9, 0.95, 0.99, 1.0):
        truth = exact(values, q)
        assert abs(sketch.quantile(q) - truth) <= RELATIVE_ERROR * truth  # type: ignore[operator]


def test_sketches_merge_bucket_by_bucket() -> None:
    rng = random.Random(1)
    values = [rng.uniform(1, 100_000) for _ in range(500)]
    whole, left, right = Sketch(), Sketch(), Sketch()
    for index, value in enumerate(values):
        whole.record(value)
        (left if index % 2 else right).record(value)
    merged = Sketch(left.counts)
    for bucket, count in right.counts.items():
        merged.add(bucket, count)
    assert merged.counts == whole.counts
    assert merged.quantile(0.9) == whole.quantile(0.9)


def test_zero_and_tiny_durations_read_back_as_zero() -> None:
    assert bucket_value(bucket_of(0)) == 0
    assert bucket_value(bucket_of(0.0005)) == 0
    assert Sketch().quantile(0.5) is None


def test_every_value_is_read_back_within_the_error() -> None:
    for value in (0.002, 1, 59.5, 3600, 86_400 * 30):
        assert abs(bucket_value(bucket_of(value)) - value) <= RELATIVE_ERROR * value * (1 + 1e-9)
