"""Saved inbox views in a real browser (issue 20, item 4): a reviewer saves the inbox's current
filters as a view; it appears as a tab with its count, survives a reload, and opens the inbox
on its filters again."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_reviewer_app import (
    assert_accessible,
    individual_run,
    run_case,
    search,
    sign_in,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]


def test_a_saved_view_appears_with_its_count_and_reopens_its_filters(
    http: httpx.Client, page: Page
) -> None:
    name = f"Saved{uuid.uuid4().hex[:8]}"
    for n in range(2):
        run_case(http, individual_run(f"view-{name}-{n}", name))

    sign_in(page, "alice@demo.test")
    search(page, name)
    expect(page.locator("table.inbox-table tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Save as view…").click()
    page.get_by_label("View name").fill(f"Search {name}")
    page.get_by_role("button", name="Save view").click()

    views = page.get_by_role("navigation", name="Saved views")
    tab = views.get_by_role("button", name=re.compile(f"^Search {name}"))
    expect(tab).to_be_visible()
    expect(tab.get_by_label("2 cases")).to_have_text("2")
    expect(tab).to_have_attribute("aria-current", "true")
    assert_accessible(page, "inbox with saved views")

    # After a reload on the plain inbox, the view is still there and brings its filters back.
    page.goto("/")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    tab = page.get_by_role("navigation", name="Saved views").get_by_role(
        "button", name=re.compile(f"^Search {name}")
    )
    expect(tab).not_to_have_attribute("aria-current", "true")
    tab.click()
    expect(page.locator("table.inbox-table tbody tr")).to_have_count(2)
    expect(page.get_by_role("heading", name="Inbox")).to_contain_text(name)
    expect(tab).to_have_attribute("aria-current", "true")
