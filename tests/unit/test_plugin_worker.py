"""The plugin worker without AWS: a step's attempts answer its task token (failures are not
recorded), a redelivered message records nothing twice, a Catch notice records the failure;
and the registry and http providers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chalicelib.cases.store import InMemoryCaseStore
from chalicelib.plugins.http_vendor import HttpProvider
from chalicelib.plugins.providers import ProviderAnswer, ProviderError, ProviderInputError
from chalicelib.plugins.registry import RegistryProvider, SampleRegistry
from chalicelib.plugins.results import PLUGIN_FAILED_FLAG
from chalicelib.plugins.worker import handle_message
from chalicelib.workflows import registry
from chalicelib.workflows.definition import PluginSpec, WorkflowDefinition
from tests.unit.test_decisions import make_case


class Tasks:
    def __init__(self) -> None:
        self.answers: list[tuple[str, str]] = []

    def plugin_succeeded(self, task_token: str) -> None:
        self.answers.append(("success", task_token))

    def plugin_failed(self, task_token: str, error: str, cause: str) -> None:
        self.answers.append((error, task_token))


class Flaky:
    """Fails `failures` times, then answers."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        self.calls += 1
        if self.calls <= self.failures:
            raise ProviderError("the vendor answered 503")
        return ProviderAnswer(data={"risk": "low", "name": payload["name"]}, version="v7")


@pytest.fixture
def chart(monkeypatch: pytest.MonkeyPatch) -> WorkflowDefinition:
    data = registry.get_definition("risk-score-improvement-dev", 1).model_dump(by_alias=True)
    data["plugins"] = [
        {"name": "vendor", "provider": "http", "request": {"url": "https://v.test/x"},
         "input": {"name": "entity.name"}, "output": {"risk": "risk"}, "onError": "flag"},
    ]  # fmt: skip
    chart = WorkflowDefinition.from_json(data)
    monkeypatch.setattr("chalicelib.plugins.worker.get_definition", lambda *_, **__: chart)
    return chart


def message(case_id: str, kind: str = "run", **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "tenantId": "demo", "caseId": case_id, "plugin": "vendor", **extra}


class Unusable:
    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        raise ProviderInputError("no registration number")


def test_an_unusable_input_fails_the_step_as_an_input_error_which_is_not_retried(
    chart: WorkflowDefinition,
) -> None:
    store, tasks = InMemoryCaseStore(), Tasks()
    case = make_case(store)
    handle_message(
        message(case.case_id, taskToken="t-1"),
        store=store,
        providers={"http": Unusable()},
        tasks=tasks,
    )
    # The step's Retry skips PluginInputError (see the compiler's test): the Catch records it.
    assert tasks.answers == [("PluginInputError", "t-1")]
    assert store.get_case("demo", case.case_id).vendor_results == {}


def test_failed_attempts_answer_the_token_and_the_answer_is_recorded_once(
    chart: WorkflowDefinition,
) -> None:
    store, tasks, vendor = InMemoryCaseStore(), Tasks(), Flaky(failures=2)
    case = make_case(store)
    body = message(case.case_id, taskToken="t-1")  # moto's retries reuse the token
    for _ in range(3):
        handle_message(body, store=store, providers={"http": vendor}, tasks=tasks)
    assert tasks.answers == [("PluginAttemptFailed", "t-1")] * 2 + [("success", "t-1")]
    result = store.get_case("demo", case.case_id).vendor_results["vendor"]
    assert (result.status, result.version, result.data, result.provider_version) == (
        "succeeded", 1, {"risk": "low"}, "v7"
    )  # fmt: skip
    handle_message(body, store=store, providers={"http": vendor}, tasks=tasks)  # redelivered
    assert vendor.calls == 3 and tasks.answers[-1] == ("success", "t-1")
    assert store.get_case("demo", case.case_id).vendor_results["vendor"].version == 1


def test_a_catch_notice_records_the_failure_once_and_flags(chart: WorkflowDefinition) -> None:
    store, tasks = InMemoryCaseStore(), Tasks()
    case = make_case(store)
    error = {"Error": "PluginAttemptFailed", "Cause": "the vendor answered 503"}
    body = message(case.case_id, "failed", error=error, taskToken="t-2")
    for _ in range(2):
        handle_message(body, store=store, providers={}, tasks=tasks)
    stored = store.get_case("demo", case.case_id)
    result = stored.vendor_results["vendor"]
    assert (result.status, result.version) == ("failed", 1)
    assert result.error == "PluginAttemptFailed: the vendor answered 503"
    assert PLUGIN_FAILED_FLAG in stored.flags
    assert tasks.answers == [("success", "t-2")] * 2


def test_a_rerun_records_the_reviewer_and_a_failure_does_not_flag(
    chart: WorkflowDefinition,
) -> None:
    store, tasks = InMemoryCaseStore(), Tasks()
    case = make_case(store)
    actor = {"type": "reviewer", "id": "u-1", "name": "Ann"}
    body = message(case.case_id, "rerun", actor=actor)
    handle_message(body, store=store, providers={"http": Flaky(failures=1)}, tasks=tasks)
    stored = store.get_case("demo", case.case_id)
    assert stored.vendor_results["vendor"].status == "failed" and not stored.flags
    audit = store.list_audit("demo", case.case_id)[-1]
    assert (audit.action, audit.actor.id, audit.details["trigger"]) == (
        "workflow.context.changed", "u-1", "rerun"
    )  # fmt: skip
    assert tasks.answers == []


def test_the_registry_compares_declared_data_field_by_field() -> None:
    provider = RegistryProvider(SampleRegistry())
    spec = PluginSpec.model_validate({"name": "registry", "provider": "registry"})
    answer = provider.run(
        {
            "registrationNumber": "hrb123456",
            "country": "DE",
            "name": "Northwind Trading GmbH",
            "address": "Elsewhere 9, Berlin",
            "directors": ["Maria Schmidt"],
        },
        spec,
        tenant_id="demo",
    )
    rows = {row["field"]: row["match"] for row in answer.data["comparison"]}
    assert rows == {
        "registrationNumber": True,
        "name": True,
        "country": True,
        "address": False,
        "directors": False,  # the registry also lists Jonas Weber
        "status": True,
    }
    assert answer.data["mismatches"] == 2 and answer.version
    missing = provider.run({"registrationNumber": "HRB 1"}, spec, tenant_id="demo")
    assert missing.data["found"] is False
    with pytest.raises(ProviderInputError):
        provider.run({}, spec, tenant_id="demo")


def http_spec(url: str, **headers: str) -> PluginSpec:
    return PluginSpec.model_validate(
        {
            "name": "vendor",
            "provider": "http",
            "request": {"method": "POST", "url": url, "headers": headers},
            "timeoutSeconds": 5,
        }
    )


def public(host: str, *_: Any, **__: Any) -> list[tuple[Any, ...]]:
    return [(2, 1, 6, "", ("93.184.215.14", 443))]


def test_the_http_provider_fills_templates_with_input_and_tenant_secrets() -> None:
    seen: list[httpx.Request] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"score": 3}, headers={"x-api-version": "2"})

    provider = HttpProvider(
        lambda tenant: {"token": f"secret-of-{tenant}"},
        resolve=public,
        transport=httpx.MockTransport(vendor),
    )
    spec = http_spec(
        "https://vendor.test/check/{id}?q={name}", Authorization="Bearer {secret:token}"
    )
    answer = provider.run({"id": "a/b", "name": "Jane Doe"}, spec, tenant_id="demo")
    assert answer.data == {"score": 3} and answer.version == "2"
    (request,) = seen
    assert request.headers["Host"] == "vendor.test"
    assert request.url.raw_path == b"/check/a%2Fb?q=Jane%20Doe"
    assert request.headers["Authorization"] == "Bearer secret-of-demo"
    assert json.loads(request.content) == {"id": "a/b", "name": "Jane Doe"}


@pytest.mark.parametrize(
    ("url", "status", "error"),
    [
        ("https://10.0.0.5/x", 200, ProviderInputError),  # the SSRF guard
        ("http://vendor.test/x", 200, ProviderInputError),  # https only
        ("https://vendor.test/x", 503, ProviderError),
        ("https://vendor.test/x", 404, ProviderInputError),
    ],
)
def test_the_http_provider_refuses_private_addresses_and_fails_on_bad_answers(
    url: str, status: int, error: type[Exception]
) -> None:
    provider = HttpProvider(
        lambda tenant: {},
        resolve=lambda host, *_a, **_k: (
            [(2, 1, 6, "", (host, 443))] if host[0].isdigit() else public(host)
        ),
        transport=httpx.MockTransport(lambda request: httpx.Response(status, json={})),
    )
    with pytest.raises(error):
        provider.run({}, http_spec(url), tenant_id="demo")


def test_a_secret_never_goes_in_the_url() -> None:
    provider = HttpProvider(lambda tenant: {"k": "v"}, resolve=public)
    with pytest.raises(ProviderInputError, match="never in the URL"):
        provider.run({}, http_spec("https://vendor.test/{secret:k}"), tenant_id="demo")


def context_updated(case_id: str, event_id: str, **data: Any) -> dict[str, Any]:
    """The bus's `case.context_updated` event as the plugin rule delivers it."""
    detail = {
        "eventId": event_id,
        "type": "case.context_updated",
        "tenantId": "demo",
        "caseId": case_id,
        "occurredAt": "2026-01-01T00:00:00.000Z",
        "actor": {"type": "integrator", "id": "demo"},
        "data": data,
    }
    return {"detail-type": "case.context_updated", "detail": detail}


def test_a_run_that_changes_a_plugins_input_runs_it_again_once(
    chart: WorkflowDefinition,
) -> None:
    store, tasks, vendor = InMemoryCaseStore(), Tasks(), Flaky(failures=0)
    case = make_case(store)
    providers = {"http": vendor}
    handle_message(
        message(case.case_id, taskToken="t-1"), store=store, providers=providers, tasks=tasks
    )
    # A run that changed nothing the plugin reads (its input digest is the same): nothing runs.
    handle_message(
        context_updated(case.case_id, "evt_1"), store=store, providers=providers, tasks=tasks
    )
    assert vendor.calls == 1

    current = store.get_case("demo", case.case_id)
    renamed = current.model_copy(deep=True)
    renamed.entity_name = "McClure Holdings"
    store.update_case(renamed, expected_version=current.version, audit=[])
    changed = context_updated(case.case_id, "evt_2")
    handle_message(changed, store=store, providers=providers, tasks=tasks)
    handle_message(changed, store=store, providers=providers, tasks=tasks)  # redelivered
    result = store.get_case("demo", case.case_id).vendor_results["vendor"]
    assert (vendor.calls, result.version, result.trigger, result.data) == (
        2, 2, "change", {"risk": "low"}
    )  # fmt: skip

    # A resubmission runs it again though nothing changed; a completed case is left alone.
    handle_message(
        context_updated(case.case_id, "evt_3", resubmission=True),
        store=store, providers=providers, tasks=tasks,
    )  # fmt: skip
    result = store.get_case("demo", case.case_id).vendor_results["vendor"]
    assert (vendor.calls, result.version, result.trigger) == (3, 3, "resubmission")
    assert tasks.answers == [("success", "t-1")]


class Acknowledging:
    """An asynchronous vendor: acknowledges, keeps the payload it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        self.sent.append(payload)
        return ProviderAnswer(data={})


def test_an_asynchronous_vendors_step_waits_for_its_callback_which_records_once(
    chart: WorkflowDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.plugins.callbacks import InMemoryCallbackStore, complete_callback

    data = chart.model_dump(by_alias=True)
    data["plugins"][0]["callback"] = {"secret": "callbackSecret"}
    async_chart = WorkflowDefinition.from_json(data)
    monkeypatch.setattr("chalicelib.plugins.worker.get_definition", lambda *_, **__: async_chart)
    monkeypatch.setattr("chalicelib.plugins.callbacks.get_definition", lambda *_, **__: async_chart)
    store, tasks, vendor, callbacks = (
        InMemoryCaseStore(),
        Tasks(),
        Acknowledging(),
        InMemoryCallbackStore(),
    )
    case = make_case(store)
    body = message(case.case_id, taskToken="t-1")
    for _ in range(2):  # redelivered: one request
        handle_message(
            body, store=store, providers={"http": vendor}, tasks=tasks,
            callbacks=callbacks, api_base_url="https://app.example",
        )  # fmt: skip
    assert [p["callbackUrl"] for p in vendor.sent] == [
        f"https://app.example/api/v1/external/workflows/{case.case_id}/hook/vendor"
    ]
    assert tasks.answers == [] and store.get_case("demo", case.case_id).vendor_results == {}

    pending = callbacks.get(case.case_id, "vendor")
    assert pending is not None and pending.task_token == "t-1"
    answer = {"risk": "high", "extra": 1}
    first = complete_callback(pending, answer, store=store, callbacks=callbacks, tasks=tasks)
    # A repeated callback (with the pending callback as read before the first completed it).
    again = complete_callback(pending, answer, store=store, callbacks=callbacks, tasks=tasks)
    assert first is not None and again is not None and (first.version, again.version) == (1, 1)
    assert (first.trigger, first.data) == ("callback", {"risk": "high"})
    assert tasks.answers == [("success", "t-1"), ("success", "t-1")]
    assert callbacks.get(case.case_id, "vendor").completed_at is not None


def test_an_ingest_plugin_records_once_per_case_whichever_execution_asks(
    chart: WorkflowDefinition,
) -> None:
    """After a local restart a lost execution's step message can still be queued while the
    reconciler's replacement asks again: the second answers with the first result."""
    store, tasks, vendor = InMemoryCaseStore(), Tasks(), Flaky(failures=0)
    case = make_case(store)
    for token in ("t-lost", "t-replacement"):
        handle_message(
            message(case.case_id, taskToken=token),
            store=store,
            providers={"http": vendor},
            tasks=tasks,
        )
    assert vendor.calls == 1
    assert store.get_case("demo", case.case_id).vendor_results["vendor"].version == 1
    assert tasks.answers == [("success", "t-lost"), ("success", "t-replacement")]


class CallingBackAtOnce:
    """A fast asynchronous vendor: it calls back before it has answered the request."""

    def __init__(self, complete: Any) -> None:
        self.complete = complete
        self.results: list[Any] = []

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        self.results.append(self.complete({"risk": "low"}))
        return ProviderAnswer(data={})


def test_a_vendor_that_calls_back_before_answering_the_request_finds_its_callback(
    chart: WorkflowDefinition, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pending callback is parked before the request goes out (CI caught the callback of
    a fast vendor refused: it was parked only once the request had been answered)."""
    from chalicelib.plugins.callbacks import InMemoryCallbackStore, complete_callback

    data = chart.model_dump(by_alias=True)
    data["plugins"][0]["callback"] = {"secret": "callbackSecret"}
    async_chart = WorkflowDefinition.from_json(data)
    monkeypatch.setattr("chalicelib.plugins.worker.get_definition", lambda *_, **__: async_chart)
    monkeypatch.setattr("chalicelib.plugins.callbacks.get_definition", lambda *_, **__: async_chart)
    store, tasks, callbacks = InMemoryCaseStore(), Tasks(), InMemoryCallbackStore()
    case = make_case(store)

    def call_back(answer: dict[str, Any]) -> Any:
        pending = callbacks.get(case.case_id, "vendor")
        if pending is None:
            return None
        return complete_callback(pending, answer, store=store, callbacks=callbacks, tasks=tasks)

    vendor = CallingBackAtOnce(call_back)
    handle_message(
        message(case.case_id, taskToken="t-1"), store=store, providers={"http": vendor},
        tasks=tasks, callbacks=callbacks, api_base_url="https://app.example",
    )  # fmt: skip
    [result] = vendor.results
    assert result is not None and (result.trigger, result.data) == ("callback", {"risk": "low"})
    assert tasks.answers == [("success", "t-1")]
    # The answered callback stays answered: the request's own answer does not park it again.
    assert callbacks.get(case.case_id, "vendor").completed_at is not None
