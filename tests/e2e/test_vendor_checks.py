"""Vendor checks on the real local stack (issue 19): the bundled `kyc-manual-review` screens on
ingest against the sample lists seeded into the documents bucket; a listed person gets hits, a
clean name none; a reviewer dismisses the hits with a reason in the browser and the enforced
criterion "No unresolved sanctions hits" is then met. `kyb-manual-review` also looks the
company up in the sample registry: a declared address that differs is highlighted. A tenant's
published definition with an `http` vendor answering 503 (`onError: flag`, no retry) flags the
case and its execution still waits for review.
Screenshot: docs/screenshots/case-vendor-checks.png."""

from __future__ import annotations

import base64
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from local.child_stack import Stack, await_ingest, signed_in, states_entered
from local.sample_documents import render_document_page
from tests.conftest import poll
from tests.e2e.test_reviewer_app import SCREENSHOTS, SECRET, assert_accessible, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

RUN = "/api/v1/external/workflows/run"
BO = "/api/v1/backoffice"
CRITERION = "no-unresolved-sanctions-hits"
# Both sample lists carry him (docs/plugins.md, "The bundled sample").
PUTIN = {"firstName": "Vladimir", "lastName": "Putin", "dateOfBirth": "1952-10-07"}
JANE_DOE = {
    "firstName": "Jane",
    "lastName": "Doe",
    "dateOfBirth": "1990-04-12",
    "nationality": "DE",
}


def start(http: httpx.Client, body: dict[str, Any]) -> str:
    response = http.post(RUN, json=body, headers=SECRET)
    assert response.status_code == 201, response.text
    return str(response.json()["workflowRuntimeId"])


def passport() -> dict[str, Any]:
    png = render_document_page(
        "passport", holder_name="Vladimir Putin", side="front", number="P-1", country="RU"
    )
    page = {"provider": "base64", "type": "png", "data": base64.b64encode(png).decode()}
    return {
        "category": "identification",
        "type": "passport",
        "issuer": {"country": "RU"},
        "pages": [{**page, "metadata": {"side": "front", "pageNumber": "1"}}],
        "properties": {},
    }


def person_run(data: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    entity = {"id": f"vendor-{uuid.uuid4().hex[:8]}", "type": "individual", "data": data}
    return {
        "workflowId": "kyc-manual-review",
        "context": {"entity": entity, "documents": documents},
    }


def screening(view: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in view["pluginResults"] if r["plugin"] == "sanctions")


def test_a_listed_person_gets_hits_a_clean_one_none_and_dismissing_them_meets_the_criterion(
    stack: Stack, http: httpx.Client, page: Page
) -> None:
    clean = start(http, person_run(JANE_DOE, []))
    listed = start(http, person_run({**PUTIN, "nationality": "RU"}, [passport()]))
    # Within a minute of the run (the helper's deadline is 60 s).
    clean_view = await_ingest(stack.base_url, clean)
    assert screening(clean_view)["status"] == "succeeded"
    assert screening(clean_view)["hits"] == []
    view = await_ingest(stack.base_url, listed)
    result = screening(view)
    assert result["status"] == "succeeded", result
    hits = result["hits"]
    assert {h["listId"] for h in hits} == {"opensanctions-sample", "ofac-sdn-sample"}
    assert all({"name", "birthDate"} <= set(h["matchedFields"]) for h in hits), hits
    criteria = {c["id"]: c["status"] for c in view["acceptanceCriteria"]}
    assert criteria[CRITERION] == "unmet"

    sign_in(page, "alice@demo.test")
    page.goto(f"/cases/{listed}")
    expect(page.locator(f'article[data-case-id="{listed}"]')).to_be_visible()
    page.keyboard.press("c")  # claim: judging a hit is the assignee's (or an admin's)
    expect(page.get_by_test_id("assignee")).to_contain_text("Alice Reviewer (you)")
    checks = page.get_by_test_id("vendor-checks")
    criterion = page.get_by_test_id(f"criterion-{CRITERION}")
    expect(criterion).to_have_attribute("data-status", "unmet")
    for hit in hits:
        item = checks.get_by_test_id(f"hit-{hit['id']}")
        expect(item).to_contain_text(hit["entryName"])
        expect(item).to_contain_text(f"score {hit['score']:.1f}")
        expect(item).to_contain_text(f"{hit['listId']} v{hit['listVersion']}")
        expect(item).to_contain_text(f"matched: {', '.join(hit['matchedFields'])}")
    assert_accessible(page, "case view with sanctions hits")
    for hit in hits:
        item = checks.get_by_test_id(f"hit-{hit['id']}")
        dismiss = item.get_by_role("button", name="Dismiss as false positive")
        expect(dismiss).to_be_disabled()  # a reason is required
        item.get_by_label("Reason (required)").fill("Different passport number on file")
        dismiss.click()
        expect(item.get_by_test_id("hit-resolution")).to_contain_text(
            "Dismissed as a false positive by Alice Reviewer: Different passport number on file"
        )
    expect(criterion).to_have_attribute("data-status", "met")

    # The passport approved, the case can be approved, and the execution ends there.
    page.get_by_role("button", name="Approve document").click()
    approve = page.get_by_test_id("case-approve")
    expect(approve).to_be_enabled()
    approve.click()  # the app then opens the next case
    poll(
        lambda: (
            states_entered(stack.execution_history("kyc-manual-review", listed) or [])
            == ["manual_review", "approved"]
        ),
    )


def test_the_registry_comparison_highlights_what_the_company_declared_differently(
    stack: Stack, http: httpx.Client, page: Page
) -> None:
    company = {
        "id": f"vendor-kyb-{uuid.uuid4().hex[:8]}",
        "type": "business",
        "data": {
            "companyName": "Northwind Trading GmbH",
            "registrationNumber": "HRB 123456",
            "countryOfIncorporation": "DE",
            "address": "Elsewhere 9, Berlin",
            "ubos": [{**PUTIN, "nationality": "RU"}],
            "directors": [{"firstName": "Maria", "lastName": "Schmidt"}],
        },
    }
    case_id = start(
        http,
        {"workflowId": "kyb-manual-review", "context": {"entity": company, "documents": []}},
    )
    view = await_ingest(stack.base_url, case_id)
    registry = next(r for r in view["pluginResults"] if r["plugin"] == "registry")
    assert registry["status"] == "succeeded" and registry["data"]["found"] is True
    differs = {row["field"] for row in registry["data"]["comparison"] if row["match"] is False}
    assert "address" in differs and "name" not in differs
    assert {h["subject"]["role"] for h in screening(view)["hits"]} == {"ubo"}

    sign_in(page, "admin@demo.test")
    page.goto(f"/cases/{case_id}")
    table = page.get_by_test_id("registry-comparison")
    mismatches = table.locator('tr.mismatch[data-match="false"]')
    expect(mismatches).to_have_count(len(differs))
    address = table.locator("tr", has=page.get_by_role("rowheader", name="Address"))
    expect(address).to_have_class("mismatch")
    expect(address).to_contain_text("Elsewhere 9, Berlin")
    expect(address).to_contain_text("Speicherstadt 1, 20457 Hamburg, Germany")
    expect(address).to_contain_text("✗ differs")
    checks = page.get_by_test_id("vendor-checks")
    expect(checks.locator("li.hit.unresolved")).to_have_count(len(screening(view)["hits"]))
    assert_accessible(page, "case vendor checks")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # Tall enough for the whole block: scrolled, the sticky app header would cover its top.
    page.set_viewport_size({"width": 1280, "height": 2400})
    checks.screenshot(path=str(SCREENSHOTS / "case-vendor-checks.png"))


class _Unavailable(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:
        type(self).calls.append(self.path)
        body = b'{"error": "maintenance"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def unavailable_vendor() -> Iterator[str]:
    """A vendor on loopback that answers every call 503 (the local stack allows loopback)."""
    _Unavailable.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unavailable)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def failing_http_plugin(name: str, url: str) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "http",
        "when": "ingest",
        "timeoutSeconds": 5,
        "retries": 0,
        "onError": "flag",
        "input": {"name": "entity.name"},
        "request": {"method": "GET", "url": f"{url}?name={{name}}"},
    }


def test_a_failing_vendor_with_on_error_flag_flags_the_case_which_still_waits_for_review(
    stack: Stack, http: httpx.Client, page: Page, unavailable_vendor: str
) -> None:
    """Two vendors of the tenant's own definition, both unavailable: each failure is recorded
    with its reason, the case is flagged, and the execution goes on to wait for review."""
    definition_id = f"e2e-vendor-{uuid.uuid4().hex[:8]}"
    chart = {
        "id": definition_id,
        "version": 1,
        "name": "E2E unavailable vendors",
        "entityType": "individual",
        "initialState": "review",
        "states": {
            "review": {"tags": ["manual_review"], "on": {"approve": "done"}},
            "done": {"type": "final", "tags": ["approved", "resolved"]},
        },
        "events": {"approve": {"source": "reviewer", "decision": "approve"}},
        "plugins": [
            failing_http_plugin("watchlist", f"{unavailable_vendor}/watchlist"),
            failing_http_plugin("adverse_media", f"{unavailable_vendor}/media"),
        ],
    }
    with signed_in(stack) as (admin, _):
        published = admin.post(f"{BO}/workflow-definitions", json={"definition": chart})
        assert published.status_code == 201, published.text
        # `<name>-v<version>`; the name hashes the tenant (WorkflowDefinition.state_machine_name)
        machine = published.json()["stateMachineName"].removesuffix("-v1")
        run = person_run(JANE_DOE, [])
        case_id = start(http, {**run, "workflowId": definition_id})

        def both_recorded() -> dict[str, Any] | None:
            view: dict[str, Any] = admin.get(f"{BO}/cases/{case_id}").json()
            return view if len(view.get("pluginResults", [])) == 2 else None

        view = poll(both_recorded, timeout=60, interval=0.2)
    for result in view["pluginResults"]:
        assert result["status"] == "failed"
        assert result["error"] == "PluginAttemptFailed: the vendor answered 503"
    # retries: 0, one call each
    assert sorted(_Unavailable.calls) == ["/media?name=Jane%20Doe", "/watchlist?name=Jane%20Doe"]
    assert "plugin_failed" in view["flags"]
    assert view["state"] == "review"
    entered = poll(
        lambda: (
            (
                states := states_entered(
                    stack.execution_history(machine, case_id) or [], plugin_steps=True
                )
            )
            and states[-1] == "review"
            and states
        ),
    )
    assert entered == [
        "watchlist__plugin",
        "watchlist__plugin__failed",
        "adverse_media__plugin",
        "adverse_media__plugin__failed",
        "review",
    ]

    sign_in(page, "admin@demo.test")
    page.goto(f"/cases/{case_id}")
    checks = page.get_by_test_id("vendor-checks")
    for name in ("watchlist", "adverse_media"):
        check = checks.get_by_test_id(f"plugin-{name}")
        expect(check).to_contain_text("failed")
        expect(check).to_contain_text("the vendor answered 503")
        expect(check.get_by_role("heading", name="Answer")).to_have_count(0)  # none came
    # Each check's parts are its own (two blocks once shared a heading id).
    duplicate_ids = page.evaluate(
        "() => { const ids = [...document.querySelectorAll('[id]')].map((e) => e.id);"
        " return ids.filter((id, i) => ids.indexOf(id) !== i); }"
    )
    assert duplicate_ids == []
    assert_accessible(page, "case view with failed vendor checks")
