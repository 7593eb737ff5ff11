"""Reviewers: who is signed in to the back office, and the auth API's bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from chalicelib.models.base import ApiModel

# A role id: a built-in role (`viewer`, `reviewer`, `senior_reviewer`, `admin`) or a custom one.
RoleId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")]
# Whitespace spelled out: `\s` differs between Python and the ECMA regexes of JSON Schema
# (U+0085, U+FEFF), and the document must accept exactly what the API accepts.
Email = Annotated[
    str, Field(min_length=3, max_length=254, pattern=r"^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+$")
]


class Reviewer(ApiModel):
    """A back-office user. `id` is the Cognito `sub`. The directory keeps `roles` and `active`;
    `permissions` are resolved from the roles at every request (never stored)."""

    id: str
    email: str
    name: str
    roles: list[RoleId]
    tenant_id: str
    active: bool = True
    version: int = Field(default=1, description="for `expectedVersion` when an admin changes it")
    permissions: list[str] = Field(
        default_factory=list, description="what the roles allow, resolved at this request"
    )


class LoginRequest(ApiModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)


class NewPasswordRequest(ApiModel):
    """An invited user's first sign-in: the emailed (or shown) temporary password and the
    password they choose."""

    email: Email
    temporary_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=12, max_length=256)


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
