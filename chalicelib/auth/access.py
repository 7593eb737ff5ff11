"""The tenant's access store: its users (the reviewer directory), its custom roles and its admin
trail. Role and user changes are committed with their admin-trail record in one write, and a
custom role counts its holders in the same write that gives or takes it, so a role still held
is never deleted and a role being deleted is never given."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.auth.directory import InMemoryReviewerDirectory, ReviewerDirectory
from chalicelib.auth.permissions import BUILTIN_ROLES, with_permissions
from chalicelib.errors import Conflict, InvalidRequest, NotFound, VersionConflict
from chalicelib.models.admin import AdminAuditRecord, CustomRole
from chalicelib.models.reviewers import Reviewer


class RoleInUse(Conflict):
    code = "role_in_use"


@dataclass(frozen=True)
class AdminAuditPage:
    records: list[AdminAuditRecord]
    last_key: dict[str, Any] | None


def custom_role_ids(roles: Collection[str]) -> list[str]:
    """The roles that are not built in (the ones the store has to resolve)."""
    return sorted({role for role in roles if role not in BUILTIN_ROLES})


def unknown_roles_error(missing: Collection[str]) -> InvalidRequest:
    return InvalidRequest(
        f"no such role: {', '.join(sorted(missing))}",
        details=[
            {"path": "roles", "message": f"unknown role `{role}`"} for role in sorted(missing)
        ],
    )


def role_changes(before: Collection[str], after: Collection[str]) -> tuple[list[str], list[str]]:
    """The custom roles given and taken by changing a user's roles from `before` to `after`."""
    old, new = set(custom_role_ids(before)), set(custom_role_ids(after))
    return sorted(new - old), sorted(old - new)


class AccessStore(ReviewerDirectory, Protocol):
    def get_custom_roles(self, tenant_id: str, role_ids: Collection[str]) -> dict[str, CustomRole]:
        """The custom roles of `role_ids` that exist (keyed reads only)."""
        ...

    def list_custom_roles(self, tenant_id: str) -> list[CustomRole]: ...

    def create_role(self, role: CustomRole, audit: AdminAuditRecord) -> None:
        """Conflict if a role with that id exists."""
        ...

    def update_role(
        self, role: CustomRole, expected_version: int, audit: AdminAuditRecord
    ) -> CustomRole:
        """Replace name, description and permissions; VersionConflict if the role moved on."""
        ...

    def delete_role(
        self, tenant_id: str, role_id: str, expected_version: int, audit: AdminAuditRecord
    ) -> None:
        """RoleInUse while a user holds it; VersionConflict if it moved on."""
        ...

    def create_reviewer(self, reviewer: Reviewer, audit: AdminAuditRecord) -> None:
        """Conflict if the user is listed already; unknown custom roles are a 400."""
        ...

    def update_reviewer(
        self, reviewer: Reviewer, expected_version: int, audits: list[AdminAuditRecord]
    ) -> Reviewer:
        """VersionConflict if the user moved on; unknown custom roles are a 400."""
        ...

    def admin_audit_page(
        self, tenant_id: str, *, limit: int, start_key: dict[str, Any] | None
    ) -> AdminAuditPage:
        """The admin trail, newest first."""
        ...


class InMemoryAccessStore(InMemoryReviewerDirectory):
    def __init__(self) -> None:
        super().__init__()
        self._roles: dict[tuple[str, str], CustomRole] = {}
        self._trail: dict[str, list[AdminAuditRecord]] = {}
        self._write_lock = threading.Lock()

    def get_custom_roles(self, tenant_id: str, role_ids: Collection[str]) -> dict[str, CustomRole]:
        with self._write_lock:
            found = (self._roles.get((tenant_id, role_id)) for role_id in role_ids)
            return {role.role_id: role for role in found if role is not None}

    def list_custom_roles(self, tenant_id: str) -> list[CustomRole]:
        with self._write_lock:
            roles = [r for (t, _), r in self._roles.items() if t == tenant_id]
        return sorted(roles, key=lambda r: r.role_id)

    def _audit(self, *records: AdminAuditRecord) -> None:
        for record in records:
            self._trail.setdefault(record.tenant_id, []).append(record)

    def create_role(self, role: CustomRole, audit: AdminAuditRecord) -> None:
        with self._write_lock:
            if (role.tenant_id, role.role_id) in self._roles:
                raise Conflict(f"a role `{role.role_id}` exists already")
            self._roles[(role.tenant_id, role.role_id)] = role.model_copy(update={"holders": 0})
            self._audit(audit)

    def update_role(
        self, role: CustomRole, expected_version: int, audit: AdminAuditRecord
    ) -> CustomRole:
        with self._write_lock:
            current = self._current_role(role.tenant_id, role.role_id, expected_version)
            updated = role.model_copy(
                update={"version": expected_version + 1, "holders": current.holders}
            )
            self._roles[(role.tenant_id, role.role_id)] = updated
            self._audit(audit)
            return updated

    def delete_role(
        self, tenant_id: str, role_id: str, expected_version: int, audit: AdminAuditRecord
    ) -> None:
        with self._write_lock:
            current = self._current_role(tenant_id, role_id, expected_version)
            if current.holders > 0:
                raise RoleInUse(
                    f"{current.holders} user(s) hold the role; take it from them first",
                    details={"holders": current.holders},
                )
            del self._roles[(tenant_id, role_id)]
            self._audit(audit)

    def _current_role(self, tenant_id: str, role_id: str, expected_version: int) -> CustomRole:
        current = self._roles.get((tenant_id, role_id))
        if current is None:
            raise NotFound("no such role")
        if current.version != expected_version:
            raise VersionConflict(
                "the role was changed by someone else; reload it",
                details={"currentVersion": current.version},
            )
        return current

    def _move_holders(self, tenant_id: str, given: list[str], taken: list[str]) -> None:
        missing = [r for r in given if (tenant_id, r) not in self._roles]
        if missing:
            raise unknown_roles_error(missing)
        for role_id, step in [*((r, 1) for r in given), *((r, -1) for r in taken)]:
            role = self._roles.get((tenant_id, role_id))
            if role is not None:
                self._roles[(tenant_id, role_id)] = role.model_copy(
                    update={"holders": role.holders + step}
                )

    def create_reviewer(self, reviewer: Reviewer, audit: AdminAuditRecord) -> None:
        with self._write_lock:
            if self.get_reviewer(reviewer.tenant_id, reviewer.id) is not None:
                raise Conflict(f"{reviewer.email} is a user of this tenant already")
            self._move_holders(reviewer.tenant_id, custom_role_ids(reviewer.roles), [])
            self.put_reviewer(reviewer.model_copy(update={"version": 1}))
            self._audit(audit)

    def update_reviewer(
        self, reviewer: Reviewer, expected_version: int, audits: list[AdminAuditRecord]
    ) -> Reviewer:
        with self._write_lock:
            current = self.get_reviewer(reviewer.tenant_id, reviewer.id)
            if current is None:
                raise NotFound("no such user")
            if current.version != expected_version:
                raise VersionConflict(
                    "the user was changed by someone else; reload",
                    details={"currentVersion": current.version},
                )
            self._move_holders(reviewer.tenant_id, *role_changes(current.roles, reviewer.roles))
            updated = reviewer.model_copy(update={"version": expected_version + 1})
            self.put_reviewer(updated)
            self._audit(*audits)
            return updated

    def admin_audit_page(
        self, tenant_id: str, *, limit: int, start_key: dict[str, Any] | None
    ) -> AdminAuditPage:
        with self._write_lock:
            trail = sorted(
                self._trail.get(tenant_id, []), key=lambda r: (r.at, r.event_id), reverse=True
            )
        if start_key:
            after = (start_key["at"], start_key["eventId"])
            trail = [r for r in trail if (r.at, r.event_id) < after]
        page = trail[:limit]
        more = len(trail) > limit
        last = {"at": page[-1].at, "eventId": page[-1].event_id} if more and page else None
        return AdminAuditPage(page, last)


def resolve_permissions(store: AccessStore, listed: Reviewer) -> Reviewer:
    """The directory entry with its roles' permissions: custom roles read by key (no read at
    all for a user of built-in roles only)."""
    custom = custom_role_ids(listed.roles)
    roles = store.get_custom_roles(listed.tenant_id, custom) if custom else {}
    return with_permissions(listed, {r.role_id: frozenset(r.permissions) for r in roles.values()})
