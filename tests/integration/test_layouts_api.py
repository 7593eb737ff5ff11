"""Case layouts as data (issue 20, items 1-3): validated with field paths, versioned with
rollback, per tenant, and enforced by the API's case view (hidden fields never sent, masked ones
sent in clear only to holders of `cases.read_unmasked`)."""

from __future__ import annotations

import copy
from typing import Any

from tests.integration.conftest import Api
from tests.integration.test_admin_api import error_of, ok
from tests.integration.test_backoffice_api import Reviewers, as_user, business_run, ingest
from tests.integration.test_definitions_api import OWN_ID, own_definition, publish
from tests.integration.test_ingestion_api import individual_run

__all__ = ["as_user"]  # the fixture, used by name

LAYOUTS = "/api/v1/backoffice/layouts"
CASES = "/api/v1/backoffice/cases"


def test_layouts_are_validated_versioned_rolled_back_and_per_tenant(as_user: Reviewers) -> None:
    admin, alice = as_user("admin@demo.test"), as_user("alice@demo.test")
    bundled = ok(admin.get(f"{LAYOUTS}/kyb-manual-review"))
    assert (bundled["source"], bundled["version"], bundled["history"]) == ("bundled", 0, [])
    # KYB: the company first, then its UBOs.
    assert [b["type"] for b in bundled["layout"]["blocks"]][:2] == ["entity", "ubos"]
    assert ok(admin.get(f"{LAYOUTS}/risk-score-improvement-dev"))["source"] == "generic"
    error_of(admin.get(f"{LAYOUTS}/no-such-definition"), 404)

    # Errors name the field paths: the schema's and the rules beyond it.
    bad = copy.deepcopy(bundled["layout"])
    bad["columns"] = 1
    bad["blocks"][1]["fields"][0]["format"] = "html"
    bad["blocks"][8] = {"type": "entity"}
    bad["blocks"][6]["fields"] = [{"path": "x"}]
    body = {"layout": bad, "expectedVersion": 0}
    paths = {
        d["path"] for d in error_of(admin.put(f"{LAYOUTS}/kyb-manual-review", body), 400)["details"]
    }
    assert paths == {"layout.blocks[1].fields[0].format"}
    bad["blocks"][1]["fields"][0]["format"] = "percentage"
    paths = {
        d["path"] for d in error_of(admin.put(f"{LAYOUTS}/kyb-manual-review", body), 400)["details"]
    }
    assert paths == {
        "layout.blocks[9].column",  # documents in column 2 of a one-column layout
        "layout.blocks[8].type",  # entity twice
        "layout.blocks[6].fields",  # messages have no fields
    }
    assert error_of(alice.put(f"{LAYOUTS}/kyb-manual-review", body), 403)["details"] == {
        "permission": "layouts.manage"
    }

    # Each save a new version; a stale one is a 409; a rollback is a new version too.
    ubos_first = copy.deepcopy(bundled["layout"])
    ubos_first["blocks"].insert(0, ubos_first["blocks"].pop(1))
    v1 = ok(admin.put(f"{LAYOUTS}/kyb-manual-review", {"layout": ubos_first, "expectedVersion": 0}))
    assert (v1["source"], v1["version"], v1["updatedBy"]) == ("tenant", 1, "Ada Admin")
    one_column = {**ubos_first, "columns": 1, "blocks": [{"type": "entity"}]}
    v2 = ok(admin.put(f"{LAYOUTS}/kyb-manual-review", {"layout": one_column, "expectedVersion": 1}))
    assert v2["layout"]["columns"] == 1
    stale = admin.put(f"{LAYOUTS}/kyb-manual-review", {"layout": ubos_first, "expectedVersion": 1})
    assert error_of(stale, 409)["details"] == {"currentVersion": 2}
    back = ok(admin.put(f"{LAYOUTS}/kyb-manual-review", {"rollbackTo": 1, "expectedVersion": 2}))
    assert back["version"] == 3 and back["layout"] == v1["layout"]
    assert [(h["version"], h["rolledBackFrom"]) for h in back["history"]] == [
        (3, 1),
        (2, None),
        (1, None),
    ]
    error_of(
        admin.put(f"{LAYOUTS}/kyb-manual-review", {"rollbackTo": 9, "expectedVersion": 3}), 400
    )
    trail = ok(admin.get("/api/v1/backoffice/admin-audit"))["data"]
    assert [e["action"] for e in trail if e["subjectType"] == "layout"] == [
        "layout.rolled_back",
        "layout.saved",
        "layout.saved",
    ]

    # Another tenant keeps the bundled layout, and reads its own.
    acme = ok(as_user("admin@acme.test").get(f"{LAYOUTS}/kyb-manual-review"))
    assert (acme["source"], acme["history"]) == ("bundled", [])
    assert ok(alice.get(f"{LAYOUTS}/kyb-manual-review"))["version"] == 3


def test_the_case_view_leaves_hidden_fields_out_and_masks_masked_ones(
    api: Api, as_user: Reviewers
) -> None:
    admin = as_user("admin@demo.test")
    run = individual_run("layout-person")
    run["context"]["entity"]["data"].update(
        {"passportNumber": "C01X00T47DE", "nationalId": "12", "internalScore": 71}
    )
    run["context"]["customData"] = {"segment": "vip", "crmId": "crm-991122"}
    case_id = ingest(api, run)
    layout: dict[str, Any] = ok(admin.get(f"{LAYOUTS}/kyc-manual-review"))["layout"]
    layout["blocks"][0]["fields"].append({"path": "internalScore", "hidden": True})
    custom = next(b for b in layout["blocks"] if b["type"] == "customData")
    custom["fields"] = [{"path": "crmId", "format": "masked"}]
    layout["requiredDocuments"] = [{"type": "utility_bill", "category": "proof_of_address"}]
    ok(admin.put(f"{LAYOUTS}/kyc-manual-review", {"layout": layout, "expectedVersion": 0}))

    viewer = ok(as_user("viewer@demo.test").get(f"{CASES}/{case_id}"))  # no cases.read_unmasked
    data = viewer["entity"]["data"]
    assert "internalScore" not in data and data["firstName"] == "Jane"
    assert data["passportNumber"] == "•••47DE"  # the long value keeps its last four
    assert data["nationalId"] == "•••"
    assert viewer["customData"] == {"segment": "vip", "crmId": "•••1122"}
    assert "C01X00T47DE" not in str(viewer) and "crm-991122" not in str(viewer)
    assert viewer["missingDocuments"] == [
        {"type": "utility_bill", "category": "proof_of_address", "label": None}
    ]
    assert [b["type"] for b in viewer["layout"]["blocks"]][:2] == ["entity", "documents"]

    reviewer = ok(as_user("alice@demo.test").get(f"{CASES}/{case_id}"))  # holds the permission
    assert reviewer["entity"]["data"]["passportNumber"] == "C01X00T47DE"
    assert "internalScore" not in reviewer["entity"]["data"]
    assert reviewer["customData"]["crmId"] == "crm-991122"
    business = ok(admin.get(f"{CASES}/{ingest(api, business_run('layout-kyb', 'Layout AG'))}"))
    assert business["layout"]["blocks"][1]["type"] == "ubos" and business["ubos"]


def test_layouts_per_definition_version_and_masked_document_properties(
    api: Api, as_user: Reviewers
) -> None:
    """A published definition starts with its entity type's bundled layout; a layout for one
    version wins over the layout for every version; a save shows on the next case view at once
    (the per-container cache forgets it); a masked document property or name field reaches
    a reader without `cases.read_unmasked` masked only."""
    admin, alice, viewer = (as_user(f"{u}@demo.test") for u in ("admin", "alice", "viewer"))
    own = f"{LAYOUTS}/{OWN_ID}"

    def case_on_version(entity_id: str) -> str:
        run = individual_run(entity_id, workflowId=OWN_ID)
        run["context"]["documents"][0]["properties"] = {"docNumber": "P1234567890", "side": "f"}
        return ingest(api, run)

    ok(publish(admin, own_definition()), 201)
    first = case_on_version("layout-v1")
    ok(publish(admin, own_definition(version=2)), 201)
    second = case_on_version("layout-v2")
    kyc = ok(admin.get(f"{LAYOUTS}/kyc-manual-review"))["layout"]
    start = ok(admin.get(own))
    assert (start["source"], start["layout"]) == ("bundled", kyc)  # its entity type's
    assert ok(admin.get(f"{CASES}/{first}"))["layout"] == kyc  # read (and cached) here

    # `version`: a positive number, of a version the tenant published.
    for bad in ("0", "two"):
        assert error_of(admin.get(f"{own}?version={bad}"), 400)["details"][0]["path"] == "version"
    error_of(admin.get(f"{own}?version=3"), 404)
    error_of(admin.put(f"{own}?version=3", {"layout": kyc, "expectedVersion": 0}), 404)
    error_of(as_user("admin@acme.test").get(f"{own}?version=1"), 404)

    every = {**kyc, "columns": 1, "blocks": [{"type": "entity"}, {"type": "documents"}]}
    ok(admin.put(own, {"layout": every, "expectedVersion": 0}))
    assert ok(admin.get(f"{CASES}/{first}"))["layout"]["columns"] == 1  # not the cached one
    masking = copy.deepcopy(kyc)
    masking["blocks"][0]["fields"].append({"path": "firstName", "format": "masked"})
    masking["blocks"][0]["fields"].pop(0)
    documents = next(b for b in masking["blocks"] if b["type"] == "documents")
    documents["fields"] = [{"path": "docNumber", "format": "masked"}]
    saved = ok(admin.put(f"{own}?version=2", {"layout": masking, "expectedVersion": 0}))
    assert (saved["source"], saved["version"], saved["definitionVersion"]) == ("tenant", 1, 2)
    assert ok(admin.get(f"{own}?version=1"))["source"] == "tenantAllVersions"
    assert [h["version"] for h in ok(admin.get(own))["history"]] == [1]  # its own versions

    # Version 2's case takes its version's layout, version 1's the layout for every version.
    assert ok(admin.get(f"{CASES}/{first}"))["layout"]["columns"] == 1
    shown = ok(viewer.get(f"{CASES}/{second}"))
    assert shown["layout"]["columns"] == 2
    assert shown["documents"][0]["properties"] == {"docNumber": "•••7890", "side": "f"}
    assert shown["entity"]["name"] == "•••" and shown["entity"]["data"]["firstName"] == "•••"
    assert "P1234567890" not in str(shown) and "Jane" not in str(shown)
    rows = ok(viewer.get(f"{CASES}?workflowDefinitionId={OWN_ID}&status=all&assignee=any"))
    assert {r["id"]: r["entity"]["name"] for r in rows["data"]} == {
        first: "Jane Doe",  # version 1's layout masks no name field
        second: "•••",
    }
    clear = ok(alice.get(f"{CASES}/{second}"))  # holds cases.read_unmasked
    assert clear["documents"][0]["properties"]["docNumber"] == "P1234567890"
    assert clear["entity"]["name"] == "Jane Doe"
    trail = ok(admin.get("/api/v1/backoffice/admin-audit"))["data"]
    assert [e["details"]["definitionVersion"] for e in trail if e["subjectType"] == "layout"] == [
        2,
        None,
    ]


def test_a_reader_without_unmasked_data_finds_a_case_only_through_what_it_sees(
    api: Api, as_user: Reviewers
) -> None:
    """The inbox search and a saved view's count: a masked value cannot be confirmed by
    guessing it, while what the reader sees in clear still finds the case."""
    admin, alice, viewer = (as_user(f"{u}@demo.test") for u in ("admin", "alice", "viewer"))
    run = individual_run("search-mask-1")
    run["context"]["entity"]["data"] = {
        "firstName": "Mira",
        "lastName": "Quell",
        "email": "mira.quell@example.com",
    }
    case_id = ingest(api, run)

    def found(reader: Api, q: str) -> list[str]:
        rows = ok(reader.get(f"{CASES}?q={q}&status=all&assignee=any"))["data"]
        return [r["id"] for r in rows]

    for q in ("mira.quell@", "quell", "mira"):  # nothing masked yet: everyone finds it
        assert found(viewer, q) == [case_id]
    kyc = ok(admin.get(f"{LAYOUTS}/kyc-manual-review"))
    masking = copy.deepcopy(kyc["layout"])
    for field in masking["blocks"][0]["fields"]:
        if field["path"] in ("email", "lastName"):
            field["format"] = "masked"
    body = {"layout": masking, "expectedVersion": kyc["version"]}
    ok(admin.put(f"{LAYOUTS}/kyc-manual-review", body))

    # The email and the last name are masked, and so the name: none of them finds the case...
    for q in ("mira.quell@", "quell", "mira quell"):
        assert found(viewer, q) == [], q
        assert found(alice, q) == [case_id], q  # alice holds cases.read_unmasked
    # ...while the first name and the entity id, shown in clear, still do.
    assert found(viewer, "mira") == [case_id]
    assert found(viewer, "search-mask-1") == [case_id]
    # A saved view counts what its reader would see.
    guess = {"name": "Guess", "filters": {"q": "quell", "status": "all", "assignee": "any"}}
    assert ok(viewer.post("/api/v1/backoffice/views", guess), 201)["count"]["value"] == 0
    assert ok(alice.post("/api/v1/backoffice/views", guess), 201)["count"]["value"] == 1
