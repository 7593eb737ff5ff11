"""Reviewers: who is signed in to the back office, and the auth API's bodies."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.models.base import ApiModel

Role = Literal["admin", "reviewer", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "reviewer", "viewer")


class Reviewer(ApiModel):
    """A signed-in back-office user. `id` is the Cognito `sub`."""

    id: str
    email: str
    name: str
    roles: list[Role]
    tenant_id: str

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def can_write(self) -> bool:
        return "admin" in self.roles or "reviewer" in self.roles


class LoginRequest(ApiModel):
    # Whitespace spelled out: `\s` differs between Python and the ECMA regexes of JSON Schema
    # (U+0085, U+FEFF), and the document must accept exactly what the API accepts.
    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+$")
    password: str = Field(min_length=1, max_length=256)


class RefreshRequest(ApiModel):
    refresh_token: str = Field(min_length=1, max_length=8192)


class SessionTokens(ApiModel):
    id_token: str
    access_token: str
    refresh_token: str | None = None
    expires_in: int = Field(description="seconds until the ID and access tokens expire")
    user: Reviewer


class ReviewerList(ApiModel):
    data: list[Reviewer]
