"""How a route's caller proves who they are: one small class per kind of caller.

Each kind authenticates a request into the principal its views take (under `argument`, e.g.
`tenant_id` or `reviewer`) and carries its OpenAPI security scheme. `chalicelib.openapi` lists
the schemes of the kinds the app's routes use, and only those: a scheme no route takes would
document a way in that does not exist yet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from chalice.app import Request

from chalicelib.auth.collection_tokens import (
    CollectionGrant,
    CollectionTokenStore,
    authenticate_collection_token,
)
from chalicelib.auth.permissions import require_any_permission
from chalicelib.auth.sessions import authenticate_reviewer
from chalicelib.auth.vendor_signatures import (
    SIGNATURE_HEADER,
    SIGNATURE_PREFIX,
    TIMESTAMP_HEADER,
    TOLERANCE_SECONDS,
    VendorCaller,
    VendorSecrets,
    verify_callback,
)
from chalicelib.config import get_settings
from chalicelib.dependencies import (
    callback_store,
    collection_store,
    reviewer_directory,
    tenant_directory,
    token_verifier,
    vendor_secrets,
)
from chalicelib.errors import NotFound
from chalicelib.models.permissions import (
    CASES_READ,
    MESSAGES_WRITE,
    ROLES_MANAGE,
    USERS_MANAGE,
    WEBHOOKS_MANAGE,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.plugins.callbacks import CallbackStore, PendingCallback, callback_spec
from chalicelib.tenants.api_keys import authenticate_integrator, bearer_token

Principal = TypeVar("Principal", covariant=True)
Kind = Literal["integrator", "reviewer", "public", "customer", "vendor"]


class AuthKind(Generic[Principal]):
    kind: ClassVar[Kind]
    # The view's keyword argument that receives the principal; None: the view takes none.
    argument: str | None = None
    scheme_name: ClassVar[str | None] = None
    scheme: ClassVar[dict[str, Any] | None] = None

    def authenticate(self, request: Request, path: Mapping[str, str]) -> Principal:
        raise NotImplementedError

    # The permissions the route needs, any one of them (reviewer routes); none: no check.
    permissions: tuple[str, ...] = ()
    # A caller who authenticates may still be refused (403): a route needing a permission.
    refuses = False

    def requirement(self) -> list[dict[str, list[str]]]:
        """The operation's OpenAPI `security`. Public is an explicit empty list, so that a reader
        (or a generated client) does not fall back to a document-wide default."""
        return [{self.scheme_name: []}] if self.scheme_name else []


class Public(AuthKind[None]):
    kind = "public"

    def authenticate(self, request: Request, path: Mapping[str, str]) -> None:
        return None


class IntegratorApiKey(AuthKind[str]):
    """The tenant's integrator API key; the principal is the tenant id."""

    kind = "integrator"
    argument = "tenant_id"
    scheme_name = "integratorApiKey"
    scheme = {
        "type": "http",
        "scheme": "bearer",
        "description": "The tenant's integrator API key: `Authorization: Bearer <api key>` "
        "(Ballerine-compatible). Local stack: `secret` (tenant demo), `acme-secret` (acme).",
    }

    def authenticate(self, request: Request, path: Mapping[str, str]) -> str:
        return authenticate_integrator(
            request.headers.get("authorization"), tenant_directory(), get_settings().api_key_pepper
        )


class ReviewerToken(AuthKind[Reviewer]):
    """A reviewer's Cognito ID token, with the route's permission (if any) checked before the
    body is even parsed, so a refused caller learns nothing from validation errors."""

    kind = "reviewer"
    scheme_name = "reviewerJwt"
    scheme = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The reviewer's Cognito **ID token** from `POST /api/v1/auth/login` "
        "(the access token is refused). Verified by the app against the pool's JWKS.",
    }

    def __init__(self, *any_of: str, argument: str = "reviewer") -> None:
        # The route needs one of these permissions (none: any signed-in user).
        self.permissions = any_of
        self.refuses = bool(any_of)
        self.argument = argument

    def authenticate(self, request: Request, path: Mapping[str, str]) -> Reviewer:
        reviewer = authenticate_reviewer(
            request.headers.get("authorization"), token_verifier(), reviewer_directory()
        )
        if self.permissions:
            require_any_permission(reviewer, self.permissions)
        return reviewer


class CollectionToken(AuthKind[CollectionGrant]):
    """The customer's collection link token, good for one case: the `{token}` path parameter of
    `/api/v1/collect/{token}/...` (the link's own path), else `Authorization: Bearer <token>`.
    A route with a `{case_id}` path parameter answers 404 for any other case, as for another
    tenant's ids."""

    kind = "customer"
    argument = "grant"
    scheme_name = "collectionToken"
    scheme = {
        "type": "http",
        "scheme": "bearer",
        "description": "The token of the customer's collection link: the `{token}` path "
        "parameter of `/api/v1/collect/{token}/...` (the link's own path), or `Authorization: "
        "Bearer <token>`. Good for one case until the link expires or is renewed.",
    }

    def __init__(
        self,
        store: Callable[[], CollectionTokenStore],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.clock = clock

    def authenticate(self, request: Request, path: Mapping[str, str]) -> CollectionGrant:
        token = path.get("token") or bearer_token(request.headers.get("authorization"))
        grant = authenticate_collection_token(token, self.store(), self.clock())
        if "case_id" in path and path["case_id"] != grant.case_id:
            raise NotFound("no such case")
        return grant


class VendorSignature(AuthKind[VendorCaller]):
    """A vendor's signed callback; the provider is the route's `{provider}` path parameter
    (or a fixed one), its secret comes from `secrets`."""

    kind = "vendor"
    argument = "caller"
    scheme_name = "vendorSignature"
    scheme = {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": f"`{SIGNATURE_PREFIX}<hex HMAC-SHA256>` of `<timestamp>.<raw body>` "
        f"with the provider's secret; `{TIMESTAMP_HEADER}` carries the unix seconds, "
        f"within {TOLERANCE_SECONDS} s of now.",
    }

    def __init__(
        self,
        secrets: Callable[[], VendorSecrets],
        *,
        provider: str | None = None,
        provider_param: str = "provider",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secrets = secrets
        self.provider = provider
        self.provider_param = provider_param
        self.clock = clock

    def authenticate(self, request: Request, path: Mapping[str, str]) -> VendorCaller:
        provider = self.provider or path.get(self.provider_param, "")
        body = request.raw_body or b""
        return verify_callback(
            provider,
            secrets=self.secrets(),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body.encode() if isinstance(body, str) else body,
            now=self.clock(),
        )


class _OneSecret:
    def __init__(self, provider: str, secret: str | None) -> None:
        self._provider, self._secret = provider, secret

    def secret_for(self, provider: str) -> str | None:
        return self._secret if provider == self._provider else None


class VendorCallback(AuthKind[PendingCallback]):
    """An asynchronous vendor's callback for the plugin step of a case (path `{case_id}` and
    `{event}`, the plugin): signed as `VendorSignature` says, with the field of the tenant's
    vendor secret that the plugin's `callback.secret` names. The principal is the pending
    callback. No pending callback, or no such secret, is refused like a bad signature (no hint
    which cases or plugins exist)."""

    kind = "vendor"
    argument = "callback"
    scheme_name = VendorSignature.scheme_name
    scheme = VendorSignature.scheme

    def __init__(
        self,
        callbacks: Callable[[], CallbackStore],
        vendor_secrets: Callable[[str], Mapping[str, str]],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.callbacks = callbacks
        self.vendor_secrets = vendor_secrets
        self.clock = clock

    def authenticate(self, request: Request, path: Mapping[str, str]) -> PendingCallback:
        plugin = path.get("event", "")
        pending = self.callbacks().get(path.get("case_id", ""), plugin)
        secret = None
        if pending is not None:
            try:
                field = callback_spec(pending).callback
            except NotFound:
                field = None
            if field is not None:
                secret = self.vendor_secrets(pending.tenant_id).get(field.secret)
        body = request.raw_body or b""
        verify_callback(
            plugin,
            secrets=_OneSecret(plugin, secret),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
            signature=request.headers.get(SIGNATURE_HEADER),
            body=body.encode() if isinstance(body, str) else body,
            now=self.clock(),
        )
        if pending is None:  # verified without a secret cannot happen; narrows the type
            raise NotFound("no such callback")
        return pending


PUBLIC = Public()
INTEGRATOR = IntegratorApiKey()
# Any signed-in user, whatever their roles (their own session and profile).
SIGNED_IN = ReviewerToken()
REVIEWER = ReviewerToken(CASES_READ)
WEBHOOK_MANAGER = ReviewerToken(WEBHOOKS_MANAGE, argument="admin")
USER_MANAGER = ReviewerToken(USERS_MANAGE, argument="admin")
ROLE_MANAGER = ReviewerToken(ROLES_MANAGE, argument="admin")
# The admin trail: whoever manages users or roles.
ACCESS_MANAGER = ReviewerToken(USERS_MANAGE, ROLES_MANAGE, argument="admin")
MESSAGE_WRITER = ReviewerToken(MESSAGES_WRITE)
CUSTOMER = CollectionToken(collection_store)
VENDOR_CALLBACK = VendorCallback(callback_store, vendor_secrets)
