"""Tenant administration: `/api/v1/backoffice/{roles,permissions,users,admin-audit}` and the
assignee picker's list. Each route needs a permission (`users.manage`, `roles.manage`), never a
role name; everything is scoped to the caller's tenant."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.auth import admin as admin_service
from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, reviewer_directory, user_pool
from chalicelib.handlers.auth_kinds import ACCESS_MANAGER, REVIEWER, ROLE_MANAGER, USER_MANAGER
from chalicelib.handlers.http import request_id
from chalicelib.handlers.operations import operation
from chalicelib.models.admin import (
    AdminAuditList,
    AdminAuditParams,
    InviteRequest,
    InviteResponse,
    PermissionList,
    RoleCreateRequest,
    RoleDeleteParams,
    RoleList,
    RoleUpdateRequest,
    RoleView,
    UserUpdateRequest,
)
from chalicelib.models.backoffice import UserList
from chalicelib.models.reviewers import Reviewer

admin_api = Blueprint(__name__)


def _request_id() -> str | None:
    return request_id(admin_api.current_request)


@operation(
    admin_api,
    "GET",
    "/permissions",
    auth=ACCESS_MANAGER,
    summary="The permission catalogue (what a role can be made of)",
    tag="admin",
    response=PermissionList,
    errors=(403,),
)
def list_permissions_route() -> PermissionList:
    return admin_service.permission_catalogue()


@operation(
    admin_api,
    "GET",
    "/roles",
    auth=ACCESS_MANAGER,
    summary="The built-in roles (read-only) and the tenant's custom roles",
    tag="admin",
    response=RoleList,
    errors=(403,),
)
def list_roles_route(admin: Reviewer) -> RoleList:
    return admin_service.list_roles(reviewer_directory(), admin.tenant_id)


@operation(
    admin_api,
    "POST",
    "/roles",
    auth=ROLE_MANAGER,
    summary="Define a custom role (only of permissions the caller holds)",
    tag="admin",
    body=RoleCreateRequest,
    response=RoleView,
    status=201,
    errors=(403, 409),
)
def create_role_route(admin: Reviewer, body: RoleCreateRequest) -> RoleView:
    return admin_service.create_role(reviewer_directory(), admin, body, request_id=_request_id())


@operation(
    admin_api,
    "PUT",
    "/roles/{role_id}",
    auth=ROLE_MANAGER,
    summary="Change a custom role (its holders' permissions change at their next request)",
    tag="admin",
    body=RoleUpdateRequest,
    response=RoleView,
    errors=(403, 409),
)
def update_role_route(admin: Reviewer, role_id: str, body: RoleUpdateRequest) -> RoleView:
    return admin_service.update_role(
        reviewer_directory(), admin, role_id, body, request_id=_request_id()
    )


@operation(
    admin_api,
    "DELETE",
    "/roles/{role_id}",
    auth=ROLE_MANAGER,
    summary="Delete a custom role no user holds",
    tag="admin",
    query=RoleDeleteParams,
    response=None,
    status=204,
    errors=(403, 409),
)
def delete_role_route(admin: Reviewer, role_id: str, query: RoleDeleteParams) -> None:
    admin_service.delete_role(
        reviewer_directory(), admin, role_id, query.expected_version, request_id=_request_id()
    )


@operation(
    admin_api,
    "GET",
    "/users",
    auth=USER_MANAGER,
    summary="The tenant's users, active or not, with their roles and permissions",
    tag="admin",
    response=UserList,
    errors=(403,),
)
def list_users_route(admin: Reviewer) -> UserList:
    return admin_service.list_users(reviewer_directory(), admin.tenant_id)


@operation(
    admin_api,
    "POST",
    "/users",
    auth=USER_MANAGER,
    summary="Invite a user: a Cognito account with a temporary password, and their roles",
    tag="admin",
    body=InviteRequest,
    response=InviteResponse,
    status=201,
    errors=(403, 409),
)
def invite_user_route(admin: Reviewer, body: InviteRequest) -> InviteResponse:
    return admin_service.invite_user(
        reviewer_directory(),
        user_pool(),
        admin,
        body,
        reveal_password=get_settings().invite_password_in_answer,
        request_id=_request_id(),
    )


@operation(
    admin_api,
    "PUT",
    "/users/{user_id}",
    auth=USER_MANAGER,
    summary="Change a user's roles or active flag (deactivating releases their open cases)",
    tag="admin",
    body=UserUpdateRequest,
    response=Reviewer,
    errors=(403, 409),
)
def update_user_route(admin: Reviewer, user_id: str, body: UserUpdateRequest) -> Reviewer:
    return admin_service.update_user(
        reviewer_directory(),
        user_pool(),
        case_store(),
        admin,
        user_id,
        body,
        request_id=_request_id(),
    )


@operation(
    admin_api,
    "GET",
    "/admin-audit",
    auth=ACCESS_MANAGER,
    summary="The admin trail: role and user changes, newest first, cursor-paginated",
    tag="admin",
    query=AdminAuditParams,
    response=AdminAuditList,
    errors=(403,),
)
def list_admin_audit_route(admin: Reviewer, query: AdminAuditParams) -> AdminAuditList:
    return admin_service.admin_trail(
        reviewer_directory(),
        admin.tenant_id,
        limit=query.limit,
        cursor=query.cursor,
        cursor_secret=get_settings().cursor_signing_key,
    )


@operation(
    admin_api,
    "GET",
    "/assignees",
    auth=REVIEWER,
    summary="Who a case can be assigned to: the active users who may decide",
    tag="users",
    response=UserList,
    errors=(),
)
def list_assignees_route(reviewer: Reviewer) -> UserList:
    return admin_service.list_assignees(reviewer_directory(), reviewer.tenant_id)
