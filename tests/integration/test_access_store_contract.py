"""One contract, two access stores: the in-memory fake and DynamoDB (moto) behave the same."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib.auth.access import AccessStore, InMemoryAccessStore, RoleInUse
from chalicelib.aws.dynamodb_access import DynamoAccessStore
from chalicelib.config import get_settings
from chalicelib.errors import Conflict, InvalidRequest, NotFound, VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.admin import AdminAuditRecord, CustomRole
from chalicelib.models.case import Actor
from chalicelib.models.reviewers import Reviewer

TENANT = "t-contract"


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[AccessStore]:
    if request.param == "memory":
        yield InMemoryAccessStore()
    else:
        request.getfixturevalue("local_aws")
        yield DynamoAccessStore(get_settings().cases_table)


def role(role_id: str = "auditor", permissions: tuple[str, ...] = ("cases.read",)) -> CustomRole:
    now = utc_now()
    return CustomRole(
        tenant_id=TENANT,
        role_id=role_id,
        name=role_id.title(),
        permissions=list(permissions),
        created_at=now,
        updated_at=now,
    )


def user(user_id: str = "u-1", roles: tuple[str, ...] = ("auditor",)) -> Reviewer:
    return Reviewer(
        id=user_id, email=f"{user_id}@t.test", name=user_id, roles=list(roles), tenant_id=TENANT
    )


def audit(action: str, subject: str = "x") -> AdminAuditRecord:
    return AdminAuditRecord(
        event_id=new_id("evt"),
        tenant_id=TENANT,
        action=action,
        at=utc_now(),
        actor=Actor(type="reviewer", id="admin"),
        subject_type="role",
        subject_id=subject,
    )


class TestAccessStoreContract:
    def test_roles_are_created_read_by_key_and_listed(self, store: AccessStore) -> None:
        store.create_role(role("auditor"), audit("role.created"))
        store.create_role(role("clerk", ("cases.read", "notes.write")), audit("role.created"))
        found = store.get_custom_roles(TENANT, ["clerk", "missing", "auditor"])
        assert sorted(found) == ["auditor", "clerk"]
        assert found["clerk"].permissions == ["cases.read", "notes.write"]
        assert found["clerk"].version == 1 and found["clerk"].holders == 0
        assert store.get_custom_roles(TENANT, ["auditor"])["auditor"].name == "Auditor"
        assert store.get_custom_roles("another", ["auditor"]) == {}
        assert [r.role_id for r in store.list_custom_roles(TENANT)] == ["auditor", "clerk"]
        with pytest.raises(Conflict):
            store.create_role(role("auditor"), audit("role.created"))

    def test_a_role_update_needs_the_current_version(self, store: AccessStore) -> None:
        store.create_role(role(), audit("role.created"))
        changed = role(permissions=("cases.read", "notes.write"))
        updated = store.update_role(changed, 1, audit("role.updated"))
        assert updated.version == 2 and updated.permissions == ["cases.read", "notes.write"]
        with pytest.raises(VersionConflict):
            store.update_role(changed, 1, audit("role.updated"))
        with pytest.raises(NotFound):
            store.update_role(role("ghost"), 1, audit("role.updated"))

    def test_a_held_role_is_not_deleted_until_no_one_holds_it(self, store: AccessStore) -> None:
        store.create_role(role(), audit("role.created"))
        store.create_reviewer(user("u-1"), audit("user.invited"))
        assert store.get_custom_roles(TENANT, ["auditor"])["auditor"].holders == 1
        with pytest.raises(RoleInUse):
            store.delete_role(TENANT, "auditor", 1, audit("role.deleted"))
        current = store.get_reviewer(TENANT, "u-1")
        assert current is not None and current.version == 1
        store.update_reviewer(
            current.model_copy(update={"roles": ["viewer"]}), 1, [audit("user.roles_changed")]
        )
        assert store.get_custom_roles(TENANT, ["auditor"])["auditor"].holders == 0
        with pytest.raises(VersionConflict):
            store.delete_role(TENANT, "auditor", 7, audit("role.deleted"))
        store.delete_role(TENANT, "auditor", 1, audit("role.deleted"))
        assert store.get_custom_roles(TENANT, ["auditor"]) == {}

    def test_a_user_is_given_only_roles_that_exist(self, store: AccessStore) -> None:
        with pytest.raises(InvalidRequest):
            store.create_reviewer(user("u-1", ("ghost",)), audit("user.invited"))
        assert store.get_reviewer(TENANT, "u-1") is None
        store.create_reviewer(user("u-1", ("viewer",)), audit("user.invited"))
        with pytest.raises(Conflict):
            store.create_reviewer(user("u-1", ("viewer",)), audit("user.invited"))
        current = store.get_reviewer(TENANT, "u-1")
        assert current is not None
        with pytest.raises(InvalidRequest):
            store.update_reviewer(current.model_copy(update={"roles": ["ghost"]}), 1, [])
        assert store.get_reviewer(TENANT, "u-1") == current

    def test_a_user_update_needs_the_current_version(self, store: AccessStore) -> None:
        store.create_reviewer(user("u-1", ("viewer",)), audit("user.invited"))
        current = store.get_reviewer(TENANT, "u-1")
        assert current is not None
        off = store.update_reviewer(
            current.model_copy(update={"active": False}), 1, [audit("user.deactivated")]
        )
        assert off.version == 2
        stored = store.get_reviewer(TENANT, "u-1")
        assert stored is not None and stored.active is False and stored.version == 2
        with pytest.raises(VersionConflict):
            store.update_reviewer(current, 1, [audit("user.activated")])

    def test_the_admin_trail_pages_newest_first(self, store: AccessStore) -> None:
        for i in range(5):
            store.create_role(role(f"r{i}"), audit("role.created", f"r{i}"))
        first = store.admin_audit_page(TENANT, limit=3, start_key=None)
        assert [r.subject_id for r in first.records] == ["r4", "r3", "r2"]
        assert first.last_key is not None
        rest = store.admin_audit_page(TENANT, limit=3, start_key=first.last_key)
        assert [r.subject_id for r in rest.records] == ["r1", "r0"]
        assert store.admin_audit_page("another", limit=3, start_key=None).records == []
