"""Timing helpers and the table printer shared by every benchmark."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    samples_ms: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(action: Callable[[], object], runs: int, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return Timing(samples)


def measure_alternately(
    first: Callable[[], object],
    second: Callable[[], object],
    runs: int,
    warmup: int = 3,
    reset: Callable[[], object] = lambda: None,
) -> tuple[Timing, Timing]:
    """Time two actions in turns, calling `reset` (untimed) before each, so both see the same
    backend state: moto's costs grow with the table, so one measured after the other would run
    on a bigger table."""
    for _ in range(warmup):
        reset()
        first()
        reset()
        second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, into in ((first, samples[0]), (second, samples[1])):
            reset()
            started = time.perf_counter()
            action()
            into.append((time.perf_counter() - started) * 1000)
    return Timing(samples[0]), Timing(samples[1])


def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [f"## {title}", ""]
    for index, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines) + "\n"


def _fmt(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
