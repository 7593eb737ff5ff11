"""Sanctions screening: one name against a 10,000-entry list (the bundled real listings plus
synthetic entries from `local.sanctions_sample`), p50 and p99, for a listed name and a clean
one; and the time to load and index the list (once per list version in a warm function).

Not measured here yet: the plugin step's added latency on the local stack (issue 19)."""

from __future__ import annotations

import time

from bench.report import measure, table

ENTRIES = 10_000
RUNS = 200
NAMES = (
    ("listed: Vladimir Putin, born 1952-10-07", "Vladimir Putin", "1952-10-07", "ru"),
    ("clean: Jane Doe", "Jane Doe", "1990-04-12", "de"),
    ("transliterated: Путин Владимир", "Путин Владимир", None, None),
)


def run() -> tuple[str, bool]:
    from chalicelib.plugins.sanctions.lists import load_ftm
    from chalicelib.plugins.sanctions.matching import ScreeningIndex, Subject
    from local.sanctions_sample import REAL_FTM, ftm_lines, synthetic_entities

    content = ftm_lines(REAL_FTM + synthetic_entities(ENTRIES - len(REAL_FTM)))
    started = time.perf_counter()
    index = ScreeningIndex([load_ftm("bench", content)])
    load_ms = (time.perf_counter() - started) * 1000
    rows: list[list[object]] = [["load + index the list (once)", len(index), load_ms, load_ms, "-"]]
    for label, name, birth_date, country in NAMES:
        subject = Subject("entity", "person", name, birth_date, country)
        hits = len(index.screen(subject))
        timing = measure(lambda s=subject: index.screen(s), RUNS)  # type: ignore[misc]
        rows.append([label, len(index), timing.p50, timing.p99, hits])
    report = table(
        f"Sanctions screening: one name against {ENTRIES:,} entries ({RUNS} runs)",
        ["what", "entries", "p50 ms", "p99 ms", "hits"],
        rows,
    )
    return report, True
