"""One contract, two stores of published workflow definitions: the in-memory fake and DynamoDB
(moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.aws.dynamodb_definitions import DynamoDefinitionStore
from chalicelib.config import get_settings
from chalicelib.errors import VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.case import Actor
from chalicelib.models.definitions import PublishedDefinition
from chalicelib.workflows.published import DefinitionStore, InMemoryDefinitionStore


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[DefinitionStore]:
    if request.param == "memory":
        yield InMemoryDefinitionStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoDefinitionStore(get_settings().cases_table)


def published(definition_id: str, version: int, tenant: str = "demo") -> PublishedDefinition:
    return PublishedDefinition(
        tenant_id=tenant,
        definition_id=definition_id,
        version=version,
        definition={"id": definition_id, "version": version, "name": f"v{version}"},
        author_id="ada",
        author_name="Ada",
        at=utc_now(),
        state_machine_arn=f"arn:aws:states:us-east-1:1:stateMachine:p-wd-{definition_id}-v{version}",
    )


def audit(record: PublishedDefinition) -> AdminAuditRecord:
    return AdminAuditRecord(
        event_id=new_id("evt"),
        tenant_id=record.tenant_id,
        action="workflow_definition.published",
        at=record.at,
        actor=Actor(type="reviewer", id=record.author_id),
        subject_type="workflowDefinition",
        subject_id=record.definition_id,
    )


class TestDefinitionStoreContract:
    def test_versions_follow_each_other_per_tenant_and_id(self, store: DefinitionStore) -> None:
        assert store.latest("demo", "onboarding") is None
        with pytest.raises(VersionConflict):
            store.save(published("onboarding", 2), audit(published("onboarding", 2)))
        for record in (published("onboarding", 1), published("onboarding", 2)):
            store.save(record, audit(record))
        with pytest.raises(VersionConflict):  # a concurrent publisher of version 2
            store.save(published("onboarding", 2), audit(published("onboarding", 2)))
        store.save(published("screening", 1), audit(published("screening", 1)))
        latest = store.latest("demo", "onboarding")
        assert latest is not None and (latest.version, latest.definition["name"]) == (2, "v2")
        first = store.get_version("demo", "onboarding", 1)
        assert first is not None and first.definition["name"] == "v1"
        assert store.get_version("demo", "onboarding", 3) is None
        listed = sorted((p.definition_id, p.version) for p in store.list_latest("demo"))
        assert listed == [("onboarding", 2), ("screening", 1)]
        # Another tenant's are its own: the same id starts at version 1 there.
        assert store.latest("acme", "onboarding") is None and store.list_latest("acme") == []
        store.save(published("onboarding", 1, "acme"), audit(published("onboarding", 1, "acme")))
        assert [p.version for p in store.list_latest("acme")] == [1]
