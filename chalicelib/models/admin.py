"""Tenant administration: custom roles, users and the admin trail (stored records and the
API's bodies)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.models.backoffice import Actor as ActorView
from chalicelib.models.base import ApiModel, JsonInt
from chalicelib.models.case import Actor, Record
from chalicelib.models.permissions import PERMISSIONS
from chalicelib.models.reviewers import Email, Reviewer, RoleId

# A permission of the catalogue, stated as an enum in the document (the service checks it too:
# 400 naming each unknown one).
PermissionName = Annotated[str, Field(json_schema_extra={"enum": list(PERMISSIONS)})]

ROLE_NAME_MAX = 80
ROLE_DESCRIPTION_MAX = 500


class CustomRole(Record):
    """A tenant's role: a named set of permissions from the catalogue. `holders` counts the
    users holding it (kept in the same transactions as their roles), so a role still held is
    never deleted."""

    tenant_id: str
    role_id: str
    name: str
    description: str = ""
    permissions: list[str]
    version: int = 1
    holders: int = 0
    created_at: str
    updated_at: str


AdminSubject = Literal["user", "role", "view", "layout", "workflowDefinition"]


class AdminAuditRecord(Record):
    """An append-only fact about the tenant's users or roles (the admin trail)."""

    event_id: str
    tenant_id: str
    action: str
    at: str
    actor: Actor
    subject_type: AdminSubject
    subject_id: str
    request_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)


# -- API bodies ------------------------------------------------------------------------------
class PermissionView(ApiModel):
    id: str
    description: str


class PermissionList(ApiModel):
    data: list[PermissionView]


class RoleView(ApiModel):
    id: str
    name: str
    description: str
    permissions: list[str]
    built_in: bool = Field(description="built-in roles are the same in every tenant, read-only")
    version: int | None = Field(
        default=None, description="custom roles only: for `expectedVersion`"
    )
    holders: int | None = Field(default=None, description="custom roles only: users holding it")


class RoleList(ApiModel):
    data: list[RoleView]


class RoleCreateRequest(ApiModel):
    id: RoleId
    name: str = Field(min_length=1, max_length=ROLE_NAME_MAX)
    description: str = Field(default="", max_length=ROLE_DESCRIPTION_MAX)
    permissions: list[PermissionName] = Field(max_length=64)


class RoleUpdateRequest(ApiModel):
    name: str = Field(min_length=1, max_length=ROLE_NAME_MAX)
    description: str = Field(default="", max_length=ROLE_DESCRIPTION_MAX)
    permissions: list[PermissionName] = Field(max_length=64)
    expected_version: JsonInt = Field(ge=1)


class RoleDeleteParams(ApiModel):
    expected_version: int = Field(ge=1)


class InviteRequest(ApiModel):
    email: Email
    name: str = Field(min_length=1, max_length=120)
    roles: list[RoleId] = Field(min_length=1, max_length=16)


class InviteResponse(ApiModel):
    user: Reviewer
    temporary_password: str | None = Field(
        default=None,
        description="shown once, and only where Cognito does not email it (the local stack); "
        "in the cloud Cognito emails the invitation",
    )


class UserUpdateRequest(ApiModel):
    roles: list[RoleId] = Field(min_length=1, max_length=16)
    active: bool
    expected_version: JsonInt = Field(ge=1)


class AdminAuditEntry(ApiModel):
    id: str
    action: str
    at: str
    actor: ActorView
    subject_type: AdminSubject
    subject_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    request_id: str | None = None


class AdminAuditList(ApiModel):
    data: list[AdminAuditEntry]
    next_cursor: str | None = None


class AdminAuditParams(ApiModel):
    limit: int = Field(default=25, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2048)
