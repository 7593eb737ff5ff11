"""One contract, two saved-view stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.aws.dynamodb_views import DynamoViewStore
from chalicelib.config import get_settings
from chalicelib.errors import NotFound, VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.admin import AdminAuditRecord
from chalicelib.models.backoffice import InboxFilters
from chalicelib.models.case import Actor
from chalicelib.models.views import SavedView
from chalicelib.views.store import InMemoryViewStore, ViewStore


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[ViewStore]:
    if request.param == "memory":
        yield InMemoryViewStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoViewStore(get_settings().cases_table)


def view(name: str, owner: str = "alice", shared: bool = False, tenant: str = "demo") -> SavedView:
    now = utc_now()
    return SavedView(
        tenant_id=tenant,
        view_id=new_id("view"),
        name=name,
        owner_id=owner,
        owner_name=owner.title(),
        shared=shared,
        filters=InboxFilters(status="all", sort="updatedAt"),
        created_at=now,
        updated_at=now,
    )


def audit(subject: SavedView, action: str = "view.created") -> AdminAuditRecord:
    return AdminAuditRecord(
        event_id=new_id("evt"),
        tenant_id=subject.tenant_id,
        action=action,
        at=utc_now(),
        actor=Actor(type="reviewer", id=subject.owner_id),
        subject_type="view",
        subject_id=subject.view_id,
    )


class TestViewStoreContract:
    def test_each_reviewer_sees_their_own_and_the_shared_views_of_their_tenant(
        self, store: ViewStore
    ) -> None:
        mine, theirs = view("Mine"), view("Theirs", owner="bob")
        shared, elsewhere = view("Team", owner="bob", shared=True), view("Acme", tenant="acme")
        for v in (mine, theirs, shared, elsewhere):
            store.create_view(v, audit(v))
        assert [v.name for v in store.list_views("demo", "alice")] == ["Team", "Mine"]
        assert [v.name for v in store.list_views("demo", "bob")] == ["Team", "Theirs"]
        got = store.get_view("demo", "alice", mine.view_id)
        assert got is not None and got.filters.sort == "updatedAt" and got.version == 1
        assert store.get_view("demo", "alice", theirs.view_id) is None
        assert store.get_view("demo", "alice", shared.view_id) is not None
        assert store.get_view("demo", "alice", elsewhere.view_id) is None

    def test_updates_are_versioned_and_may_move_a_view_to_the_shared_ones(
        self, store: ViewStore
    ) -> None:
        mine = view("Mine")
        store.create_view(mine, audit(mine))
        shared = mine.model_copy(update={"shared": True, "name": "Ours"})
        stored = store.update_view(mine, shared, 1, audit(mine, "view.updated"))
        assert stored.version == 2
        assert [v.name for v in store.list_views("demo", "bob")] == ["Ours"]
        with pytest.raises(VersionConflict):
            store.update_view(stored, stored, 1, audit(mine, "view.updated"))
        with pytest.raises(VersionConflict):
            store.delete_view(stored, 1, audit(mine, "view.deleted"))
        store.delete_view(stored, 2, audit(mine, "view.deleted"))
        assert store.list_views("demo", "alice") == []
        with pytest.raises(NotFound):
            store.delete_view(stored, 2, audit(mine, "view.deleted"))
