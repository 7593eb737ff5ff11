"""Integration fixtures: the whole backend against moto in-process.

`local_aws` creates every resource from `infra/resources.py` exactly as the local stack does;
`pipeline` runs the local pump in-process, so events flow outbox -> EventBridge -> SQS ->
handlers as they do on the local stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from chalice.test import Client
from moto import mock_aws

from chalicelib import caches
from infra.resources import describe_resources
from local.environment import PREFIX, REGION, TENANT_API_KEYS
from local.moto_patches import (
    fresh_task_token_per_retry,
    keep_task_failure_cause,
    remember_valid_state_machine_definitions,
    serialise_dynamodb,
)
from local.provision import LocalProvisioner, provision

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "STAGE": "test",
    "RESOURCE_PREFIX": PREFIX,
    "API_KEY_PEPPER": "test-pepper",
    "CURSOR_SIGNING_KEY": "test-cursor-key",
    "ALLOW_LOOPBACK_FETCH": "true",
    "INVITE_PASSWORD_IN_ANSWER": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "KycBackofficeTest",
}


@pytest.fixture(scope="session")
def moto_jwks_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """In-process moto serves no JWKS over HTTP: verify against its bundled public key set."""
    from moto.utilities.utils import load_resource

    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps(load_resource("cognitoidp/resources/jwks-public.json")))
    return path.as_uri()


@contextmanager
def provisioned_aws(mp: pytest.MonkeyPatch, jwks_url: str) -> Iterator[LocalProvisioner]:
    """moto in-process with every resource of `infra/resources.py`, the demo tenants and
    reviewers, and the app's environment pointing at them."""
    mp.delenv("AWS_ENDPOINT_URL", raising=False)
    mp.delenv("AWS_PROFILE", raising=False)
    for key, value in TEST_ENV.items():
        mp.setenv(key, value)
    mp.setenv("COGNITO_JWKS_URL", jwks_url)
    caches.reset_all()
    serialise_dynamodb()
    fresh_task_token_per_retry()
    keep_task_failure_cause()
    remember_valid_state_machine_definitions()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        provisioner = provision(
            describe_resources(PREFIX, frontend_origins=["http://localhost:3000"]), REGION
        )
        for key, value in provisioner.app_environment().items():
            mp.setenv(key, value)
        from local.seed import seed_reviewers, seed_tenants

        seed_tenants()
        seed_reviewers()
        yield provisioner
    caches.reset_all()


@pytest.fixture
def local_aws(monkeypatch: pytest.MonkeyPatch, moto_jwks_url: str) -> Iterator[LocalProvisioner]:
    with provisioned_aws(monkeypatch, moto_jwks_url) as provisioner:
        yield provisioner


@pytest.fixture(scope="module")
def module_aws(moto_jwks_url: str) -> Iterator[LocalProvisioner]:
    """One provisioned moto shared by a module's tests: for modules whose tests each make what
    they change (fresh cases, users, roles), where provisioning per test would dominate."""
    with pytest.MonkeyPatch.context() as mp, provisioned_aws(mp, moto_jwks_url) as provisioner:
        yield provisioner


@pytest.fixture
def client(local_aws: LocalProvisioner) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="dev") as test_client:
        yield test_client


# How many event pipelines (local pumps) run: with one, executions run their plugin steps;
# without, `ingest` runs a case's ingest plugins itself (see there).
_pipelines_running = 0


@contextmanager
def running_pipeline(aws: LocalProvisioner) -> Iterator[Any]:
    """The event flow (Lambda's queue and stream triggers, `local/pump.py`) while inside."""
    global _pipelines_running
    from app import app
    from local.pump import Pump

    pump = Pump(app, aws.refs, aws.attrs, REGION)
    pump.start()
    _pipelines_running += 1
    try:
        yield pump
    finally:
        _pipelines_running -= 1
        pump.stop()


@pytest.fixture
def pipeline(local_aws: LocalProvisioner) -> Iterator[Any]:
    with running_pipeline(local_aws) as pump:
        yield pump


RUN = "/api/v1/external/workflows/run"
TENANT_OF_KEY = {key: tenant for tenant, key in TENANT_API_KEYS.items()}


def ingest(api: Api, request: dict[str, Any], key: str = "secret") -> str:
    """Run a workflow as an integrator does; the case's id, once its ingest plugins (the bundled
    definitions' screening) have recorded their results, as a reviewer finds the case.

    With the event pipeline running, the execution's plugin steps record them and the document
    fetch settles the remote pages: wait for both (a page settling after a maker's approval
    changes the evidence a checker confirms).
    Without it no execution starts (the pump plays the starter queue's trigger), so the plugins
    run here, through the worker's own `execute` and `record_result`, as the steps would."""
    response = api.as_tenant(key).post(RUN, request)
    assert response.status_code == 201, response.body
    case_id: str = response.json_body["workflowRuntimeId"]
    settle_ingest(TENANT_OF_KEY[key], case_id)
    return case_id


def _execution_report(case_id: str) -> str:
    """Where the case's execution is: for a wait that timed out."""
    import boto3

    sfn = boto3.client("stepfunctions")
    found = []
    for machine in sfn.list_state_machines()["stateMachines"]:
        arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{case_id}"
        try:
            history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        except sfn.exceptions.ExecutionDoesNotExist:
            continue
        found.append(f"{machine['name']}: {[e['type'] for e in history][-6:]}")
    queues = boto3.client("sqs")
    depth = {
        url.rsplit("/", 1)[-1]: queues.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        for url in queues.list_queues().get("QueueUrls", [])
    }
    return f"executions {found or 'none'}; queue depths {depth}"


def settle_ingest(tenant_id: str, case_id: str) -> None:
    from chalicelib.dependencies import case_store, plugin_providers
    from chalicelib.plugins.results import record_result
    from chalicelib.plugins.worker import execute
    from chalicelib.workflows.registry import get_definition
    from tests.conftest import poll

    store = case_store()
    case = store.get_case(tenant_id, case_id)
    assert case is not None
    plugins = get_definition(
        case.workflow_definition_id, case.workflow_definition_version, tenant_id=tenant_id
    ).plugins_on_ingest()
    if _pipelines_running:

        def recorded() -> bool:
            latest = store.get_case(tenant_id, case_id)
            return (
                latest is not None
                and all(p.name in latest.vendor_results for p in plugins)
                and not latest.pending_pages()
            )

        try:
            poll(recorded, timeout=60)
        except AssertionError as slow:
            raise AssertionError(f"{case_id}: {_execution_report(case_id)}") from slow
        return
    for spec in plugins:
        if spec.name not in case.vendor_results:
            run = execute(spec, case, plugin_providers())
            record_result(
                store, tenant_id=tenant_id, case_id=case_id, spec=spec, run=run, trigger="ingest"
            )
            case = store.get_case(tenant_id, case_id) or case


class Api:
    """A small JSON client over chalice.test for readable tests."""

    def __init__(self, client: Client, api_key: str | None = "secret") -> None:
        self._client = client
        self.api_key = api_key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return {**headers, **(extra or {})}

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self._client.http.post(path, headers=self.headers(headers), body=raw)

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Any:
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self._client.http.put(path, headers=self.headers(headers), body=raw)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._client.http.get(path, headers=self.headers(headers))

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Any:
        return self._client.http.delete(path, headers=self.headers(headers))

    def as_tenant(self, api_key: str | None) -> Api:
        return Api(self._client, api_key)


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client)


def observe_domain_events(name: str) -> str:
    """A test rule on the bus that copies every domain event to a new SQS queue; its URL."""
    import boto3

    from chalicelib.config import get_settings
    from chalicelib.models.events import EVENT_SOURCE

    sqs, events = boto3.client("sqs"), boto3.client("events")
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    bus = get_settings().event_bus
    events.put_rule(
        Name=f"observe-{name}",
        EventBusName=bus,
        EventPattern=json.dumps({"source": [EVENT_SOURCE]}),
    )
    events.put_targets(
        Rule=f"observe-{name}", EventBusName=bus, Targets=[{"Id": name, "Arn": queue_arn}]
    )
    return queue_url
