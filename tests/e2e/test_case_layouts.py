"""Case layouts in a real browser (issue 20): an admin moves the UBO block first and hides a
field in the editor, watching the live preview, and finds that a version of the definition
without a layout of its own starts from it; the reviewer's case view shows it so after a
reload, with the field absent from what the API sent. Screenshots: the editor, a KYB and a KYC
case view."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from chalicelib.layouts.rules import BUNDLED_DIR
from tests.e2e.test_reviewer_app import (
    SCREENSHOTS,
    api_sign_in,
    assert_accessible,
    run_case,
    sign_in,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

LAYOUT = "/api/v1/backoffice/layouts/kyb-manual-review"
LOAD_MS = 15_000


def business_run(entity_id: str, registration: str) -> dict[str, Any]:
    return {
        "workflowId": "kyb-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "business",
                "data": {
                    "companyName": f"Layout Works {entity_id[-4:]} GmbH",
                    "legalForm": "GmbH",
                    "registrationNumber": registration,
                    "countryOfIncorporation": "DE",
                    "dateOfIncorporation": "2015-03-02",
                    "website": "https://layout.example",
                    "taxIdentificationNumber": "DE811907980",
                    "ubos": [
                        {"firstName": "Mia", "lastName": "Kern", "ownershipPercentage": 75},
                        {"firstName": "Jonas", "lastName": "Weber", "ownershipPercentage": 25},
                    ],
                    "directors": [{"firstName": "Mia", "lastName": "Kern", "role": "CEO"}],
                },
            },
            "documents": [],
            "customData": {"segment": "smb"},
        },
    }


def person_run(entity_id: str) -> dict[str, Any]:
    from local.sample_documents import render_document_page

    png = render_document_page("passport", holder_name="Lena Tester", number="C4X7J2K91")
    page = {"provider": "base64", "type": "png", "data": base64.b64encode(png).decode()}
    data = {
        "firstName": "Lena",
        "lastName": "Tester",
        "dateOfBirth": "1988-11-23",
        "nationality": "AT",
        "email": "lena@example.com",
        "passportNumber": "C4X7J2K91",
    }
    return {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {"id": entity_id, "type": "individual", "data": data},
            "documents": [
                {
                    "type": "passport",
                    "category": "identification",
                    "properties": {"docNumber": "P-0042", "expiryDate": "2031-05-01"},
                    "pages": [page],
                }
            ],
            "customData": {"riskScore": 12},
        },
    }


def first_block(page: Page) -> str | None:
    return page.locator("[data-testid=case-layout] .case-left > [data-block]").first.get_attribute(
        "data-block"
    )


def restore_bundled_layout(http: httpx.Client) -> None:
    """Other browser tests share the stack: the tenant's KYB layout goes back to the bundled one."""
    headers, _ = api_sign_in(http, "admin@demo.test")
    current = http.get(LAYOUT, headers=headers).json()
    bundled = json.loads((BUNDLED_DIR / "kyb-manual-review.json").read_text())
    body = {"layout": bundled, "expectedVersion": current["version"]}
    assert http.put(LAYOUT, json=body, headers=headers).status_code == 200


def test_an_admin_reorders_and_hides_and_the_reviewer_sees_it_after_a_reload(
    http: httpx.Client, page: Page, new_context: Any
) -> None:
    registration = f"HRB {uuid.uuid4().int % 10**6:06d}"
    kyb = run_case(http, business_run(f"layout-{uuid.uuid4().hex[:8]}", registration))
    kyc = run_case(http, person_run(f"layout-{uuid.uuid4().hex[:8]}"))
    try:
        sign_in(page, "admin@demo.test")
        page.goto("/admin/layouts")
        page.get_by_label("Workflow").select_option(label="KYB manual review")
        expect(page.get_by_test_id("layout-source")).to_contain_text("layout")
        preview = page.get_by_test_id("layout-preview")
        # The preview loads a case of the workflow (the shared stack can be slow to answer).
        expect(preview.locator(".case-left > [data-block]").first).to_have_attribute(
            "data-block", "entity", timeout=LOAD_MS
        )
        # Keyboard only: focus the control, then Space or Enter.
        page.get_by_role("button", name="Move UBOs up").focus()
        page.keyboard.press("Enter")
        page.get_by_role("checkbox", name="Hide Registration number (Entity details)").focus()
        page.keyboard.press("Space")
        # The live preview follows the draft before anything is saved.
        expect(preview.locator(".case-left > [data-block]").first).to_have_attribute(
            "data-block", "ubos"
        )
        page.get_by_label("Case", exact=True).select_option(value=kyb)
        expect(preview.get_by_text("Layout Works")).not_to_have_count(0)
        expect(preview.get_by_text(registration)).to_have_count(0)
        page.get_by_role("button", name="Save layout").click()
        expect(page.get_by_test_id("layout-source")).to_contain_text("by Ada Admin")
        assert_accessible(page, "layout editor")
        page.set_viewport_size({"width": 1400, "height": 1500})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SCREENSHOTS / "layout-editor.png"))
        # One version of the definition only: it starts from the layout for all versions.
        page.get_by_label("For", exact=True).select_option(label="Version 1 only")
        expect(page.get_by_test_id("layout-source")).to_contain_text("none of this version's own")
        expect(preview.locator(".case-left > [data-block]").first).to_have_attribute(
            "data-block", "ubos", timeout=LOAD_MS
        )

        reviewer = new_context().new_page()
        sign_in(reviewer, "alice@demo.test")
        for _ in range(2):  # as opened, then after a reload
            reviewer.goto(f"/cases/{kyb}")
            expect(reviewer.get_by_test_id("case-layout")).to_be_visible(timeout=LOAD_MS)
            assert first_block(reviewer) == "ubos"
            expect(reviewer.get_by_role("heading", name="UBOs")).to_be_visible()
            expect(reviewer.get_by_text("Incorporated on")).to_be_visible()
            expect(reviewer.get_by_text(registration)).to_have_count(0)
            expect(reviewer.get_by_text("Certificate of incorporation")).to_be_visible()  # missing
        assert_accessible(reviewer, "case view from a layout")
        reviewer.screenshot(path=str(SCREENSHOTS / "case-view-kyb-layout.png"), full_page=True)

        reviewer.goto(f"/cases/{kyc}")
        expect(reviewer.locator("#entity-title")).to_have_text("Personal details", timeout=LOAD_MS)
        assert first_block(reviewer) == "entity"
        expect(reviewer.locator(".case-right > [data-block=documents]")).to_be_visible()
        expect(reviewer.get_by_text("Nov 23, 1988")).to_be_visible()  # a date, formatted
        # The document's properties are laid out by the documents block's fields too.
        documents = reviewer.locator("[data-block=documents]")
        expect(documents.locator('[data-field="docNumber"] dt')).to_have_text("Document number")
        expect(documents.locator('[data-field="docNumber"] dd')).to_have_text("P-0042")
        expect(documents.locator('[data-field="expiryDate"] dt')).to_have_text("Expires")
        expect(documents.locator('[data-field="expiryDate"] dd')).to_have_text("May 1, 2031")
        reviewer.screenshot(path=str(SCREENSHOTS / "case-view-kyc-layout.png"), full_page=True)
    finally:
        restore_bundled_layout(http)
