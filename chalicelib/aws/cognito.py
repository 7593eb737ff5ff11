"""Cognito adapter: sign-in, token refresh and reviewer accounts in the user pool."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import boto3
from botocore.exceptions import ClientError

from chalicelib.caches import register
from chalicelib.errors import Conflict, Unauthenticated

_REJECTED_SIGN_IN = {
    "NotAuthorizedException",
    "UserNotFoundException",
    "UserNotConfirmedException",
    "PasswordResetRequiredException",
}


@register
@functools.cache
def cognito_client() -> Any:
    return boto3.client("cognito-idp")


@dataclass(frozen=True)
class IssuedTokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int


class CognitoUserPool:
    def __init__(self, user_pool_id: str, client_id: str) -> None:
        self._pool = user_pool_id
        self._client_id = client_id

    def sign_in(self, email: str, password: str) -> IssuedTokens:
        return self._initiate("USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": password})

    def refresh(self, refresh_token: str) -> IssuedTokens:
        tokens = self._initiate("REFRESH_TOKEN_AUTH", {"REFRESH_TOKEN": refresh_token})
        return tokens

    def sign_out_everywhere(self, username: str) -> None:
        """Revoke every refresh token of the user; ID tokens already issued run out on their own
        (at most an hour)."""
        cognito_client().admin_user_global_sign_out(UserPoolId=self._pool, Username=username)

    def _initiate(self, flow: str, parameters: dict[str, str]) -> IssuedTokens:
        try:
            response = cognito_client().initiate_auth(
                ClientId=self._client_id, AuthFlow=flow, AuthParameters=parameters
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _REJECTED_SIGN_IN:
                # One message for every cause, so the answer does not reveal which accounts exist.
                raise Unauthenticated("invalid email, password or session") from exc
            raise
        result = response.get("AuthenticationResult")
        if not result:
            raise Unauthenticated(f"sign-in needs a further step: {response.get('ChallengeName')}")
        return IssuedTokens(
            id_token=result["IdToken"],
            access_token=result["AccessToken"],
            refresh_token=result.get("RefreshToken"),
            expires_in=int(result.get("ExpiresIn", 3600)),
        )

    def create_account(self, *, email: str, name: str, tenant_id: str, password: str) -> str:
        """Create (or find) the account and set a permanent password; returns its sub. Roles
        live in the reviewer directory, not in Cognito groups.
        An existing account of another tenant is refused (Conflict) and left untouched."""
        client = cognito_client()
        try:
            response = client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                MessageAction="SUPPRESS",
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                    {"Name": "custom:tenant", "Value": tenant_id},
                ],
            )
            attributes = response["User"]["Attributes"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "UsernameExistsException":
                raise
            attributes = client.admin_get_user(UserPoolId=self._pool, Username=email)[
                "UserAttributes"
            ]
            existing_tenant = next(
                (a["Value"] for a in attributes if a["Name"] == "custom:tenant"), None
            )
            if existing_tenant != tenant_id:
                raise Conflict(
                    f"{email} already has an account in another tenant; use another email"
                ) from exc
        client.admin_set_user_password(
            UserPoolId=self._pool, Username=email, Password=password, Permanent=True
        )
        return cast(str, next(a["Value"] for a in attributes if a["Name"] == "sub"))
