"""The case view's vendor-check blocks in a real browser on the local stack: screening hits
with score, list and version, matched fields, judged with a required reason; the registry's
record beside what the customer declared, mismatches highlighted. The bundled definitions
declare no plugins yet (docs/plugins.md), so the case view's `pluginResults` are added to the
stack's real answer in the browser (Playwright routing); the judgement is answered the same
way. What the server does with them is tested in tests/integration/test_plugins_pipeline.py.
Screenshot: docs/screenshots/case-vendor-checks.png."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.test_reviewer_app import SCREENSHOTS, assert_accessible, run_case, sign_in, take_case

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore::pytest.PytestRemovedIn10Warning"),
]

HIT = {
    "id": "hit_e2e_1",
    "score": 96.0,
    "listId": "ofac-sdn-sample",
    "listVersion": "65a3fad14437",
    "entryId": "ofac-900001",
    "entryName": "Vladimir Vladimirovich PUTIN",
    "entryKind": "person",
    "matchedName": "vladimir vladimirovich putin",
    "matchedFields": ["name", "birthDate"],
    "topics": ["RUSSIA-EO14024"],
    "subject": {"role": "ubo", "name": "Vladimir Putin"},
    "resolution": None,
}
COMPARISON = [
    {
        "field": "registrationNumber",
        "declared": "HRB 123456",
        "registry": "HRB 123456",
        "match": True,
    },
    {
        "field": "name",
        "declared": "Northwind Trading GmbH",
        "registry": "Northwind Trading GmbH",
        "match": True,
    },
    {
        "field": "address",
        "declared": "Elsewhere 9, Berlin",
        "registry": "Speicherstadt 1, 20457 Hamburg, Germany",
        "match": False,
    },
    {
        "field": "directors",
        "declared": ["Maria Schmidt"],
        "registry": ["Maria Schmidt", "Jonas Weber"],
        "match": False,
    },
    {"field": "status", "declared": None, "registry": "active", "match": True},
]


def results(resolution: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    common = {
        "trigger": "ingest",
        "startedAt": "2026-12-02T10:00:00Z",
        "finishedAt": "2026-12-02T10:00:01Z",
        "inputDigest": "d",
        "error": None,
        "version": 1,
    }
    return [
        {
            **common,
            "plugin": "sanctions",
            "provider": "sanctions",
            "providerVersion": "ofac-sdn-sample@65a3fad14437",
            "status": "succeeded",
            "data": {"screened": [], "lists": [], "threshold": 85},
            "hits": [{**HIT, "resolution": resolution}],
        },
        {
            **common,
            "plugin": "registry",
            "provider": "registry",
            "providerVersion": "sample-2026-12",
            "status": "succeeded",
            "data": {"found": True, "comparison": COMPARISON, "mismatches": 2},
            "hits": [],
        },
    ]


def test_reviewer_sees_hits_and_registry_mismatches_and_dismisses_a_hit_with_a_reason(
    http: httpx.Client, page: Page
) -> None:
    entity_id = f"vendor-{uuid.uuid4().hex[:8]}"
    case_id = run_case(
        http,
        {
            "workflowId": "kyc-manual-review",
            "context": {
                "entity": {
                    "id": entity_id,
                    "type": "individual",
                    "data": {"firstName": "Vera", "lastName": "Checks"},
                },
                "documents": [],
            },
        },
    )
    take_case(http, case_id, "alice@demo.test")
    judged: list[dict[str, Any]] = []

    def case_view(route: Route) -> None:
        if route.request.method != "GET":
            route.continue_()
            return
        view = route.fetch().json()
        view["pluginResults"] = results()
        route.fulfill(json=view)

    def judge(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        judged.append(body)
        view = httpx.get(
            f"{http.base_url}/api/v1/backoffice/cases/{case_id}",
            headers={"Authorization": route.request.headers["authorization"]},
        ).json()
        resolution = {
            "status": body["status"],
            "reason": body["reason"],
            "by": {"id": "u", "name": "Alice Reviewer"},
            "at": "2026-12-02T10:05:00Z",
        }
        view["pluginResults"] = results(resolution)
        route.fulfill(json=view)

    page.route(f"**/api/v1/backoffice/cases/{case_id}", case_view)
    page.route(f"**/api/v1/backoffice/cases/{case_id}/plugins/sanctions/hits/*/resolution", judge)
    sign_in(page, "alice@demo.test")
    page.goto(f"/cases/{case_id}")
    checks = page.get_by_test_id("vendor-checks")
    expect(checks).to_be_visible()
    hit = page.get_by_test_id("hit-hit_e2e_1")
    expect(hit).to_contain_text("Vladimir Vladimirovich PUTIN")
    expect(hit).to_contain_text("score 96.0")
    expect(hit).to_contain_text("ofac-sdn-sample")
    expect(hit).to_contain_text("matched: name, birthDate")
    table = page.get_by_test_id("registry-comparison")
    expect(table.locator('tr.mismatch[data-match="false"]')).to_have_count(2)
    expect(table.locator("tr.mismatch").first).to_contain_text("Speicherstadt 1")
    dismiss = hit.get_by_role("button", name="Dismiss as false positive")
    expect(dismiss).to_be_disabled()  # a reason is required
    assert_accessible(page, "case vendor checks")
    checks.screenshot(path=str(SCREENSHOTS / "case-vendor-checks.png"))

    hit.get_by_label("Reason (required)").fill("born 1990: another person")
    dismiss.click()
    expect(hit.get_by_test_id("hit-resolution")).to_contain_text(
        "Dismissed as a false positive by Alice Reviewer: born 1990: another person"
    )
    assert judged and judged[0]["status"] == "dismissed"
    assert judged[0]["reason"] == "born 1990: another person"
    assert isinstance(judged[0]["expectedVersion"], int)
