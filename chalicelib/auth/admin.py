"""Tenant administration: custom roles and users, under the grant ceiling (no one hands out a
permission they do not hold), each change committed with its record in the admin trail."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from typing import Any, Protocol

from chalicelib.auth.access import AccessStore, custom_role_ids, resolve_permissions
from chalicelib.auth.permissions import (
    BUILTIN_ROLE_NAMES,
    BUILTIN_ROLES,
    permissions_of,
    with_permissions,
)
from chalicelib.cases.assignment import release_cases_of
from chalicelib.cases.store import CaseStore
from chalicelib.errors import Conflict, Forbidden, InvalidRequest, NotFound, VersionConflict
from chalicelib.ids import new_id, utc_now
from chalicelib.models.admin import (
    AdminAuditEntry,
    AdminAuditList,
    AdminAuditRecord,
    AdminSubject,
    CustomRole,
    InviteRequest,
    InviteResponse,
    PermissionList,
    PermissionView,
    RoleCreateRequest,
    RoleList,
    RoleUpdateRequest,
    RoleView,
    UserUpdateRequest,
)
from chalicelib.models.backoffice import Actor as ActorView
from chalicelib.models.backoffice import UserList
from chalicelib.models.case import Actor
from chalicelib.models.permissions import CASES_DECIDE, PERMISSIONS
from chalicelib.models.reviewers import Reviewer
from chalicelib.pagination import decode_cursor, encode_cursor


class UserAccounts(Protocol):
    """The identity provider's side of a user (Cognito)."""

    def invite_account(
        self, *, email: str, name: str, tenant_id: str, temporary_password: str | None
    ) -> str: ...

    def disable_account(self, username: str) -> None: ...

    def enable_account(self, username: str) -> None: ...


# -- the catalogue and the roles -----------------------------------------------------------------
def permission_catalogue() -> PermissionList:
    return PermissionList(
        data=[PermissionView(id=name, description=text) for name, text in PERMISSIONS.items()]
    )


def _custom_view(role: CustomRole) -> RoleView:
    return RoleView(
        id=role.role_id,
        name=role.name,
        description=role.description,
        permissions=sorted(role.permissions),
        built_in=False,
        version=role.version,
        holders=role.holders,
    )


def list_roles(store: AccessStore, tenant_id: str) -> RoleList:
    built_in = [
        RoleView(
            id=role_id,
            name=BUILTIN_ROLE_NAMES[role_id],
            description="built-in",
            permissions=sorted(permissions),
            built_in=True,
        )
        for role_id, permissions in BUILTIN_ROLES.items()
    ]
    return RoleList(data=built_in + [_custom_view(r) for r in store.list_custom_roles(tenant_id)])


def valid_permissions(permissions: list[str]) -> list[str]:
    """The permissions, each from the catalogue (400 naming each unknown one), deduplicated."""
    unknown = [
        {"path": f"permissions[{i}]", "message": f"unknown permission `{p}`"}
        for i, p in enumerate(permissions)
        if p not in PERMISSIONS
    ]
    if unknown:
        raise InvalidRequest("unknown permissions", details=unknown)
    return sorted(set(permissions))


def require_within_grant(actor: Reviewer, permissions: Iterable[str]) -> None:
    """The grant ceiling: whoever hands out permissions must hold each of them."""
    beyond = sorted(set(permissions) - set(actor.permissions))
    if beyond:
        raise Forbidden(
            "you cannot grant permissions you do not hold: " + ", ".join(beyond),
            details={"permissions": beyond},
        )


def admin_audit_record(
    actor: Reviewer,
    action: str,
    subject_type: AdminSubject,
    subject_id: str,
    *,
    request_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    at: str | None = None,
) -> AdminAuditRecord:
    """An entry of the tenant's admin trail (roles, users, saved views, layouts), written in
    the same transaction as the change it records."""
    return AdminAuditRecord(
        event_id=new_id("evt"),
        tenant_id=actor.tenant_id,
        action=action,
        at=at or utc_now(),
        actor=Actor(type="reviewer", id=actor.id, name=actor.name),
        subject_type=subject_type,
        subject_id=subject_id,
        request_id=request_id,
        before=before,
        after=after,
        details=details or {},
    )


def _role_facts(role: CustomRole) -> dict[str, Any]:
    return {"name": role.name, "description": role.description, "permissions": role.permissions}


def create_role(
    store: AccessStore, actor: Reviewer, body: RoleCreateRequest, *, request_id: str | None
) -> RoleView:
    if body.id in BUILTIN_ROLES:
        raise InvalidRequest(
            "that id is a built-in role's",
            details=[{"path": "id", "message": f"`{body.id}` is a built-in role"}],
        )
    permissions = valid_permissions(body.permissions)
    require_within_grant(actor, permissions)
    now = utc_now()
    role = CustomRole(
        tenant_id=actor.tenant_id,
        role_id=body.id,
        name=body.name,
        description=body.description,
        permissions=permissions,
        created_at=now,
        updated_at=now,
    )
    audit = admin_audit_record(
        actor,
        "role.created",
        "role",
        role.role_id,
        request_id=request_id,
        at=now,
        after=_role_facts(role),
    )
    store.create_role(role, audit)
    return _custom_view(role)


def _custom_role(store: AccessStore, tenant_id: str, role_id: str) -> CustomRole:
    if role_id in BUILTIN_ROLES:
        raise Conflict("built-in roles cannot be changed", details={"role": role_id})
    role = store.get_custom_roles(tenant_id, [role_id]).get(role_id)
    if role is None:
        raise NotFound("no such role")
    return role


def update_role(
    store: AccessStore,
    actor: Reviewer,
    role_id: str,
    body: RoleUpdateRequest,
    *,
    request_id: str | None,
) -> RoleView:
    current = _custom_role(store, actor.tenant_id, role_id)
    permissions = valid_permissions(body.permissions)
    # Keeping what the role had is not granting; adding to it is (its holders gain it).
    require_within_grant(actor, set(permissions) - set(current.permissions))
    now = utc_now()
    changed = current.model_copy(
        update={
            "name": body.name,
            "description": body.description,
            "permissions": permissions,
            "updated_at": now,
        }
    )
    audit = admin_audit_record(
        actor,
        "role.updated",
        "role",
        role_id,
        request_id=request_id,
        at=now,
        before=_role_facts(current),
        after=_role_facts(changed),
    )
    return _custom_view(store.update_role(changed, body.expected_version, audit))


def delete_role(
    store: AccessStore,
    actor: Reviewer,
    role_id: str,
    expected_version: int,
    *,
    request_id: str | None,
) -> None:
    current = _custom_role(store, actor.tenant_id, role_id)
    audit = admin_audit_record(
        actor,
        "role.deleted",
        "role",
        role_id,
        request_id=request_id,
        before=_role_facts(current),
    )
    store.delete_role(actor.tenant_id, role_id, expected_version, audit)


# -- users -------------------------------------------------------------------------------------
def _tenant_role_permissions(store: AccessStore, tenant_id: str) -> dict[str, frozenset[str]]:
    return {r.role_id: frozenset(r.permissions) for r in store.list_custom_roles(tenant_id)}


def list_users(store: AccessStore, tenant_id: str) -> UserList:
    """Everyone of the tenant, active or not, with their roles' permissions."""
    custom = _tenant_role_permissions(store, tenant_id)
    return UserList(data=[with_permissions(u, custom) for u in store.list_reviewers(tenant_id)])


def list_assignees(store: AccessStore, tenant_id: str) -> UserList:
    """Who a case can be assigned to: the active users who may decide."""
    custom = _tenant_role_permissions(store, tenant_id)
    users = (with_permissions(u, custom) for u in store.list_reviewers(tenant_id) if u.active)
    return UserList(data=[u for u in users if CASES_DECIDE in u.permissions])


def _roles_granting(store: AccessStore, actor: Reviewer, roles: list[str]) -> frozenset[str]:
    """The permissions `roles` grant: each role must exist (400 naming it otherwise)."""
    custom_ids = custom_role_ids(roles)
    found = store.get_custom_roles(actor.tenant_id, custom_ids)
    unknown = [
        {"path": f"roles[{i}]", "message": f"unknown role `{role}`"}
        for i, role in enumerate(roles)
        if role not in BUILTIN_ROLES and role not in found
    ]
    if unknown:
        raise InvalidRequest("unknown roles", details=unknown)
    return permissions_of(roles, {r.role_id: frozenset(r.permissions) for r in found.values()})


def temporary_password(length: int = 16) -> str:
    """Meets the pool's policy (12+ characters, lower, upper, digit, symbol)."""
    pools = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%*+-=?@^_")
    chars = [secrets.choice(pool) for pool in pools]
    everything = "".join(pools)
    chars += [secrets.choice(everything) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


def invite_user(
    store: AccessStore,
    accounts: UserAccounts,
    actor: Reviewer,
    body: InviteRequest,
    *,
    reveal_password: bool,
    request_id: str | None,
) -> InviteResponse:
    """Create the Cognito user with a temporary password and list them in the directory. The
    password is answered only where Cognito does not email it (`reveal_password`)."""
    roles = sorted(set(body.roles))
    require_within_grant(actor, _roles_granting(store, actor, roles))
    password = temporary_password() if reveal_password else None
    email = body.email.strip().lower()
    user_id = accounts.invite_account(
        email=email, name=body.name, tenant_id=actor.tenant_id, temporary_password=password
    )
    user = Reviewer(id=user_id, email=email, name=body.name, roles=roles, tenant_id=actor.tenant_id)
    audit = admin_audit_record(
        actor,
        "user.invited",
        "user",
        user_id,
        request_id=request_id,
        after={"email": email, "name": body.name, "roles": roles, "active": True},
    )
    store.create_reviewer(user, audit)
    return InviteResponse(user=resolve_permissions(store, user), temporary_password=password)


def update_user(
    store: AccessStore,
    accounts: UserAccounts,
    cases: CaseStore,
    actor: Reviewer,
    user_id: str,
    body: UserUpdateRequest,
    *,
    request_id: str | None,
) -> Reviewer:
    """Change a user's roles and active flag. The directory is the authority at every request,
    so the change holds from the user's next request; deactivating also disables the Cognito
    user, signs them out everywhere and returns their open cases to unassigned (audited)."""
    current = store.get_reviewer(actor.tenant_id, user_id)
    if current is None:
        raise NotFound("no such user")
    roles = sorted(set(body.roles))
    added = sorted(set(roles) - set(current.roles))
    granted = _roles_granting(store, actor, roles)
    require_within_grant(actor, _roles_granting(store, actor, added) if added else ())
    if user_id == actor.id and not body.active:
        raise Conflict("you cannot deactivate yourself; ask another admin")
    now = utc_now()
    audits = []
    if roles != sorted(current.roles):
        audits.append(
            admin_audit_record(
                actor,
                "user.roles_changed",
                "user",
                user_id,
                request_id=request_id,
                at=now,
                before={"roles": current.roles},
                after={"roles": roles},
                details={"email": current.email, "permissions": sorted(granted)},
            )
        )
    if body.active != current.active:
        audits.append(
            admin_audit_record(
                actor,
                "user.activated" if body.active else "user.deactivated",
                "user",
                user_id,
                request_id=request_id,
                at=now,
                before={"active": current.active},
                after={"active": body.active},
                details={"email": current.email},
            )
        )
    if not audits:
        if body.expected_version != current.version:
            raise VersionConflict(
                "the user was changed by someone else; reload",
                details={"currentVersion": current.version},
            )
        return resolve_permissions(store, current)
    changed = current.model_copy(update={"roles": roles, "active": body.active})
    updated = store.update_reviewer(changed, body.expected_version, audits)
    if current.active and not body.active:
        accounts.disable_account(current.email)
        release_cases_of(cases, actor, user_id, request_id=request_id)
    elif body.active and not current.active:
        accounts.enable_account(current.email)
    return resolve_permissions(store, updated)


# -- the admin trail ---------------------------------------------------------------------------
def admin_trail(
    store: AccessStore, tenant_id: str, *, limit: int, cursor: str | None, cursor_secret: str
) -> AdminAuditList:
    scope = f"admin-audit|{tenant_id}"
    start_key = decode_cursor(cursor, scope=scope, secret=cursor_secret)
    page = store.admin_audit_page(tenant_id, limit=limit, start_key=start_key)
    return AdminAuditList(
        data=[
            AdminAuditEntry(
                id=r.event_id,
                action=r.action,
                at=r.at,
                actor=ActorView(**r.actor.model_dump()),
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                before=r.before,
                after=r.after,
                details=r.details,
                request_id=r.request_id,
            )
            for r in page.records
        ],
        next_cursor=encode_cursor(page.last_key, scope=scope, secret=cursor_secret),
    )
