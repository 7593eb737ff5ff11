"""The reviewer web app in a real browser (Debian's Chromium via Playwright) against the local
stack: sign in, find a case, claim it, review and decide its documents, send it back for
revision; a viewer finds every decision control disabled; entity data is always text; another
reviewer's changes show without a reload; axe-core finds no serious accessibility violation."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from local.child_stack import PROJECT_DIR, Stack, await_ingest

pytestmark = [
    pytest.mark.e2e,
    # pytest-base-url (a pytest-playwright dependency) still uses an instance-method fixture
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

PASSWORD = "Passw0rd!local"
SECRET = {"Authorization": "Bearer secret"}
SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots"
FRONTEND = PROJECT_DIR / "frontend"
XSS_NAME = "<img src=x onerror=alert(1)>"
# axe-core, pinned in frontend/package.json (devDependencies), from the frontend's node_modules.
AXE_JS = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
# The inbox and an open case poll every 5 s (INBOX_LIVE_MS, CASE_LIVE_MS in frontend/src).
LIVE_INTERVAL_MS = 5_000


@pytest.fixture(scope="session", autouse=True)
def built_frontend() -> Path:
    """The stack serves frontend/dist; build it when only the placeholder (or nothing) is there."""
    if not (FRONTEND / "dist" / "assets").is_dir():
        subprocess.run(
            "npm ci --no-audit --no-fund --loglevel=error && npm run build",
            shell=True,
            cwd=FRONTEND,
            check=True,
        )
    return FRONTEND / "dist"


@pytest.fixture
def dialogs(page: Page) -> Iterator[list[str]]:
    """Every alert/confirm/prompt the page opens (there must be none)."""
    seen: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    yield seen


def sign_in(page: Page, email: str) -> None:
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()


def assert_accessible(page: Page, screen: str) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {
                resultTypes: ["violations"],
                // experimental, so off by default: a visible label must be in the accessible name
                rules: { "label-content-name-mismatch": { enabled: true } },
            });
            return result.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                               nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
        }"""
    )
    assert violations == [], f"{screen}: {json.dumps(violations, indent=2)}"


def search(page: Page, text: str) -> None:
    page.keyboard.press("/")
    expect(page.get_by_label("Search cases")).to_be_focused()
    page.get_by_label("Search cases").fill(text)
    page.keyboard.press("Enter")


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def open_case_from_inbox(page: Page, case_id: str) -> None:
    row = page.locator(f'tr[data-case-id="{case_id}"]')
    expect(row).to_be_visible()
    row.get_by_role("link").click()
    expect(page.locator(f'article[data-case-id="{case_id}"]')).to_be_visible()


def api_sign_in(http: httpx.Client, email: str) -> tuple[dict[str, str], dict[str, Any]]:
    response = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    return {"Authorization": f"Bearer {body['idToken']}"}, body["user"]


def take_case(http: httpx.Client, case_id: str, email: str) -> None:
    """`email` claims the case through the API (another reviewer, in another browser)."""
    headers, user = api_sign_in(http, email)
    version = http.get(f"/api/v1/backoffice/cases/{case_id}", headers=headers).json()["version"]
    response = http.put(
        f"/api/v1/backoffice/cases/{case_id}/assignee",
        json={"assigneeId": user["id"], "expectedVersion": version},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def individual_run(entity_id: str, first_name: str) -> dict[str, Any]:
    return {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "individual",
                "data": {"firstName": first_name, "lastName": "Tester"},
            },
            "documents": [],
        },
    }


def run_case(http: httpx.Client, body: dict[str, Any]) -> str:
    """A new case, once its screening is recorded (a reviewer would meet it so)."""
    response = http.post("/api/v1/external/workflows/run", json=body, headers=SECRET)
    assert response.status_code == 201, response.text
    case_id: str = response.json()["workflowRuntimeId"]
    await_ingest(str(http.base_url), case_id)
    return case_id


def test_reviewer_claims_reviews_and_sends_the_seed_case_back_for_revision(
    stack: Stack, http: httpx.Client, page: Page, seed_request: dict[str, Any], dialogs: list[str]
) -> None:
    case_id = run_case(http, seed_request)

    page.goto("/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert_accessible(page, "login")
    sign_in(page, "alice@demo.test")
    expect(page.locator("table.inbox-table tbody tr").first).to_be_visible()
    assert_accessible(page, "inbox")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))
    assert no_horizontal_scroll(page)

    search(page, "McClure")
    expect(page).to_have_url(f"{stack.base_url}/?q=McClure")
    open_case_from_inbox(page, case_id)
    expect(page.get_by_test_id("case-title")).to_have_text("McClure Inc")
    expect(page.get_by_role("heading", name="UBOs")).to_be_visible()

    # Claim it (the shortcut `c`); the assignee is visible.
    expect(page.get_by_test_id("assignee")).to_contain_text("unassigned")
    page.keyboard.press("c")
    expect(page.get_by_test_id("assignee")).to_contain_text("Alice Reviewer (you)")

    # Review both documents in the viewer: pages, zoom, rotate, properties and issuer.
    tabs = page.get_by_role("tab")
    expect(tabs).to_have_count(2)
    license_tab, certificate_tab = tabs.nth(0), tabs.nth(1)
    expect(license_tab).to_contain_text("Drivers license")
    expect(page.get_by_test_id("page-indicator")).to_have_text("Page 1 / 2")
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("page-indicator")).to_have_text("Page 2 / 2")
    page.get_by_role("button", name="Previous page").click()
    expect(page.get_by_test_id("page-indicator")).to_have_text("Page 1 / 2")
    page.get_by_role("button", name="Zoom in").click()
    expect(page.get_by_test_id("zoom-level")).to_have_text("125%")
    page.get_by_role("button", name="Rotate 90 degrees").click()
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_text("Brockside")).to_be_visible()  # issuer city
    expect(panel.get_by_text("Turkey, buhgdawe")).to_be_visible()  # a property

    certificate_tab.click()
    expect(certificate_tab).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("page-indicator")).to_have_text("Page 1 / 1")
    expect(panel.get_by_text("https://ballerine.com")).to_be_visible()

    # Approve the driver's licence (shortcut `a`): optimistic, then confirmed by the server.
    license_tab.click()
    # Shortcuts wait for the app to be idle (the claim's refresh), as the buttons do.
    expect(page.get_by_role("button", name="Approve document")).to_be_enabled()
    page.keyboard.press("a")
    expect(license_tab).to_contain_text("Approved")
    expect(page.get_by_test_id("toast").last).to_contain_text("Drivers license: Approved.")
    # The app moves on to the next document needing a decision: ask for a re-upload.
    expect(certificate_tab).to_have_attribute("aria-selected", "true")
    page.get_by_role("button", name="Ask for re-upload…").click()
    page.get_by_label("Reason").select_option("blurry_or_unreadable")
    page.get_by_label("Comment (optional)").fill("The scan is too small to read.")
    assert_accessible(page, "case view")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "case-view.png"))
    assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Request re-upload").click()
    # The mark waits in review until the reviewer sends the whole request as one round.
    expect(certificate_tab).to_contain_text("Revision")
    expect(page.locator(f'article[data-case-id="{case_id}"]')).to_have_attribute(
        "data-state", "manual_review"
    )
    page.get_by_test_id("case-revision").click()
    page.get_by_label("Reason").select_option("blurry_or_unreadable")
    page.get_by_role("button", name="Send back for re-upload").click()

    # The request sends the case back to the customer (revision); the reviewer stays on the
    # case, with the round and its link (shown only now) at hand.
    expect(page.get_by_test_id("toast").last).to_contain_text("McClure Inc: case moved to Revision")
    expect(page.get_by_test_id("collection-link")).to_have_value(re.compile(r"/collect/"))
    expect(page.get_by_test_id("collection-panel")).to_contain_text("Round 1")

    page.goto(f"/cases/{case_id}")
    expect(page.locator(f'article[data-case-id="{case_id}"]')).to_have_attribute(
        "data-state", "revision"
    )
    expect(page.get_by_test_id("case-revision")).to_be_disabled()
    expect(page.get_by_test_id("audit-timeline")).to_contain_text("Alice Reviewer")
    expect(page.get_by_test_id("audit-timeline")).to_contain_text("revision")
    case = http.get(f"/api/v1/external/workflows/{case_id}", headers=SECRET).json()
    assert case["state"] == "revision"
    assert dialogs == []


def test_viewer_finds_no_decision_control(http: httpx.Client, page: Page) -> None:
    sign_in(page, "viewer@demo.test")
    search(page, "Northwind")
    row = page.locator("table.inbox-table tbody tr", has_text="Northwind Trading GmbH").first
    expect(row).to_be_visible()
    row.get_by_role("link").click()
    expect(page.get_by_test_id("case-title")).to_have_text("Northwind Trading GmbH")

    # The reason names what the role lacks, not the role (roles are made of permissions).
    expect(page.get_by_test_id("case-blocker")).to_contain_text("read cases but not decide")
    for test_id in ("case-approve", "case-reject", "case-revision"):
        expect(page.get_by_test_id(test_id)).to_have_count(0)
    for name in ("Approve document", "Reject document…", "Ask for re-upload…", "Claim"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    expect(page.get_by_test_id("doc-blocker")).to_contain_text("read cases but not decide")
    expect(page.get_by_label("Add a note")).to_have_count(0)

    # The shortcuts do nothing either.
    first_tab = page.get_by_role("tab").first
    page.keyboard.press("a")
    page.keyboard.press("r")
    expect(page.get_by_label("Reason")).to_have_count(0)
    expect(first_tab).to_contain_text("Pending")
    page.screenshot(path=str(SCREENSHOTS / "case-view-viewer.png"))
    assert_accessible(page, "case view, viewer role")


def test_entity_data_is_rendered_as_text_and_runs_no_script(
    http: httpx.Client, page: Page, dialogs: list[str]
) -> None:
    from local.sample_documents import render_document_page

    png = render_document_page("certificate_of_incorporation", holder_name="XSS Ltd")
    entity_id = f"xss-{uuid.uuid4().hex[:8]}"
    case_id = run_case(
        http,
        {
            "workflowId": "kyb-manual-review",
            "context": {
                "entity": {
                    "id": entity_id,
                    "type": "business",
                    "data": {
                        "companyName": XSS_NAME,
                        "address": "<script>alert(2)</script>",
                        "ubos": [{"firstName": XSS_NAME, "lastName": "<b>bold</b>"}],
                    },
                },
                "documents": [
                    {
                        "type": "certificate_of_incorporation",
                        "category": "registration",
                        "issuer": {"country": "GB", "name": "<svg onload=alert(3)>"},
                        "properties": {"docNumber": "<img src=y onerror=alert(4)>"},
                        "pages": [
                            {
                                "provider": "base64",
                                "type": "png",
                                "data": base64.b64encode(png).decode(),
                            }
                        ],
                    }
                ],
                "customData": {"note": "<iframe src=javascript:alert(5)>"},
            },
        },
    )

    sign_in(page, "alice@demo.test")
    search(page, entity_id)
    row = page.locator(f'tr[data-case-id="{case_id}"]')
    expect(row.get_by_role("link")).to_have_text(XSS_NAME)
    open_case_from_inbox(page, case_id)

    expect(page.get_by_test_id("case-title")).to_have_text(XSS_NAME)
    expect(page.get_by_test_id("entity-name")).to_have_text(XSS_NAME)
    expect(page.get_by_text("<script>alert(2)</script>")).to_be_visible()
    expect(page.get_by_text("<svg onload=alert(3)>")).to_be_visible()
    expect(page.get_by_text("<iframe src=javascript:alert(5)>")).to_be_visible()
    # The document page itself is the only image; nothing from the entity became an element.
    expect(page.get_by_test_id("page-image")).to_be_visible()
    injected = 'img[src="x"], img[src="y"], script:not([src]), svg, iframe, b'
    assert page.locator(injected).count() == 0
    assert page.evaluate("document.querySelectorAll('[onerror],[onload]').length") == 0
    assert dialogs == []


def test_a_stale_change_is_rolled_back_with_a_clear_message(http: httpx.Client, page: Page) -> None:
    entity_id = f"conflict-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Conflict"))

    sign_in(page, "alice@demo.test")
    search(page, entity_id)
    open_case_from_inbox(page, case_id)
    expect(page.get_by_test_id("assignee")).to_contain_text("unassigned")

    # Meanwhile an admin takes the case: Alice's page still shows the old version.
    take_case(http, case_id, "admin@demo.test")

    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_test_id("conflict")).to_contain_text("Someone else changed this case")
    expect(page.get_by_test_id("assignee")).to_contain_text("Ada Admin")
    expect(page.get_by_role("button", name="Claim")).to_have_count(0)


def test_a_case_decision_moves_on_to_the_next_case(http: httpx.Client, page: Page) -> None:
    entity_id = f"decide-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Decided"))

    sign_in(page, "alice@demo.test")
    search(page, entity_id)
    open_case_from_inbox(page, case_id)
    expect(page.get_by_test_id("case-approve")).to_be_disabled()
    expect(page.get_by_test_id("case-blocker")).to_contain_text("Claim the case")

    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_test_id("assignee")).to_contain_text("(you)")
    # The history of the claimed version is read first: a note (which leaves the version as it
    # is) must still show up in it.
    expect(page.get_by_test_id("audit-timeline")).to_contain_text("Case assigned")
    page.get_by_label("Add a note").fill("Called the customer: <b>no answer</b>.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note-text")).to_have_text("Called the customer: <b>no answer</b>.")
    expect(page.get_by_test_id("audit-timeline")).to_contain_text("note")
    page.get_by_test_id("case-reject").click()
    page.get_by_label("Reason").select_option("other")
    page.get_by_role("button", name="Confirm case rejection").click()
    expect(page.get_by_role("alert")).to_contain_text("Explain the reason")
    page.get_by_label("Comment (required)").fill("Not a real customer.")
    page.get_by_role("button", name="Confirm case rejection").click()

    expect(page.get_by_test_id("toast").last).to_contain_text("case moved to Rejected")
    expect(page.locator(f'article[data-case-id="{case_id}"]')).to_have_count(0)
    case = http.get(f"/api/v1/external/workflows/{case_id}", headers=SECRET).json()
    assert (case["state"], case["status"]) == ("rejected", "completed")


def test_admin_assigns_through_the_reviewer_picker(http: httpx.Client, page: Page) -> None:
    entity_id = f"assign-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Assigned"))

    sign_in(page, "admin@demo.test")
    search(page, entity_id)
    open_case_from_inbox(page, case_id)
    page.get_by_label("Assign to").select_option(label="Bob Reviewer")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_test_id("assignee")).to_contain_text("Bob Reviewer")
    expect(page.get_by_test_id("toast").last).to_contain_text("Assigned to Bob Reviewer")
    page.get_by_role("button", name="Unassign").click()
    expect(page.get_by_test_id("assignee")).to_contain_text("unassigned")


def test_the_session_refreshes_its_tokens_and_keeps_them_out_of_urls(
    http: httpx.Client, page: Page
) -> None:
    sign_in(page, "bob@demo.test")
    assert "eyJ" not in page.url
    assert page.evaluate("Object.keys(localStorage).length") == 0
    # An ID token the API refuses (as an expired one is): the app refreshes it and goes on.
    page.evaluate(
        """() => {
            const key = "kyc-backoffice.session";
            const session = JSON.parse(sessionStorage.getItem(key));
            session.idToken = "expired";
            sessionStorage.setItem(key, JSON.stringify(session));
        }"""
    )
    page.reload()
    expect(page.locator("table.inbox-table tbody tr").first).to_be_visible()
    token = page.evaluate("JSON.parse(sessionStorage.getItem('kyc-backoffice.session')).idToken")
    assert token.startswith("eyJ")

    # j/k move through the inbox, Enter opens, the help overlay lists the shortcuts.
    page.keyboard.press("j")
    expect(page.locator("table.inbox-table tbody tr").nth(1)).to_have_attribute(
        "aria-selected", "true"
    )
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(page.locator("article.case")).to_be_visible()
    assert "eyJ" not in page.url

    session = page.evaluate("sessionStorage.getItem('kyc-backoffice.session')")
    refresh_token = json.loads(session)["refreshToken"]
    with page.expect_response("**/api/v1/auth/logout") as signed_out:
        page.get_by_role("button", name="Sign out").click()
    assert signed_out.value.status == 204
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    # The server revoked the session too: its refresh token no longer works.
    revoked = http.post("/api/v1/auth/refresh", json={"refreshToken": refresh_token})
    assert revoked.status_code == 401


def test_the_inbox_shows_another_reviewers_claim_without_a_reload(
    http: httpx.Client, page: Page
) -> None:
    entity_id = f"live-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Live"))

    sign_in(page, "alice@demo.test")
    page.goto(f"/?assignee=any&q={entity_id}")
    row = page.locator(f'tr[data-case-id="{case_id}"]')
    expect(row).to_contain_text("Unassigned")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    take_case(http, case_id, "bob@demo.test")

    # The next poll (or sooner) shows it; the margin covers a slow answer on a busy machine.
    expect(row).to_contain_text("Bob Reviewer", timeout=LIVE_INTERVAL_MS + 15_000)
    assert page.evaluate("window.sameDocument === true")
    page.screenshot(path=str(SCREENSHOTS / "inbox-live.png"))


def test_an_open_case_changed_by_someone_else_says_so_before_the_reviewer_decides(
    http: httpx.Client, page: Page
) -> None:
    entity_id = f"stale-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Stale"))

    sign_in(page, "alice@demo.test")
    search(page, entity_id)
    open_case_from_inbox(page, case_id)
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_test_id("assignee")).to_contain_text("(you)")
    expect(page.get_by_test_id("case-reject")).to_be_enabled()
    page.evaluate("window.sameDocument = true")

    take_case(http, case_id, "admin@demo.test")

    banner = page.get_by_test_id("stale-banner")
    expect(banner).to_contain_text("changed since you opened it", timeout=LIVE_INTERVAL_MS + 15_000)
    expect(banner).to_contain_text("assigned to Ada Admin")
    # The page still shows what Alice saw, but she cannot decide on it.
    expect(page.get_by_test_id("assignee")).to_contain_text("(you)")
    expect(page.get_by_test_id("case-reject")).to_be_disabled()
    expect(page.get_by_test_id("case-blocker")).to_contain_text("reload it before deciding")
    assert page.evaluate("window.sameDocument === true")
    assert_accessible(page, "case view, changed by someone else")
    page.screenshot(path=str(SCREENSHOTS / "case-view-stale.png"))

    page.get_by_role("button", name="Reload the case").click()
    expect(banner).to_have_count(0)
    expect(page.get_by_test_id("assignee")).to_contain_text("Ada Admin")
    expect(page.get_by_test_id("case-blocker")).to_contain_text("assigned to Ada Admin")


WRONG_FIELD = """import type { CaseView } from "../src/api/types";
export const score = (view: CaseView): number => view.riskScore;
"""
RIGHT_FIELD = """import type { CaseView } from "../src/api/types";
export const version = (view: CaseView): number => view.version;
"""


def typecheck(snippet: str) -> subprocess.CompletedProcess[str]:
    """`tsc` (the build's type check) on one file that uses the generated API types."""
    folder = FRONTEND / f".typecheck-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    try:
        (folder / "snippet.ts").write_text(snippet)
        (folder / "tsconfig.json").write_text(
            json.dumps({"extends": "../tsconfig.json", "include": ["snippet.ts"]})
        )
        return subprocess.run(
            [str(FRONTEND / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", str(folder)],
            cwd=FRONTEND,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_the_build_fails_on_a_field_the_api_does_not_have() -> None:
    right = typecheck(RIGHT_FIELD)
    assert right.returncode == 0, right.stdout + right.stderr
    wrong = typecheck(WRONG_FIELD)
    assert wrong.returncode != 0
    assert "Property 'riskScore' does not exist" in wrong.stdout + wrong.stderr


def test_acceptance_criteria_checklist_and_override(
    http: httpx.Client, page: Page, new_context: Any
) -> None:
    """A KYB case without a date of incorporation: the checklist says which criterion blocks
    approval and why before anyone clicks; the admin approves with a justification, which KYB's
    four-eyes policy holds as pending; carol (a senior reviewer, not the assignee) sees the
    unmet criterion beside the pending second approval and confirms it from the keyboard."""
    entity_id = f"criteria-{uuid.uuid4().hex[:8]}"
    run = {
        "workflowId": "kyb-manual-review",
        "context": {
            "entity": {
                "id": entity_id,
                "type": "business",
                "data": {
                    "companyName": f"Criteria Test {entity_id}",
                    "ubos": [{"firstName": "Ann", "ownershipPercentage": 80}],
                },
            },
            "documents": [],
        },
    }
    case_id = run_case(http, run)

    sign_in(page, "admin@demo.test")
    page.goto(f"/cases/{case_id}")
    checklist = page.get_by_test_id("acceptance-criteria")
    expect(checklist).to_be_visible()
    date = page.get_by_test_id("criterion-date-of-incorporation-present")
    expect(date).to_have_attribute("data-status", "unmet")
    expect(date).to_contain_text("entity.data.dateOfIncorporation = missing")
    expect(page.get_by_test_id("criterion-ubo-shares-at-least-75")).to_have_attribute(
        "data-status", "met"
    )
    expect(page.get_by_test_id("case-approve")).to_be_disabled()
    expect(page.locator("#case-approve-why")).to_contain_text("Date of incorporation present")
    page.screenshot(path=str(SCREENSHOTS / "case-view-acceptance-criteria.png"))
    assert_accessible(page, "case view, acceptance criteria")

    page.get_by_test_id("case-override").click()
    expect(page.get_by_test_id("override-confirm")).to_be_disabled()
    page.get_by_test_id("override-justification").fill("Registry extract checked by phone")
    page.get_by_test_id("override-confirm").click()
    headers, _ = api_sign_in(http, "admin@demo.test")
    view = poll_view(http, headers, case_id, lambda v: v["pendingApproval"] is not None)
    assert (view["state"], view["status"]) == ("manual_review", "active")
    assert "criteria_overridden" in view["flags"]
    overridden = [e for e in view["timeline"] if e["action"] == "case.criteria_overridden"]
    assert overridden[0]["details"]["justification"] == "Registry extract checked by phone"
    # The maker is told the approval waits for someone else.
    page.goto(f"/cases/{case_id}")
    expect(page.get_by_test_id("pending-approval-waiting")).to_contain_text(
        "Waiting for a second approval"
    )
    expect(page.get_by_test_id("confirm-approval")).to_have_count(0)

    carol = new_context().new_page()
    sign_in(carol, "carol@demo.test")
    # Her queue: everyone's cases awaiting a second approval.
    carol.get_by_label("Approval").select_option("awaiting")
    expect(carol.get_by_label("Assignee")).to_have_value("any")
    expect(carol.locator(f'tr[data-case-id="{case_id}"]')).to_be_visible()
    carol.goto(f"/cases/{case_id}")
    panel = carol.get_by_test_id("pending-approval")
    expect(panel).to_be_visible()
    expect(carol.get_by_test_id("pending-approval-summary")).to_contain_text("approved the case")
    expect(carol.get_by_test_id("pending-approval-evidence")).to_contain_text("unchanged")
    expect(carol.get_by_test_id("pending-approval-override")).to_contain_text(
        "Registry extract checked by phone"
    )
    expect(carol.get_by_test_id("criterion-date-of-incorporation-present")).to_have_attribute(
        "data-status", "unmet"
    )
    carol.screenshot(path=str(SCREENSHOTS / "case-view-pending-second-approval.png"))
    assert_accessible(carol, "case view, pending second approval")
    confirm = carol.get_by_test_id("confirm-approval")
    confirm.focus()
    carol.keyboard.press("Enter")
    case = poll_case(http, case_id, lambda c: c["state"] == "approved")
    assert case["status"] == "completed"


def poll_view(
    http: httpx.Client, headers: dict[str, str], case_id: str, done: Any
) -> dict[str, Any]:
    from tests.conftest import poll

    return poll(  # type: ignore[no-any-return]
        lambda: (
            (view := http.get(f"/api/v1/backoffice/cases/{case_id}", headers=headers).json())
            and done(view)
            and view
        )
    )


def poll_case(http: httpx.Client, case_id: str, done: Any) -> dict[str, Any]:
    from tests.conftest import poll

    return poll(  # type: ignore[no-any-return]
        lambda: (
            (case := http.get(f"/api/v1/external/workflows/{case_id}", headers=SECRET).json())
            and done(case)
            and case
        )
    )
