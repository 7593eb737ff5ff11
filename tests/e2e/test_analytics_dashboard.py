"""The analytics dashboard in a real browser against the local stack with its demo history:
KPIs (the four-eyes counts among them, equal to the summary API's) and charts are filled, the
reviewers table sorts, the CSV downloads, axe-core finds no serious violation; a reviewer
without `analytics.read` has no dashboard."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_reviewer_app import (  # noqa: F401  (built_frontend is an autouse fixture)
    SCREENSHOTS,
    assert_accessible,
    built_frontend,
    sign_in,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]


def test_dashboard_with_the_demo_history(page: Page) -> None:
    sign_in(page, "admin@demo.test")
    nav = page.get_by_role("navigation", name="Sections")
    with page.expect_response(lambda r: "/analytics/summary" in r.url, timeout=30_000) as answer:
        nav.get_by_role("link", name="Analytics").click()
    assert answer.value.ok, answer.value.text()
    counts = answer.value.json()["counts"]
    expect(page.get_by_role("heading", name="Team analytics")).to_be_visible()
    median = page.get_by_test_id("kpi-median")
    # The first answers read the aggregates from moto, which scans its table for every Query.
    expect(median).not_to_contain_text("\u2013", timeout=30_000)  # the dash of "no value"
    expect(page.get_by_test_id("kpi-open")).to_be_visible()
    # The demo history has second approvals, criteria overridden and SLA breaches.
    assert counts["approvalsConfirmed"] > 0 and counts["criteriaOverridden"] > 0
    assert counts["slaBreached"] > 0
    expect(page.get_by_test_id("kpi-sla").locator(".kpi-value")).to_have_text(
        str(counts["slaBreached"])
    )
    four_eyes = page.get_by_role("list", name="Four-eyes figures")
    for test_id, key in (
        ("kpi-confirmed", "approvalsConfirmed"),
        ("kpi-returned", "approvalsReturned"),
        ("kpi-overridden", "criteriaOverridden"),
    ):
        value = four_eyes.get_by_test_id(test_id).locator(".kpi-value")
        expect(value).to_have_text(str(counts[key]))
    expect(page.locator("canvas")).to_have_count(3)
    table = page.get_by_role("table", name="Reviewers")
    # The table renders once its own query answers: wait for its first reviewer row.
    expect(table.locator("tbody tr").first).to_be_visible(timeout=30_000)

    decided = table.get_by_role("columnheader", name="Decided")
    expect(decided).to_have_attribute("aria-sort", "descending")
    values = [int(v) for v in table.locator("tbody tr td:nth-child(3)").all_inner_texts()]
    assert values == sorted(values, reverse=True) and values[0] > 0
    table.get_by_role("button", name="Reviewer").click()
    expect(table.get_by_role("columnheader", name="Reviewer")).to_have_attribute(
        "aria-sort", "ascending"
    )
    names = table.locator("tbody th").all_inner_texts()
    assert names == sorted(names, key=str.lower)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download days (CSV)").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert len(rows) == 28 and sum(int(r["decided"]) for r in rows) > 0

    page.wait_for_timeout(300)  # charts draw on the next frame; the screenshot is for people
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "analytics.png"), full_page=True)
    assert_accessible(page, "analytics")


def test_no_dashboard_without_the_permission(page: Page) -> None:
    sign_in(page, "alice@demo.test")
    nav = page.get_by_role("navigation", name="Sections")
    expect(nav.get_by_role("link", name="Inbox")).to_be_visible()
    expect(nav.get_by_role("link", name="Analytics")).to_have_count(0)
    page.goto("/analytics")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
