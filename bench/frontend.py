"""Frontend: the initial JavaScript a reviewer downloads (gzipped) and the time until an inbox of
50 cases is interactive, in Debian's Chromium against the local stack (`python -m local.stack`
on free ports, as the e2e tests start it).

"Interactive" is measured in the page: from navigation start (`performance.now()` origin) until
50 inbox rows are in the DOM with their links, i.e. React has committed the list and its
handlers. The session is already signed in (tokens in sessionStorage), so each reload is what a
reviewer sees when opening the back office.
"""

from __future__ import annotations

import gzip
import re
import statistics
import tempfile
from pathlib import Path

import httpx

from bench.report import table
from local.child_stack import PROJECT_DIR, running_stack

DIST = PROJECT_DIR / "frontend" / "dist"
CHROMIUM = "/usr/bin/chromium"
JS_BUDGET_KB = 150.0
INTERACTIVE_BUDGET_MS = 1000.0
CASES = 50
PASSWORD = "Passw0rd!local"


def initial_js_gzipped_kb(dist: Path = DIST) -> tuple[float, list[str]]:
    """Gzipped size of the scripts index.html loads up front (entry + modulepreloads); chunks
    loaded later (the lazily imported case view) are not initial."""
    html = (dist / "index.html").read_text()
    srcs = re.findall(r'<script[^>]+src="([^"]+\.js)"', html)
    srcs += re.findall(r'<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"', html)
    srcs += re.findall(r'<link[^>]+href="([^"]+\.js)"[^>]+rel="modulepreload"', html)
    files = sorted(set(srcs))
    total = sum(len(gzip.compress((dist / s.lstrip("/")).read_bytes(), 9)) for s in files)
    return total / 1024, files


def _seed_cases(base_url: str, count: int) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for index in range(count):
            response = client.post(
                "/api/v1/external/workflows/run",
                headers={"Authorization": "Bearer secret"},
                json={
                    "workflowId": "kyc-manual-review",
                    "context": {
                        "entity": {
                            "id": f"bench-frontend-{index}",
                            "type": "individual",
                            "data": {"firstName": f"Bench{index}", "lastName": "Person"},
                        },
                        "documents": [],
                    },
                },
            )
            response.raise_for_status()


API_MS = """() => performance.getEntriesByType("resource")
    .filter((e) => e.name.includes("/api/v1/backoffice/cases"))
    .map((e) => e.duration).pop() ?? 0"""


def inbox_interactive_ms(base_url: str, runs: int) -> tuple[list[float], list[float]]:
    """(time to interactive, time of the inbox API call) per page load, in ms."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800}, base_url=base_url)
            page.goto("/")
            page.get_by_label("Email").fill("admin@demo.test")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            rows = "document.querySelectorAll('table.inbox-table tbody tr a').length"
            page.wait_for_function(f"{rows} >= {CASES}", timeout=30_000)
            samples, api = [], []
            for _ in range(runs + 1):  # the first reload warms the HTTP cache, as for a reviewer
                page.reload(wait_until="commit")
                page.wait_for_function(f"{rows} >= {CASES}", timeout=30_000, polling="raf")
                samples.append(float(page.evaluate("performance.now()")))
                api.append(float(page.evaluate(API_MS)))
            return samples[1:], api[1:]
        finally:
            browser.close()


def run(runs: int = 7) -> tuple[str, bool]:
    if not (DIST / "index.html").is_file() or not (DIST / "assets").is_dir():
        title = "Frontend: frontend/dist is not built (run `make frontend`)"
        return table(title, ["what", "value"], [["built", "no"]]), False
    js_kb, files = initial_js_gzipped_kb()
    js_ok = js_kb <= JS_BUDGET_KB
    rows: list[list[object]] = [
        [f"initial JS, gzipped ({len(files)} file(s))", js_kb, f"<= {JS_BUDGET_KB:.0f} kB", js_ok]
    ]
    interactive_ok = False
    if not Path(CHROMIUM).exists():
        rows.append(["inbox of 50 cases interactive", "no chromium", "run `make browser`", False])
    else:
        with tempfile.TemporaryDirectory() as tmp, running_stack(Path(tmp) / "stack.log") as stack:
            _seed_cases(stack.base_url, CASES)
            samples, api = inbox_interactive_ms(stack.base_url, runs)
        p50, worst = statistics.median(samples), max(samples)
        interactive_ok = p50 <= INTERACTIVE_BUDGET_MS
        rows.append(
            [
                f"inbox of {CASES} cases interactive, p50 of {runs} loads (max {worst:.0f} ms)",
                p50,
                f"<= {INTERACTIVE_BUDGET_MS:.0f} ms",
                interactive_ok,
            ]
        )
        rows.append(
            [
                "  of which GET /backoffice/cases?limit=50 (p50)",
                statistics.median(api),
                "",
                True,
            ]
        )
    rows = [
        [what, value, budget, ("ok" if ok else "MISSED") if budget else ""]
        for what, value, budget, ok in rows
    ]
    title = "Frontend: initial JS (kB gzipped) and inbox time to interactive (ms), local stack"
    return table(title, ["what", "value", "budget", "result"], rows), js_ok and interactive_ok
