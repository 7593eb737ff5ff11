"""Published workflow definitions on the in-memory store (issue 20, item 5): the registry
resolves (tenant, id, version), bundled ones for everyone and published ones for their tenant
only, reading each immutable version once; state machine names stay within 80 characters; a
tenant's SLA settings override a published definition's SLAs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import VersionConflict
from chalicelib.models.case import Case
from chalicelib.models.definitions import PublishedDefinition
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.sla import SlaSettings
from chalicelib.sla.settings import InMemorySlaSettingsStore
from chalicelib.sla.timers import sla_rule
from chalicelib.workflows import registry
from chalicelib.workflows.definition import WorkflowDefinition
from chalicelib.workflows.published import InMemoryDefinitionStore, publish_definition
from chalicelib.workflows.registry import (
    DEFINITIONS_DIR,
    UnknownWorkflowDefinition,
    get_definition,
    latest_definitions,
    published_version,
)

ADMIN = Reviewer(id="u-1", tenant_id="demo", email="a@demo.test", name="Ada", roles=["admin"])


class Machines:
    def __init__(self) -> None:
        self.created: dict[str, dict[str, Any]] = {}

    def create_state_machine(self, name: str, definition: dict[str, Any], role_arn: str) -> str:
        if name in self.created:
            raise VersionConflict(name)
        self.created[name] = definition
        return f"arn:aws:states:us-east-1:1:stateMachine:{name}"

    def state_machine_exists(self, state_machine_arn: str) -> bool:
        return state_machine_arn.rsplit(":", 1)[-1] in self.created


class CountingStore(InMemoryDefinitionStore):
    def __init__(self) -> None:
        super().__init__()
        self.version_reads = 0

    def get_version(self, tenant_id: str, definition_id: str, version: int) -> Any:
        self.version_reads += 1
        return super().get_version(tenant_id, definition_id, version)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingStore]:
    fake = CountingStore()
    monkeypatch.setattr(registry, "_published_store", lambda: fake)
    published_version.cache_clear()
    yield fake
    published_version.cache_clear()


def chart(version: int = 1, definition_id: str = "onboarding", **changes: Any) -> Any:
    data = json.loads((DEFINITIONS_DIR / "kyc-manual-review.v1.json").read_text())
    data.update(id=definition_id, version=version, name=f"Onboarding v{version}", **changes)
    return WorkflowDefinition.model_validate(data)


def publish(store: InMemoryDefinitionStore, definition: Any, admin: Reviewer = ADMIN) -> Any:
    return publish_definition(
        store, Machines(), admin, definition, allow_local=False,
        state_machine_prefix="kyc-prod-", role_arn="arn:role", task_queue_url="https://q",
        plugin_queue_url="https://p", request_id=None,
    )  # fmt: skip


def test_the_registry_resolves_published_versions_per_tenant_and_reads_each_once(
    store: CountingStore,
) -> None:
    publish(store, chart(1))
    publish(store, chart(2))
    assert get_definition("onboarding", tenant_id="demo").version == 2  # the newest
    assert get_definition("onboarding", 1, tenant_id="demo").name == "Onboarding v1"
    assert get_definition("onboarding", 1, tenant_id="demo").tenant_id == "demo"
    get_definition("onboarding", 1, tenant_id="demo")
    assert store.version_reads == 1  # an immutable version is read once
    for tenant in ("acme", None):
        with pytest.raises(UnknownWorkflowDefinition):
            get_definition("onboarding", 1, tenant_id=tenant)
    # Bundled definitions are everyone's, and never reach for the store.
    assert get_definition("kyc-manual-review", tenant_id="acme").tenant_id is None
    assert "onboarding" in {d.id for d in latest_definitions("demo")}
    assert "onboarding" not in {d.id for d in latest_definitions("acme")}


def test_state_machine_names_are_bounded_and_differ_per_tenant() -> None:
    long_id = "a" + "-b" * 31  # 63 characters
    data = chart(9999, long_id).model_dump(mode="json", by_alias=True)
    demo = WorkflowDefinition.published("demo", data).state_machine_name
    acme = WorkflowDefinition.published("acme", data).state_machine_name
    assert demo != acme and demo.startswith("wd-a-b") and demo.endswith("-v9999")
    assert len(f"{'p' * 30}-{demo}") <= 80
    assert get_definition("kyc-manual-review").state_machine_name == "kyc-manual-review-v1"


def test_a_tenants_sla_settings_override_the_published_definitions(
    store: CountingStore,
) -> None:
    sla = {"manual_review": {"hours": 8}}
    published: PublishedDefinition = publish(store, chart(1, sla=sla))
    case = Case(
        case_id="case_1", tenant_id="demo", workflow_definition_id="onboarding",
        workflow_definition_version=published.version, state="manual_review",
        created_at="2026-03-02T09:00:00.000Z", updated_at="2026-03-02T09:00:00.000Z",
        entity_type="individual", entity_id="e-1", ballerine_entity_id="ent_1",
        entity_name="Jane", context={},
    )  # fmt: skip
    settings = InMemorySlaSettingsStore()
    assert sla_rule(case, settings) == (8 * 3600, None)  # the definition's
    settings.put("demo", SlaSettings(workflows={"onboarding": {"manual_review": 600.0}}))
    assert sla_rule(case, settings) == (600.0, None)  # the tenant's
