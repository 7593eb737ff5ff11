"""Workflow definitions published by admins (issue 20, item 5): validated with field paths,
versioned per tenant, each version its own state machine; a new run takes the newest version
while a running case stays on its own; another tenant's definition is unknown everywhere."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from chalicelib.reconciler import default_reconciliation, reconcile
from chalicelib.workflows.registry import DEFINITIONS_DIR
from tests.conftest import poll
from tests.integration.conftest import Api
from tests.integration.test_admin_api import error_of, ok
from tests.integration.test_backoffice_api import Reviewers, as_user, ingest
from tests.integration.test_ingestion_api import RUN, individual_run

__all__ = ["as_user"]  # the fixture, used by name

DEFINITIONS = "/api/v1/backoffice/workflow-definitions"
EXTERNAL_DEFINITIONS = "/api/v1/external/workflow-definitions"
OWN_ID = "demo-onboarding"


def own_definition(version: int = 1, **changes: Any) -> dict[str, Any]:
    """The bundled KYC chart under an id of the tenant's own (without its criteria, so that
    a case without documents may be approved)."""
    data = json.loads((Path(DEFINITIONS_DIR) / "kyc-manual-review.v1.json").read_text())
    base = {"id": OWN_ID, "version": version, "name": "Demo onboarding", "acceptanceCriteria": []}
    return {**data, **base, **changes}


def publish(admin: Api, definition: dict[str, Any]) -> Any:
    return admin.post(DEFINITIONS, {"definition": definition})


def test_publishing_is_validated_versioned_audited_and_per_tenant(
    api: Api, as_user: Reviewers
) -> None:
    admin = as_user("admin@demo.test")
    # Errors name the field paths: the model's, and what only publishing can judge.
    broken = own_definition()
    broken["states"]["manual_review"]["on"]["approve"] = "nowhere"
    broken["sla"] = {"manual_review": {"hours": -1}}
    paths = {d["path"] for d in error_of(publish(admin, broken), 400)["details"]}
    assert paths == {"definition.sla.manual_review.hours"}
    del broken["sla"]
    problem = error_of(publish(admin, broken), 400)["details"]
    assert [d["path"] for d in problem] == ["definition"]
    assert "unknown state `nowhere`" in problem[0]["message"]
    vendor = {
        "name": "vendor",
        "provider": "http",
        "request": {
            "url": "http://169.254.169.254/latest/{id}",
            "headers": {"x-key": "{secret:../acme/key}"},
        },
    }
    refused = own_definition(id="kyc-manual-review", plugins=[vendor])
    paths = {d["path"] for d in error_of(publish(admin, refused), 400)["details"]}
    assert paths == {
        "definition.id",  # a bundled id
        "definition.plugins[0].request.url",  # the metadata address: the SSRF guard refuses it
        "definition.plugins[0].request.headers.x-key",  # a secret reference out of the tenant
    }
    # Only `definitions.manage` publishes (403 before the body is even read).
    denied = publish(as_user("alice@demo.test"), own_definition())
    assert error_of(denied, 403)["details"] == {"permission": "definitions.manage"}

    # Versions follow each other: 1, then 2; any other is a 409 naming the current one.
    assert error_of(publish(admin, own_definition(version=2)), 409)["details"] == {
        "currentVersion": 0
    }
    v1 = ok(publish(admin, own_definition()), 201)
    assert (v1["id"], v1["version"], v1["publishedBy"]) == (OWN_ID, 1, "Ada Admin")
    assert v1["stateMachineName"].startswith(f"{get_settings().resource_prefix}-wd-{OWN_ID}-")
    assert len(v1["stateMachineName"]) <= 80
    assert error_of(publish(admin, own_definition()), 409)["details"] == {"currentVersion": 1}
    v2 = ok(publish(admin, own_definition(version=2, name="Demo onboarding 2")), 201)
    assert v2["stateMachineName"].endswith("-v2")
    trail = ok(admin.get("/api/v1/backoffice/admin-audit"))["data"]
    published = [e for e in trail if e["subjectType"] == "workflowDefinition"]
    assert [(e["action"], e["details"]["version"]) for e in published] == [
        ("workflow_definition.published", 2),
        ("workflow_definition.published", 1),
    ]

    # The tenant's lists hold its own (newest version) next to the bundled ones.
    for listed in (
        ok(as_user("viewer@demo.test").get(DEFINITIONS))["data"],
        ok(api.get(EXTERNAL_DEFINITIONS))["data"],
    ):
        own = next(d for d in listed if d["id"] == OWN_ID)
        assert (own["version"], own["source"], own["name"]) == (2, "tenant", "Demo onboarding 2")
        assert {d["source"] for d in listed if d["id"] != OWN_ID} == {"bundled"}
    # Another tenant neither sees nor runs it, and may publish the same id as its own.
    acme = api.as_tenant("acme-secret")
    assert OWN_ID not in {d["id"] for d in ok(acme.get(EXTERNAL_DEFINITIONS))["data"]}
    run = individual_run("acme-onboarding", workflowId=OWN_ID)
    assert error_of(acme.post(RUN, run), 404)["code"] == "not_found"
    assert OWN_ID not in {d["id"] for d in ok(as_user("admin@acme.test").get(DEFINITIONS))["data"]}
    assert ok(publish(as_user("admin@acme.test"), own_definition()), 201)["version"] == 1


def test_a_new_run_takes_the_newest_version_while_a_running_case_stays_on_its_own(
    api: Api, as_user: Reviewers, pipeline: Any
) -> None:
    admin = as_user("admin@demo.test")
    v1 = ok(publish(admin, own_definition()), 201)
    first = ingest(api, individual_run("published-1", workflowId=OWN_ID))
    poll(lambda: case_store().get_case("demo", first).task_token_state == "manual_review")

    chart = own_definition(version=2)
    states = copy.deepcopy(chart["states"])
    states["manual_review"]["on"]["escalate"] = "second_look"
    states["second_look"] = {"tags": ["manual_review"], "on": {"approve": "approved"}}
    chart.update(states=states, events={**chart["events"], "escalate": {"source": "reviewer"}})
    v2 = ok(publish(admin, chart), 201)
    second = ingest(api, individual_run("published-2", workflowId=OWN_ID))
    poll(lambda: case_store().get_case("demo", second).task_token_state == "manual_review")

    store = case_store()
    assert store.get_case("demo", first).workflow_definition_version == 1
    assert store.get_case("demo", second).workflow_definition_version == 2
    sfn = boto3.client("stepfunctions")
    prefix = get_settings().state_machine_arn_prefix.rsplit(":", 1)[0]
    for case_id, version in ((first, v1), (second, v2)):
        execution = f"{prefix.replace(':stateMachine', ':execution')}:{version['stateMachineName']}"
        status = sfn.describe_execution(executionArn=f"{execution}:{case_id}")["status"]
        assert status == "RUNNING", (case_id, version)

    # The first case goes on on version 1's chart and machine.
    case = ok(admin.get(f"/api/v1/backoffice/cases/{first}"))
    assert (case["workflow"]["version"], case["workflow"]["name"]) == (1, "Demo onboarding")
    decided = admin.post(
        f"/api/v1/backoffice/cases/{first}/decision",
        {"decision": "approve", "expectedVersion": case["version"]},
    )
    assert ok(decided)["state"] == "approved"
    execution = prefix.replace(":stateMachine", ":execution")
    arn = f"{execution}:{v1['stateMachineName']}:{first}"
    poll(lambda: sfn.describe_execution(executionArn=arn)["status"] == "SUCCEEDED")

    # A state machine lost (as the local stack's AWS loses them at a restart) is created again
    # by the reconciler, from the stored version.
    settings = get_settings()
    machine = settings.state_machine_arn(
        v2["stateMachineName"].removeprefix(f"{settings.resource_prefix}-")
    )
    sfn.delete_state_machine(stateMachineArn=machine)
    report = reconcile(default_reconciliation(), only=["state_machines"])
    assert report == {"state_machines": {"created": 1, "present": 1}}
    assert "manual_review" in sfn.describe_state_machine(stateMachineArn=machine)["definition"]


def test_an_admin_reads_a_version_as_json_and_publishes_the_next_from_it(
    api: Api, as_user: Reviewers
) -> None:
    admin = as_user("admin@demo.test")
    ok(publish(admin, own_definition()), 201)
    ok(publish(admin, own_definition(version=2, name="Demo onboarding 2")), 201)

    newest = ok(admin.get(f"{DEFINITIONS}/{OWN_ID}"))
    assert (newest["version"], newest["source"], newest["publishedBy"]) == (
        2,
        "tenant",
        "Ada Admin",
    )
    assert newest["definition"]["name"] == "Demo onboarding 2"
    first = ok(admin.get(f"{DEFINITIONS}/{OWN_ID}?version=1"))
    assert (first["version"], first["definition"]["name"]) == (1, "Demo onboarding")
    # What was read is what is published next, with the next version.
    nxt = {**newest["definition"], "version": 3, "name": "Demo onboarding 3"}
    assert ok(publish(admin, nxt), 201)["version"] == 3

    # A bundled definition reads the same way: a tenant's own may start from it.
    bundled = ok(admin.get(f"{DEFINITIONS}/kyb-manual-review"))
    assert (bundled["source"], bundled["publishedBy"]) == ("bundled", None)
    assert bundled["definition"]["approvalPolicy"]["when"] == "always"
    copied = {**bundled["definition"], "id": "demo-kyb", "version": 1}
    assert ok(publish(admin, copied), 201)["id"] == "demo-kyb"

    # Unknown versions and ids, another tenant's definition: 404; a bad version: 400.
    assert error_of(admin.get(f"{DEFINITIONS}/{OWN_ID}?version=9"), 404)["code"] == "not_found"
    assert error_of(admin.get(f"{DEFINITIONS}/nope"), 404)["code"] == "not_found"
    acme_admin = as_user("admin@acme.test")
    assert error_of(acme_admin.get(f"{DEFINITIONS}/{OWN_ID}"), 404)["code"] == "not_found"
    bad = error_of(admin.get(f"{DEFINITIONS}/{OWN_ID}?version=0"), 400)
    assert [d["path"] for d in bad["details"]] == ["version"]
    # Reading a whole definition (its plugins' configuration) is for `definitions.manage`.
    denied = as_user("alice@demo.test").get(f"{DEFINITIONS}/{OWN_ID}")
    assert error_of(denied, 403)["details"] == {"permission": "definitions.manage"}
