"""Plugins as workflow steps, through the whole local pipeline (moto executing the state
machine, the pump running the plugin worker): a fake vendor that times out, fails twice and
then answers; a vendor that always fails (`onError: flag`); screening against the bundled
lists. One case runs all three."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store
from chalicelib.plugins.results import PLUGIN_FAILED_FLAG
from chalicelib.workflows import registry
from chalicelib.workflows.definition import WorkflowDefinition
from local.child_stack import states_entered
from tests.conftest import poll
from tests.integration.conftest import Api, ingest
from tests.integration.test_backoffice_api import Reviewers
from tests.unit.test_plugins import NO_UNRESOLVED_HITS

RUN = "/api/v1/external/workflows/run"
VERSION = 99


class _Vendor(BaseHTTPRequestHandler):
    """`/check`: the first call outlasts the plugin's 3 s timeout, the next two answer 500, then
    it answers. `/broken`: always 503."""

    calls: list[str] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append(self.path)
        attempt = self.calls.count(self.path)
        if self.path.startswith("/check") and attempt == 1:
            time.sleep(3.5)
        status = 503 if self.path.startswith("/broken") or attempt in (2, 3) else 200
        answer = json.dumps({"result": {"risk": "low", "name": body["name"]}, "ignored": 1})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def as_user(api: Api) -> Reviewers:
    return Reviewers(api)


@pytest.fixture
def vendor() -> Iterator[str]:
    _Vendor.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Vendor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def chart_with_plugins(vendor: str, monkeypatch: pytest.MonkeyPatch) -> WorkflowDefinition:
    """`kyc-manual-review` v99: the bundled chart (its screening criterion too) with three
    plugins on ingest (requested before the stack, so its state machine is provisioned)."""
    data = registry.get_definition("kyc-manual-review", 1).model_dump(by_alias=True)
    http = {"provider": "http", "onError": "flag", "input": {"name": "entity.name"}}
    data.update(
        version=VERSION,
        plugins=[
            {
                "name": "sanctions",
                "provider": "sanctions",
                "input": {
                    "subjects": "[{role: 'entity', kind: 'person', name: entity.name,"
                    " birthDate: entity.data.dateOfBirth, country: entity.data.nationality}]"
                },
            },
            {
                **http,
                "name": "vendor",
                "request": {"url": f"{vendor}/check?name={{name}}"},
                "output": {"risk": "result.risk"},
                # Not shorter: on a loaded machine a 1 s call can time out when it should not.
                "timeoutSeconds": 3,
                "retries": 3,
                "retryIntervalSeconds": 1,
            },
            {**http, "name": "broken", "request": {"url": f"{vendor}/broken"}, "retries": 0},
        ],
    )
    chart = WorkflowDefinition.from_json(data)
    bundled = registry.bundled_definitions()

    def with_chart() -> tuple[WorkflowDefinition, ...]:
        return (*bundled, chart)

    monkeypatch.setattr(registry, "bundled_definitions", with_chart)
    monkeypatch.setattr("infra.resources.bundled_definitions", with_chart)
    return chart


def test_plugin_steps_retry_record_results_and_flag_then_the_case_waits_for_review(
    chart_with_plugins: WorkflowDefinition, api: Api, pipeline: Any, as_user: Reviewers
) -> None:
    run = {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {
                "id": "plugins-1",
                "type": "individual",
                "data": {"firstName": "Vladimir", "lastName": "Putin", "nationality": "RU"},
            },
            "documents": [],
        },
    }
    answer = json.loads(api.post(RUN, run).body)
    assert answer["workflowDefinitionId"] == "kyc-manual-review"
    case_id = answer["workflowRuntimeId"]

    case = poll(
        lambda: (c := case_store().get_case("demo", case_id)) and c.task_token and c, timeout=60
    )
    assert case.task_token_state == "manual_review"
    results = case.vendor_results
    assert set(results) == {"sanctions", "vendor", "broken"}

    vendor = results["vendor"]
    assert (vendor.status, vendor.version, vendor.provider, vendor.error) == (
        "succeeded",
        1,
        "http",
        None,
    )
    assert vendor.data == {"risk": "low"}  # the output mapping's
    assert _Vendor.calls.count("/check?name=Vladimir%20Putin") == 4  # timeout, 503, 503, 200

    broken = results["broken"]
    assert broken.status == "failed"
    # The worker's reason reaches the record through the step's Catch (moto dropped it).
    assert broken.error == "PluginAttemptFailed: the vendor answered 503"
    assert PLUGIN_FAILED_FLAG in case.flags and case.status == "active"

    (hit, *_) = results["sanctions"].hits
    assert hit["entryName"] == "Vladimir Putin" and "country" in hit["matchedFields"]
    assert results["sanctions"].provider_version
    facts = case.facts.rule_data()["vendorResults"]["sanctions"]
    assert facts["unresolvedHits"] >= 1

    actions = [r.action for r in case_store().list_audit("demo", case_id)]
    assert actions.count("workflow.context.changed") == 3
    assert "case.flagged" in actions and "workflow.waiting" in actions

    sfn = boto3.client("stepfunctions")
    arn = get_settings().state_machine_arn(chart_with_plugins.state_machine_name)
    execution_arn = arn.replace(":stateMachine:", ":execution:") + f":{case_id}"
    history = sfn.get_execution_history(executionArn=execution_arn)["events"]
    entered = states_entered(history, plugin_steps=True)
    assert entered == [
        "sanctions__plugin",
        "vendor__plugin",
        "broken__plugin",
        "broken__plugin__failed",
        "manual_review",
    ]

    # The reviewer's side: the case view shows the hits, a judgement needs a reason and meets
    # the criterion, a re-run records a new version and keeps the judgement.
    admin = as_user("admin@demo.test")
    base = f"/api/v1/backoffice/cases/{case_id}"
    view = admin.get(base).json_body
    (sanctions_view,) = [p for p in view["pluginResults"] if p["plugin"] == "sanctions"]
    assert sanctions_view["hits"][0]["entryName"] == "Vladimir Putin"
    criterion = {c["id"]: c["status"] for c in view["acceptanceCriteria"]}
    assert criterion[NO_UNRESOLVED_HITS["id"]] == "unmet"
    hits = [h["id"] for h in sanctions_view["hits"]]
    no_reason = admin.post(
        f"{base}/plugins/sanctions/hits/{hits[0]}/resolution",
        {"status": "dismissed", "reason": "", "expectedVersion": view["version"]},
    )
    assert no_reason.status_code == 400
    version = view["version"]
    for hit in hits:
        answer = admin.post(
            f"{base}/plugins/sanctions/hits/{hit}/resolution",
            {"status": "dismissed", "reason": "another person", "expectedVersion": version},
        )
        assert answer.status_code == 200, answer.body
        version = answer.json_body["version"]
    criterion = {c["id"]: c["status"] for c in answer.json_body["acceptanceCriteria"]}
    assert criterion[NO_UNRESOLVED_HITS["id"]] == "met"
    stale = admin.post(
        f"{base}/plugins/sanctions/hits/{hits[0]}/resolution",
        {"status": "confirmed", "reason": "x", "expectedVersion": 1},
    )
    assert stale.status_code == 409

    assert as_user("viewer@demo.test").post(f"{base}/plugins/sanctions/run", {}).status_code == 403
    other_tenant = as_user("admin@acme.test").post(f"{base}/plugins/sanctions/run", {})
    assert other_tenant.status_code == 404
    assert admin.post(f"{base}/plugins/nope/run", {}).status_code == 404
    rerun = admin.post(f"{base}/plugins/sanctions/run", {})
    assert rerun.status_code == 202 and rerun.json_body["status"] == "queued"
    rerun_result = poll(
        lambda: (
            (r := case_store().get_case("demo", case_id).vendor_results["sanctions"])
            and r.version == 2
            and r
        )
    )
    assert rerun_result.trigger == "rerun" and {h["id"] for h in rerun_result.hits} == set(hits)
    view = admin.get(base).json_body
    criterion = {c["id"]: c["status"] for c in view["acceptanceCriteria"]}
    assert criterion[NO_UNRESOLVED_HITS["id"]] == "met"


def test_the_bundled_kyb_screens_the_ubos_again_when_a_run_changes_them(
    api: Api, pipeline: Any
) -> None:
    """`kyb-manual-review` screens on ingest; a later run that adds a listed UBO is screened
    again (from the bus's `case.context_updated`), and the enforced criterion then blocks."""
    run = {
        "workflowId": "kyb-manual-review",
        "context": {
            "entity": {
                "id": "plugins-kyb-change",
                "type": "business",
                "data": {
                    "companyName": "Northwind Trading GmbH",
                    "registrationNumber": "HRB 123456",
                    "countryOfIncorporation": "DE",
                    "ubos": [{"firstName": "Maria", "lastName": "Schmidt", "nationality": "DE"}],
                },
            },
            "documents": [],
        },
    }
    case_id = ingest(api, run)
    case = case_store().get_case("demo", case_id)
    screening, registry_result = case.vendor_results["sanctions"], case.vendor_results["registry"]
    assert (screening.status, screening.hits, screening.trigger) == ("succeeded", [], "ingest")
    assert registry_result.data["found"] is True
    facts = case.facts.rule_data()["vendorResults"]["sanctions"]
    assert facts["unresolvedHits"] == 0

    run["context"]["entity"]["data"]["ubos"].append(
        {"firstName": "Vladimir", "lastName": "Putin", "nationality": "RU"}
    )
    assert api.post(RUN, run).status_code == 201

    def screened_again() -> Any:
        result = case_store().get_case("demo", case_id).vendor_results["sanctions"]
        return result.version == 2 and result

    again = poll(screened_again, timeout=60)
    assert again.trigger == "change"
    assert {h["subject"]["role"] for h in again.hits} == {"ubo"}
    assert any(h["entryName"] == "Vladimir Putin" for h in again.hits)
    registry_after = case_store().get_case("demo", case_id).vendor_results["registry"]
    assert registry_after.version == 1  # its input (the company) did not change


class AsyncVendor(BaseHTTPRequestHandler):
    """Acknowledges each request (202) and keeps its body: the vendor answers later."""

    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        type(self).requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(202)  # no body: an acknowledgement
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def async_vendor() -> Iterator[str]:
    """A local asynchronous vendor (`AsyncVendor`): its base URL while inside."""
    AsyncVendor.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), AsyncVendor)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def signed_callback_headers(secret: str, body: bytes) -> dict[str, str]:
    from chalicelib.auth.vendor_signatures import sign_callback

    timestamp = str(int(time.time()))
    return {
        "X-Signature-Timestamp": timestamp,
        "X-Signature": sign_callback(secret, timestamp, body),
    }


@pytest.fixture
def async_chart(monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkflowDefinition]:
    """`kyc-manual-review` v98 whose only plugin is an asynchronous vendor (callback)."""
    with async_vendor() as url:
        yield _async_chart(monkeypatch, url)


def _async_chart(monkeypatch: pytest.MonkeyPatch, url: str) -> WorkflowDefinition:
    data = registry.get_definition("kyc-manual-review", 1).model_dump(by_alias=True)
    data.update(
        version=98,
        acceptanceCriteria=[],
        plugins=[
            {
                "name": "kyc_vendor",
                "provider": "http",
                "input": {"name": "entity.name"},
                "request": {"url": f"{url}/checks"},
                "callback": {"secret": "callbackSecret"},
                "output": {"risk": "result.risk"},
                "timeoutSeconds": 120,
                "retries": 0,
            }
        ],
    )
    chart = WorkflowDefinition.from_json(data)
    bundled = registry.bundled_definitions()
    monkeypatch.setattr(registry, "bundled_definitions", lambda: (*bundled, chart))
    monkeypatch.setattr("infra.resources.bundled_definitions", lambda: (*bundled, chart))
    return chart


def test_an_asynchronous_vendor_answers_through_its_signed_callback_once(
    async_chart: WorkflowDefinition, api: Api, pipeline: Any
) -> None:
    boto3.client("secretsmanager").create_secret(
        Name=f"{get_settings().resource_prefix}/vendors/demo",
        SecretString=json.dumps({"callbackSecret": "cb-secret-1"}),
    )
    run = {
        "workflowId": "kyc-manual-review",
        "context": {
            "entity": {"id": "async-1", "type": "individual", "data": {"firstName": "Ann"}},
            "documents": [],
        },
    }
    case_id = json.loads(api.post(RUN, run).body)["workflowRuntimeId"]
    (sent,) = poll(lambda: AsyncVendor.requests, timeout=60)
    assert sent["name"] == "Ann"
    path = f"/api/v1/external/workflows/{case_id}/hook/kyc_vendor"
    assert sent["callbackUrl"].endswith(path)
    # The step waits for the vendor: nothing is recorded yet.
    assert case_store().get_case("demo", case_id).vendor_results == {}

    answer = json.dumps({"result": {"risk": "high"}, "reference": "v-1"}).encode()

    def post(body: bytes, secret: str = "cb-secret-1", to: str = path) -> Any:
        return api.as_tenant(None).post(to, body, headers=signed_callback_headers(secret, body))

    assert post(answer, secret="wrong").status_code == 401
    assert post(answer, to=path.replace(case_id, "case_unknown")).status_code == 401
    assert post(answer, to=path.replace("kyc_vendor", "other")).status_code == 401
    assert post(b"[1, 2]").status_code == 400  # signed, but no JSON object

    first = post(answer)
    assert first.status_code == 200, first.body
    assert first.json_body == {
        "caseId": case_id, "plugin": "kyc_vendor", "status": "recorded", "resultVersion": 1
    }  # fmt: skip
    again = post(answer)
    assert again.status_code == 200 and again.json_body == first.json_body

    case = poll(
        lambda: (c := case_store().get_case("demo", case_id)) and c.task_token and c, timeout=60
    )
    assert case.task_token_state == "manual_review"  # the step went on to review
    result = case.vendor_results["kyc_vendor"]
    assert (result.status, result.trigger, result.version, result.data) == (
        "succeeded", "callback", 1, {"risk": "high"}
    )  # fmt: skip
    actions = [r.action for r in case_store().list_audit("demo", case_id)]
    assert actions.count("workflow.context.changed") == 1
