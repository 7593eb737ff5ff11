"""SLAs through the pipeline (moto in-process, the local pump): an admin sets a 2-second SLA,
a new case is breached within seconds: flagged, escalated, audited, the signed
`case.sla_breached` webhook arrives; the settings need `settings.manage` and are validated."""

from __future__ import annotations

from typing import Any

from tests.conftest import load_fixture, poll
from tests.integration.conftest import Api
from tests.integration.test_auth_api import login
from tests.integration.test_ingestion_api import individual_run
from tests.integration.test_webhooks_api import Receiver, receiver  # noqa: F401 (a fixture)

SLA = "/api/v1/backoffice/settings/sla"
RUN = "/api/v1/external/workflows/run"


def test_a_case_past_its_sla_is_breached_flagged_escalated_and_sent(
    api: Api,
    pipeline: Any,
    receiver: Receiver,  # noqa: F811
) -> None:
    admin = api.as_tenant(login(api, "admin@demo.test")["idToken"])
    put = admin.put(SLA, {"workflows": {"kyc-manual-review": {"manual_review": 2}}})
    assert put.status_code == 200, put.body
    assert put.json_body["updatedBy"] and put.json_body["workflows"] == {
        "kyc-manual-review": {"manual_review": 2}
    }
    created = api.post(RUN, individual_run("sla-person"))
    assert created.status_code == 201, created.body
    case_id = created.json_body["workflowRuntimeId"]

    def view() -> Any:
        return admin.get(f"/api/v1/backoffice/cases/{case_id}").json_body

    first = poll(lambda: (v := view())["dueAt"] and v)
    assert first["slaStatus"] in ("on_track", "at_risk", "breached")
    breached = poll(
        lambda: (v := view())["slaStatus"] == "breached" and "sla_breached" in v["flags"] and v,
    )
    assert "escalated" in breached["flags"]
    actions = [
        e["action"]
        for e in admin.get(f"/api/v1/backoffice/cases/{case_id}/audit").json_body["data"]
    ]
    assert actions.count("case.sla_breached") == 1
    (delivered,) = poll(lambda: receiver.of("case.sla_breached", case_id))
    assert delivered.data["state"] == "manual_review" and delivered.data["escalatedTo"] is None
    assert receiver.rejected == []

    # A business case keeps its definition's 24 h: listed by deadline, not breached.
    business = api.post(
        RUN, load_fixture("seed-run-request.json") | {"workflowId": "kyb-manual-review"}
    )
    assert business.status_code == 201, business.body
    other = business.json_body["workflowRuntimeId"]
    poll(lambda: admin.get(f"/api/v1/backoffice/cases/{other}").json_body["dueAt"])

    def inbox(query: str) -> list[tuple[str, str | None]]:
        page = admin.get(f"/api/v1/backoffice/cases?assignee=any&{query}")
        assert page.status_code == 200, page.body
        return [(row["id"], row["slaStatus"]) for row in page.json_body["data"]]

    assert inbox("sort=dueAt&order=asc") == [(case_id, "breached"), (other, "on_track")]
    assert inbox("sort=dueAt&order=asc&sla=breached") == [(case_id, "breached")]
    assert inbox("sort=dueAt&order=desc&sla=breached") == [(case_id, "breached")]


def test_sla_settings_need_the_permission_and_valid_values(api: Api) -> None:
    alice = api.as_tenant(login(api, "alice@demo.test")["idToken"])
    assert alice.put(SLA, {"workflows": {}}).status_code == 403
    assert alice.get(SLA).status_code == 403
    admin = api.as_tenant(login(api, "admin@demo.test")["idToken"])
    bad = admin.put(
        SLA,
        {
            "workflows": {"kyc-manual-review": {"approved": 5, "manual_review": -1}, "nope": {}},
            "escalateTo": "nobody",
        },
    )
    assert bad.status_code == 400
    paths = {d["path"] for d in bad.json_body["error"]["details"]}
    assert paths == {
        "workflows.kyc-manual-review.approved",
        "workflows.kyc-manual-review.manual_review",
        "workflows.nope",
        "escalateTo",
    }
    calendar = {"timeZone": "Europe/Nowhere", "opens": "18:00", "holidays": ["2026-13-01"]}
    bad_hours = admin.put(SLA, {"businessHours": calendar})
    assert bad_hours.status_code == 400, bad_hours.body
    assert {d["path"] for d in bad_hours.json_body["error"]["details"]} == {
        "businessHours.timeZone",
        "businessHours.holidays[0]",
    }
    assert admin.get(SLA).json_body["workflows"] == {}
    berlin = {"timeZone": "Europe/Berlin", "holidays": ["2026-12-25"]}
    good = admin.put(SLA, {"businessHours": berlin})
    assert good.status_code == 200, good.body
    assert admin.get(SLA).json_body["businessHours"] == berlin | {
        "days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "17:00",
    }  # fmt: skip
