"""The back-and-forth with the customer in a real browser on the local stack: a reviewer marks
two documents for re-upload and sends one request; the customer page, opened from the link in
the tenant's own webhook, uploads two PNGs and submits; the case is back in review with the new
pages (the old ones in history), the integrator got the revision and resubmission webhooks, and
Step Functions went review -> revision -> review. Screenshots of the customer page (desktop and
a 390 px phone) go to docs/screenshots/."""

from __future__ import annotations

import copy
import re
import struct
import uuid
import zlib
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from local.child_stack import Stack, signed_in, states_entered
from local.mailbox import sent_messages
from tests.conftest import poll
from tests.e2e.test_reviewer_app import (
    SCREENSHOTS,
    assert_accessible,
    no_horizontal_scroll,
    sign_in,
)
from tests.integration.test_webhooks_api import Receiver

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]
SECRET = {"Authorization": "Bearer secret"}
WEBHOOKS = "/api/v1/backoffice/webhooks"


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A small valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def revision_changes(receiver: Receiver, case_id: str, new_state: str) -> list[Any]:
    return [
        r
        for r in receiver.of("workflow.state.changed", case_id)
        if r.data.get("newState") == new_state
    ]


def mark_for_reupload(page: Page, tab_index: int, reason: str, comment: str) -> None:
    tab = page.get_by_role("tab").nth(tab_index)
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    # The buttons wait for the app to be idle (e.g. the claim's refresh).
    ask = page.get_by_role("button", name="Ask for re-upload…")
    expect(ask).to_be_enabled()
    ask.click()
    page.get_by_label("Reason").select_option(reason)
    page.get_by_label("Comment (optional)").fill(comment)
    request = page.get_by_role("button", name="Request re-upload")
    expect(request).to_be_enabled()
    request.click()
    expect(tab).to_contain_text("Revision")


def test_one_request_the_customer_uploads_and_the_case_is_back_in_review(
    stack: Stack,
    http: httpx.Client,
    page: Page,
    browser: Browser,
    seed_request: dict[str, Any],
) -> None:
    receiver = Receiver([]).start()
    try:
        with signed_in(stack) as (admin, _):
            created = admin.post(
                WEBHOOKS, json={"url": receiver.url, "events": ["workflow.state.changed"]}
            )
            assert created.status_code == 201, created.text
            receiver.secrets.append(created.json()["secret"])
            run = copy.deepcopy(seed_request)
            run["context"]["entity"]["id"] = f"collect-{uuid.uuid4().hex[:8]}"
            started = http.post("/api/v1/external/workflows/run", json=run, headers=SECRET)
            assert started.status_code == 201, started.text
            case_id = started.json()["workflowRuntimeId"]
            history = lambda: states_entered(  # noqa: E731
                stack.execution_history("risk-score-improvement-dev", case_id) or []
            )
            poll(lambda: history() == ["manual_review"])
            before = http.get(
                f"/api/v1/external/workflows/{case_id}/context", headers=SECRET
            ).json()["context"]["documents"]

            # The reviewer marks both documents, then sends one request.
            sign_in(page, "admin@demo.test")
            page.goto(f"/cases/{case_id}")
            expect(page.locator(f'article[data-case-id="{case_id}"]')).to_be_visible()
            page.keyboard.press("c")
            expect(page.get_by_test_id("assignee")).to_contain_text("(you)")
            mark_for_reupload(page, 0, "expired", "The licence has expired.")
            mark_for_reupload(page, 1, "blurry_or_unreadable", "The stamp cannot be read.")
            article = page.locator(f'article[data-case-id="{case_id}"]')
            expect(article).to_have_attribute("data-state", "manual_review")
            # Both marks saved (nothing in flight), then one request for the whole list.
            expect(page.get_by_role("button", name="Approve document")).to_be_enabled()
            page.get_by_test_id("case-revision").click()
            page.get_by_label("Reason").select_option("missing_pages")
            page.get_by_label("Comment (optional)").fill("Please send both again.")
            send = page.get_by_role("button", name="Send back for re-upload")
            expect(send).to_be_enabled()
            assert_accessible(page, "case view, sending a re-upload request")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.locator("section.case-decisions").screenshot(
                path=str(SCREENSHOTS / "case-view-reupload-request.png")
            )
            send.click()
            try:
                expect(article).to_have_attribute("data-state", "revision")
            except AssertionError:
                page.screenshot(path="/tmp/collect-send-failed.png")
                raise
            expect(page.get_by_test_id("collection-link")).to_have_value(re.compile(r"/collect/"))
            expect(page.get_by_test_id("collection-panel")).to_contain_text("Round 1")
            page.get_by_test_id("collection-panel").screenshot(
                path=str(SCREENSHOTS / "case-view-collection.png")
            )

            # The customer was emailed (moto's SES), and the stack printed it (its mailbox).
            emails = poll(
                lambda: [
                    m
                    for m in sent_messages(stack.aws_endpoint)
                    if "McClure Inc" in m["subject"] and "/collect/" in m["body"]
                ],
            )
            assert emails[0]["destinations"]["ToAddresses"] == ["Macie18@yahoo.com"]
            poll(lambda: "[local mailbox] to Macie18@yahoo.com" in stack.log.read_text())

            # The tenant's own webhook carries a link of its own; the customer opens it.
            revision = poll(lambda: revision_changes(receiver, case_id, "revision"))[0]
            assert revision.data["collectionRound"] == 1
            link = revision.data["collectionLink"]["url"]
            customer_context = browser.new_context(viewport={"width": 1280, "height": 800})
            customer = customer_context.new_page()
            customer.goto(link)
            expect(
                customer.get_by_role("heading", name="Documents for McClure Inc")
            ).to_be_visible()
            documents = customer.get_by_test_id("collect-document")
            expect(documents).to_have_count(2)
            expect(documents.nth(1)).to_contain_text("blurry")
            expect(documents.nth(1)).to_contain_text("The stamp cannot be read.")
            for index, colour in enumerate(((40, 120, 200), (200, 80, 40))):
                documents.nth(index).locator("input[type=file]").set_input_files(
                    {
                        "name": f"page-{index}.png",
                        "mimeType": "image/png",
                        "buffer": png(60, 40, colour),
                    }
                )
                expect(documents.nth(index).locator("li[data-status=uploaded]")).to_have_count(1)
                expect(documents.nth(index).get_by_role("img")).to_be_visible()
            assert_accessible(customer, "customer page")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            customer.screenshot(path=str(SCREENSHOTS / "collect-desktop.png"), full_page=True)
            customer.set_viewport_size({"width": 390, "height": 844})
            assert no_horizontal_scroll(customer)
            customer.screenshot(path=str(SCREENSHOTS / "collect-phone.png"), full_page=True)
            customer.get_by_role("button", name="Submit").click()
            expect(customer.get_by_test_id("collect-received")).to_be_visible()
            expect(customer.locator("input[type=file]")).to_have_count(0)
            # A forged (or revoked, or expired) link gets a clear page, not a broken one.
            customer.goto(link.rsplit("/", 1)[0] + "/not-a-real-link")
            expect(
                customer.get_by_role("heading", name="This link no longer works")
            ).to_be_visible()
            assert_accessible(customer, "customer page, dead link")
            customer_context.close()

            # Back in review, new pages, the old ones in history.
            case = http.get(f"/api/v1/external/workflows/{case_id}", headers=SECRET).json()
            assert case["state"] == "manual_review"
            after = http.get(
                f"/api/v1/external/workflows/{case_id}/context", headers=SECRET
            ).json()["context"]["documents"]
            for old, new in zip(before, after, strict=True):
                assert [p["id"] for p in new["pageHistory"][0]["pages"]] == [
                    p["id"] for p in old["pages"]
                ]
                assert len(new["pages"]) == 1 and new["decision"]["status"] == "pending"
            back = poll(lambda: revision_changes(receiver, case_id, "manual_review"))
            assert back[0].data["event"] == "resubmitted"
            assert back[0].data["collectionRound"] == 1
            assert back[0].data["actor"]["type"] == "customer"
            poll(lambda: history() == ["manual_review", "revision", "manual_review"])
            resubmitted = admin.get(
                "/api/v1/backoffice/cases?assignee=any&flag=resubmitted"
            ).json()["data"]
            assert case_id in [row["id"] for row in resubmitted]
    finally:
        receiver.stop()
