"""Tenant administration rules without AWS: the catalogue check, the grant ceiling, temporary
passwords, and custom roles resolved per request."""

from __future__ import annotations

import re

import pytest

from chalicelib.auth.access import InMemoryAccessStore, resolve_permissions, role_changes
from chalicelib.auth.admin import require_within_grant, temporary_password, valid_permissions
from chalicelib.errors import Forbidden, InvalidRequest
from chalicelib.ids import new_id, utc_now
from chalicelib.models.admin import AdminAuditRecord, CustomRole
from chalicelib.models.case import Actor
from chalicelib.models.reviewers import Reviewer


def reviewer(roles: list[str], permissions: list[str] | None = None) -> Reviewer:
    return Reviewer(
        id="u", email="u@t.test", name="U", roles=roles, tenant_id="t",
        permissions=permissions or [],
    )  # fmt: skip


def test_unknown_permissions_are_named_by_their_index() -> None:
    assert valid_permissions(["notes.write", "cases.read", "cases.read"]) == [
        "cases.read",
        "notes.write",
    ]
    with pytest.raises(InvalidRequest) as refused:
        valid_permissions(["cases.read", "cases.fly", "admin"])
    assert [d["path"] for d in refused.value.details] == ["permissions[1]", "permissions[2]"]


def test_the_grant_ceiling_names_what_the_granter_lacks() -> None:
    granter = reviewer(["custom"], ["cases.read", "users.manage"])
    require_within_grant(granter, ["cases.read"])
    require_within_grant(granter, [])
    with pytest.raises(Forbidden) as refused:
        require_within_grant(granter, ["cases.read", "cases.decide", "webhooks.manage"])
    assert refused.value.details == {"permissions": ["cases.decide", "webhooks.manage"]}


def test_temporary_passwords_meet_the_pools_policy() -> None:
    seen = set()
    for _ in range(200):
        password = temporary_password()
        assert len(password) == 16
        for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"):
            assert re.search(pattern, password), password
        seen.add(password)
    assert len(seen) == 200


def test_role_changes_count_only_custom_roles() -> None:
    assert role_changes(["viewer", "a", "b"], ["reviewer", "b", "c"]) == (["c"], ["a"])


def test_custom_roles_are_resolved_and_built_in_ones_cost_no_read() -> None:
    class Counting(InMemoryAccessStore):
        reads = 0

        def get_custom_roles(self, tenant_id: str, role_ids: object) -> dict[str, CustomRole]:
            Counting.reads += 1
            return super().get_custom_roles(tenant_id, role_ids)  # type: ignore[arg-type]

    store = Counting()
    now = utc_now()
    role = CustomRole(
        tenant_id="t", role_id="clerk", name="Clerk", permissions=["notes.write"],
        created_at=now, updated_at=now,
    )  # fmt: skip
    audit = AdminAuditRecord(
        event_id=new_id("evt"), tenant_id="t", action="role.created", at=now,
        actor=Actor(type="reviewer", id="a"), subject_type="role", subject_id="clerk",
    )  # fmt: skip
    store.create_role(role, audit)
    assert resolve_permissions(store, reviewer(["viewer"])).permissions == ["cases.read"]
    assert Counting.reads == 0
    resolved = resolve_permissions(store, reviewer(["viewer", "clerk", "gone"]))
    assert resolved.permissions == ["cases.read", "notes.write"]
    assert Counting.reads == 1
