"""SLAs on the local stack, over HTTP: the admin of tenant acme (no other test sets its SLA
settings; they are restored afterwards) sets a 5-second SLA for manual review; a new case is
`breached` within a minute (the pump's stand-in for the cloud's timer fires), the signed
`case.sla_breached` webhook arrives at the tenant's own subscription, and the inbox's breached
filter lists the case."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from local.child_stack import Stack, signed_in
from tests.conftest import poll
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_webhooks_api import Receiver

pytestmark = pytest.mark.e2e
ACME_KEY = {"Authorization": "Bearer acme-secret"}
SLA = "/api/v1/backoffice/settings/sla"
CASES = "/api/v1/backoffice/cases"


@pytest.fixture
def acme_admin(stack: Stack) -> Iterator[httpx.Client]:
    with signed_in(stack, "admin@acme.test") as (admin, _):
        before = admin.get(SLA)
        assert before.status_code == 200, before.text
        try:
            yield admin
        finally:
            kept = {k: v for k, v in before.json().items() if k not in ("updatedBy", "updatedAt")}
            restored = admin.put(SLA, json=kept)
            assert restored.status_code == 200, restored.text


@pytest.fixture
def receiver(acme_admin: httpx.Client) -> Iterator[Receiver]:
    started = Receiver([]).start()
    created = acme_admin.post(
        "/api/v1/backoffice/webhooks",
        json={"url": started.url, "events": ["case.sla_breached"], "description": "SLA e2e"},
    )
    assert created.status_code == 201, created.text
    started.secrets.append(created.json()["secret"])
    try:
        yield started
    finally:
        acme_admin.delete(f"/api/v1/backoffice/webhooks/{created.json()['id']}")
        started.stop()


def test_a_five_second_sla_breaches_is_sent_signed_and_filtered(
    http: httpx.Client, acme_admin: httpx.Client, receiver: Receiver
) -> None:
    put = acme_admin.put(SLA, json={"workflows": {"kyc-manual-review": {"manual_review": 5}}})
    assert put.status_code == 200, put.text
    run = http.post(
        "/api/v1/external/workflows/run",
        json=individual_run(f"sla-e2e-{uuid.uuid4().hex[:8]}"),
        headers=ACME_KEY,
    )
    assert run.status_code == 201, run.text
    case_id = run.json()["workflowRuntimeId"]

    def view() -> dict[str, Any]:
        response = acme_admin.get(f"{CASES}/{case_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    # The status reads `breached` from the deadline; the flags show the timer fired.
    breached = poll(
        lambda: (v := view())["slaStatus"] == "breached" and "sla_breached" in v["flags"] and v,
        timeout=60,
    )
    assert "escalated" in breached["flags"] and breached["dueAt"]

    (delivered,) = poll(lambda: receiver.of("case.sla_breached", case_id), timeout=60)
    assert delivered.headers["webhook-id"] and delivered.headers["webhook-signature"]
    assert (
        delivered.data["state"] == "manual_review" and delivered.data["dueAt"] == breached["dueAt"]
    )
    assert receiver.rejected == []

    page = acme_admin.get(f"{CASES}?assignee=any&sla=breached&sort=dueAt&order=asc")
    assert page.status_code == 200, page.text
    rows = {row["id"]: row["slaStatus"] for row in page.json()["data"]}
    assert rows.get(case_id) == "breached" and set(rows.values()) == {"breached"}
