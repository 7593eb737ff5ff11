"""Cognito adapter: sign-in, token refresh and reviewer accounts in the user pool."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

import boto3
from botocore.exceptions import ClientError

from chalicelib.caches import register
from chalicelib.errors import Conflict, InvalidRequest, NewPasswordRequired, Unauthenticated

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
        return _issued(self._start(flow, parameters))

    def _start(self, flow: str, parameters: dict[str, str]) -> dict[str, Any]:
        try:
            return cast(
                dict[str, Any],
                cognito_client().initiate_auth(
                    ClientId=self._client_id, AuthFlow=flow, AuthParameters=parameters
                ),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _REJECTED_SIGN_IN:
                # One message for every cause, so the answer does not reveal which accounts exist.
                raise Unauthenticated("invalid email, password or session") from exc
            raise

    def set_first_password(
        self, email: str, temporary_password: str, new_password: str
    ) -> IssuedTokens:
        """First sign-in of an invited user: the temporary password, then the new one in
        answer to Cognito's `NEW_PASSWORD_REQUIRED` challenge (one call for the client: the
        challenge's session never leaves the server)."""
        response = self._start(
            "USER_PASSWORD_AUTH", {"USERNAME": email, "PASSWORD": temporary_password}
        )
        if response.get("ChallengeName") != "NEW_PASSWORD_REQUIRED":
            raise Unauthenticated("this account has its password already; sign in with it")
        challenge = response.get("ChallengeParameters") or {}
        # Cognito names the user by its internal username (the pool signs in by email).
        username = challenge.get("USER_ID_FOR_SRP") or challenge.get("USERNAME") or email
        try:
            answered = cognito_client().respond_to_auth_challenge(
                ClientId=self._client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=response["Session"],
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("InvalidPasswordException", "InvalidParameterException"):
                message = exc.response.get("Error", {}).get("Message") or "password refused"
                raise InvalidRequest(
                    "the new password does not meet the password policy",
                    details=[{"path": "newPassword", "message": message}],
                ) from exc
            if code in _REJECTED_SIGN_IN:
                raise Unauthenticated("invalid email, password or session") from exc
            raise
        return _issued(answered)

    def invite_account(
        self, *, email: str, name: str, tenant_id: str, temporary_password: str | None
    ) -> str:
        """Create the account with a temporary password; returns its sub. Without one, Cognito
        makes it up and emails the invitation; with one (the local stack), no email is sent."""
        extra: dict[str, Any] = (
            {"TemporaryPassword": temporary_password, "MessageAction": "SUPPRESS"}
            if temporary_password
            else {"DesiredDeliveryMediums": ["EMAIL"]}
        )
        try:
            response = cognito_client().admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": name},
                    {"Name": "custom:tenant", "Value": tenant_id},
                ],
                **extra,
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code == "UsernameExistsException":
                raise Conflict(f"{email} has an account already") from exc
            if code == "InvalidParameterException":
                # The pool's own checks of the address (found by fuzzing: `0@0` was a 500).
                message = exc.response.get("Error", {}).get("Message") or "refused by the pool"
                raise InvalidRequest(
                    "the user pool refused this email address",
                    details=[{"path": "email", "message": message}],
                ) from exc
            raise
        attributes = response["User"]["Attributes"]
        return cast(str, next(a["Value"] for a in attributes if a["Name"] == "sub"))

    def disable_account(self, username: str) -> None:
        """No new sign-in, and every refresh token revoked."""
        cognito_client().admin_disable_user(UserPoolId=self._pool, Username=username)
        self.sign_out_everywhere(username)

    def enable_account(self, username: str) -> None:
        cognito_client().admin_enable_user(UserPoolId=self._pool, Username=username)

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


def _issued(response: dict[str, Any]) -> IssuedTokens:
    result = response.get("AuthenticationResult")
    if not result:
        if response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            raise NewPasswordRequired(
                "first sign-in: choose a new password (POST /api/v1/auth/new-password)"
            )
        raise Unauthenticated(f"sign-in needs a further step: {response.get('ChallengeName')}")
    return IssuedTokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result.get("ExpiresIn", 3600)),
    )
