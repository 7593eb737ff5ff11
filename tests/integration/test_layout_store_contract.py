"""One contract, two layout stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.aws.dynamodb_layouts import DynamoLayoutStore
from chalicelib.config import get_settings
from chalicelib.errors import VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.layouts.store import InMemoryLayoutStore, LayoutStore
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.case import Actor
from chalicelib.models.layouts import CaseLayout, LayoutVersion


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[LayoutStore]:
    if request.param == "memory":
        yield InMemoryLayoutStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoLayoutStore(get_settings().cases_table)


def version(
    number: int, columns: int = 2, tenant: str = "demo", definition_version: int | None = None
) -> LayoutVersion:
    layout = CaseLayout.model_validate({"columns": columns, "blocks": [{"type": "entity"}]})
    return LayoutVersion(
        tenant_id=tenant,
        workflow_definition_id="kyc-manual-review",
        definition_version=definition_version,
        version=number,
        layout=layout,
        author_id="ada",
        author_name="Ada",
        at=utc_now(),
    )


def audit(saved: LayoutVersion) -> AdminAuditRecord:
    return AdminAuditRecord(
        event_id=new_id("evt"),
        tenant_id=saved.tenant_id,
        action="layout.saved",
        at=saved.at,
        actor=Actor(type="reviewer", id=saved.author_id),
        subject_type="layout",
        subject_id=saved.workflow_definition_id,
    )


class TestLayoutStoreContract:
    def test_versions_are_kept_in_order_and_a_stale_save_is_refused(
        self, store: LayoutStore
    ) -> None:
        assert store.current("demo", "kyc-manual-review", None) is None
        for saved in (version(1), version(2, columns=1)):
            store.save(saved, audit(saved))
        with pytest.raises(VersionConflict):
            store.save(version(2), audit(version(2)))
        with pytest.raises(VersionConflict):
            store.save(version(1, tenant="demo"), audit(version(1)))
        current = store.current("demo", "kyc-manual-review", None)
        assert current is not None and (current.version, current.layout.columns) == (2, 1)
        assert [v.version for v in store.history("demo", "kyc-manual-review", None, 10)] == [2, 1]
        assert [v.version for v in store.history("demo", "kyc-manual-review", None, 1)] == [2]
        first = store.get_version("demo", "kyc-manual-review", None, 1)
        assert first is not None and first.layout.columns == 2
        assert store.get_version("demo", "kyc-manual-review", None, 3) is None
        # Another tenant's layouts are its own.
        assert store.current("acme", "kyc-manual-review", None) is None

    def test_a_layout_for_one_definition_version_has_versions_of_its_own(
        self, store: LayoutStore
    ) -> None:
        every = version(1)
        store.save(every, audit(every))
        for saved in (version(1, 1, definition_version=3), version(2, definition_version=3)):
            store.save(saved, audit(saved))
        with pytest.raises(VersionConflict):
            store.save(version(1, definition_version=3), audit(every))
        current = store.current("demo", "kyc-manual-review", 3)
        assert current is not None and (current.version, current.definition_version) == (2, 3)
        assert [v.version for v in store.history("demo", "kyc-manual-review", 3, 10)] == [2, 1]
        assert [v.version for v in store.history("demo", "kyc-manual-review", None, 10)] == [1]
        earlier = store.get_version("demo", "kyc-manual-review", 3, 1)
        assert earlier is not None and earlier.layout.columns == 1
        assert store.current("demo", "kyc-manual-review", 4) is None
        # What a case view chooses from: the current one of every version and of each version.
        currents = store.currents("demo", "kyc-manual-review")
        assert sorted((c.definition_version or 0, c.version) for c in currents) == [(0, 1), (3, 2)]
        assert store.currents("acme", "kyc-manual-review") == []
