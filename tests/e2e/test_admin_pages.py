"""Tenant administration in a real browser against the local stack (issue 16): an admin
invites a user, who sets a password at first sign-in and lands in the inbox; custom roles are
made from the catalogue's checkboxes; a custom role without `cases.decide` has no decision
control it can use; the admin pages pass axe."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_reviewer_app import (
    SCREENSHOTS,
    SECRET,
    api_sign_in,
    assert_accessible,
    individual_run,
    open_case_from_inbox,
    run_case,
    search,
    sign_in,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

BO = "/api/v1/backoffice"
NEW_PASSWORD = "Chosen-passw0rd!"


def invited_user(http: httpx.Client, roles: list[str]) -> dict[str, Any]:
    headers, _ = api_sign_in(http, "admin@demo.test")
    email = f"e2e-{uuid.uuid4().hex[:8]}@demo.test"
    body = {"email": email, "name": "Casey Reader", "roles": roles}
    response = http.post(f"{BO}/users", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_custom_role_without_cases_decide_has_no_decision_control(
    http: httpx.Client, page: Page
) -> None:
    headers, _ = api_sign_in(http, "admin@demo.test")
    role_id = f"reader-{uuid.uuid4().hex[:6]}"
    role = {"id": role_id, "name": "Case reader", "permissions": ["cases.read", "notes.write"]}
    assert http.post(f"{BO}/roles", json=role, headers=headers).status_code == 201
    invited = invited_user(http, [role_id])
    first = {
        "email": invited["user"]["email"],
        "temporaryPassword": invited["temporaryPassword"],
        "newPassword": NEW_PASSWORD,
    }
    assert http.post("/api/v1/auth/new-password", json=first).status_code == 200
    entity_id = f"reader-{uuid.uuid4().hex[:8]}"
    case_id = run_case(http, individual_run(entity_id, "Readable"))

    page.goto("/")
    page.get_by_label("Email").fill(invited["user"]["email"])
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    # No admin link for a role without users.manage / roles.manage.
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    search(page, entity_id)  # an unassigned case: in the default inbox
    open_case_from_inbox(page, case_id)

    expect(page.get_by_test_id("case-blocker")).to_have_text(
        "Your role can read cases but not decide on them."
    )
    # No decision control at all, for the case or its documents: the role cannot decide.
    for test_id in ("case-approve", "case-reject", "case-revision"):
        expect(page.get_by_test_id(test_id)).to_have_count(0)
    for name in ("Approve document", "Reject document…", "Ask for re-upload…", "Claim"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    # ...but the role's notes.write is honoured.
    expect(page.get_by_label("Add a note")).to_be_visible()
    page.keyboard.press("a")
    expect(page.get_by_label("Reason")).to_have_count(0)


def test_an_invited_user_sets_a_password_at_first_sign_in_and_lands_in_the_inbox(
    page: Page, browser: Any
) -> None:
    sign_in(page, "admin@demo.test")
    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    expect(page.get_by_test_id("users-table")).to_contain_text("alice@demo.test")
    assert_accessible(page, "admin users")

    email = f"newbie-{uuid.uuid4().hex[:8]}@demo.test"
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name", exact=True).fill("Nora Newbie")
    page.get_by_role("group", name="Roles").get_by_label("Reviewer", exact=True).check()
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_test_id("invite-result")).to_contain_text(email)
    temporary = page.get_by_test_id("temporary-password").inner_text()
    assert len(temporary) >= 12
    expect(page.get_by_test_id(f"user-{email}")).to_contain_text("Reviewer")
    page.screenshot(path=str(SCREENSHOTS / "admin-users.png"))
    assert_accessible(page, "admin users after an invitation")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_test_id("temporary-password")).to_have_count(0)

    # The invitee, in a browser of their own.
    context = browser.new_context(base_url=page.url.split("/admin")[0])
    newbie = context.new_page()
    newbie.goto("/")
    newbie.get_by_label("Email").fill(email)
    newbie.get_by_label("Password").fill(temporary)
    newbie.get_by_role("button", name="Sign in").click()
    expect(newbie.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(newbie, "first sign-in: new password")
    newbie.get_by_label("New password", exact=True).fill("too-short")
    newbie.get_by_label("New password, again").fill("too-short")
    newbie.get_by_role("button", name="Set password and sign in").click()
    expect(newbie.get_by_role("alert")).to_contain_text("At least 12 characters")
    newbie.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newbie.get_by_label("New password, again").fill(NEW_PASSWORD)
    newbie.get_by_role("button", name="Set password and sign in").click()
    expect(newbie.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(newbie.get_by_test_id("current-user")).to_contain_text("Nora Newbie")
    context.close()

    # The admin deactivates them; the trail shows both changes.
    row = page.get_by_test_id(f"user-{email}")
    row.get_by_role("button", name="Deactivate Nora Newbie").click()
    expect(row).to_contain_text("deactivated")
    page.get_by_role("link", name="Admin trail").click()
    trail = page.get_by_test_id("admin-trail")
    expect(trail.locator("tbody tr").first).to_contain_text("user.deactivated")
    expect(trail).to_contain_text("user.invited")
    assert_accessible(page, "admin trail")


def test_custom_roles_are_made_from_the_catalogue(page: Page) -> None:
    sign_in(page, "admin@demo.test")
    page.goto("/admin/roles")
    table = page.get_by_test_id("roles-table")
    expect(table).to_contain_text("built-in, read-only")
    assert_accessible(page, "admin roles")

    role_id = f"triage-{uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="New role").click()
    # The permission catalogue loads after the form opens, and its labels ("Decide documents")
    # contain "id": wait for it, and name the role's own fields exactly.
    claim = page.get_by_role("checkbox", name="cases.claim")
    expect(claim).to_be_visible()
    page.get_by_label("Id", exact=True).fill(role_id)
    page.get_by_label("Name", exact=True).fill("Triage")
    page.get_by_role("checkbox", name="cases.read", exact=False).first.check()
    claim.check()
    assert_accessible(page, "admin roles, new role form")
    page.get_by_role("button", name="Create role").click()
    row = page.get_by_test_id(f"role-{role_id}")
    expect(row).to_contain_text("cases.claim, cases.read")

    row.get_by_role("button", name="Edit role Triage").click()
    page.get_by_label("notes.write").check()
    page.get_by_role("button", name="Save role").click()
    expect(row).to_contain_text("cases.claim, cases.read, notes.write")
    page.screenshot(path=str(SCREENSHOTS / "admin-roles.png"))

    row.get_by_role("button", name="Delete role Triage").click()
    expect(page.get_by_test_id(f"role-{role_id}")).to_have_count(0)


def test_an_admin_publishes_a_workflow_definition_and_an_integrator_runs_it(
    http: httpx.Client, page: Page
) -> None:
    """Issue 20, item 5: the JSON editor shows the API's problems by field path; a published
    definition is listed as the tenant's own and a run of it creates a case on it."""
    definition_id = f"e2e-{uuid.uuid4().hex[:8]}"
    chart: dict[str, Any] = {
        "id": definition_id,
        "version": 1,
        "name": "E2E onboarding",
        "initialState": "review",
        "states": {"review": {"on": {"approve": "nowhere"}}, "done": {"type": "final"}},
        "events": {"approve": {"source": "reviewer", "decision": "approve"}},
        "sla": {"review": {"hours": -1}},
    }
    sign_in(page, "admin@demo.test")
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Workflow definitions").click()
    expect(page.get_by_role("cell", name="kyc-manual-review", exact=True)).to_be_visible()
    editor = page.get_by_label("Definition (JSON)")
    editor.fill(json.dumps(chart, indent=2))
    editor.focus()
    page.keyboard.press("Tab")  # the Publish button, from the keyboard
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert", name="Problems")).to_contain_text(
        "definition.sla.review.hours"
    )
    page.screenshot(path=str(SCREENSHOTS / "admin-workflow-definitions.png"))
    assert_accessible(page, "admin workflow definitions with problems")

    chart["states"]["review"]["on"]["approve"] = "done"
    chart["sla"] = {"review": {"hours": 8}}
    editor.fill(json.dumps(chart, indent=2))
    page.get_by_role("button", name="Publish").click()
    row = page.get_by_role("row").filter(has_text=definition_id)
    expect(row).to_contain_text("Published by the tenant")
    expect(row).to_contain_text("Ada Admin")

    # The next version starts from the kept one, not from a template.
    row.get_by_role("button", name=f"New version of {definition_id}").click()
    expect(editor).to_be_focused()
    expect(editor).to_have_value(re.compile(r'"version": 2'))
    drafted = json.loads(editor.input_value())
    assert drafted == {**chart, "version": 2}
    editor.fill(json.dumps({**drafted, "name": "E2E onboarding 2"}, indent=2))
    page.get_by_role("button", name="Publish").click()
    expect(row.get_by_role("cell", name="E2E onboarding 2")).to_be_visible()
    # A bundled definition is a starting point for one of the tenant's own.
    page.get_by_role("button", name="Start from kyb-manual-review").click()
    expect(editor).to_have_value(re.compile('"id": "kyb-manual-review-own"'))
    bundled_copy = json.loads(editor.input_value())
    assert (bundled_copy["id"], bundled_copy["version"]) == ("kyb-manual-review-own", 1)
    assert bundled_copy["approvalPolicy"]["when"] == "always"

    run = individual_run(f"{definition_id}-person", "Published")
    run["workflowId"] = definition_id
    answer = http.post("/api/v1/external/workflows/run", json=run, headers=SECRET)
    assert answer.status_code == 201, answer.text
    assert answer.json()["workflowDefinitionVersion"] == 2
