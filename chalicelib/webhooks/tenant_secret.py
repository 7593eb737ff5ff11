"""The tenant's own signing secret, for its runs' `config.subscriptions`.

The default subscription's secret (`WEBHOOK_SECRET`) is the operator's: it signs every tenant's
events to the operator's own receiver, so it is never handed to integrators. A run's receiver
is the integrator's, so its webhooks are signed with a key only that tenant holds: created with
the tenant (or, for a tenant without one, on first use), shown to an admin once, and rotated
with an overlap during which both keys sign, as a tenant subscription's secret."""

from __future__ import annotations

from chalicelib.errors import Conflict
from chalicelib.ids import utc_now
from chalicelib.models.webhooks import SigningSecretView, TenantSigningSecret
from chalicelib.webhooks.signing import generate_secret
from chalicelib.webhooks.store import WebhookStore
from chalicelib.webhooks.subscriptions import rotated_keys


def tenant_signing_secret(store: WebhookStore, tenant_id: str) -> TenantSigningSecret:
    """The tenant's key, created if it has none yet (a conditional write: of concurrent first
    uses one creates it, and every caller gets that one)."""
    existing = store.get_signing_secret(tenant_id)
    if existing is not None:
        return existing
    now = utc_now()
    created = TenantSigningSecret(
        tenant_id=tenant_id, secret=generate_secret(), created_at=now, updated_at=now
    )
    if store.save_signing_secret(created, expected_version=None):
        return created
    winner = store.get_signing_secret(tenant_id)
    if winner is None:
        raise Conflict("the signing secret is being created; try again")
    return winner


def signing_secret_status(store: WebhookStore, tenant_id: str) -> SigningSecretView:
    """What an admin may always see: when it was made or rotated, never the secret."""
    return _view(tenant_signing_secret(store, tenant_id), with_secret=False)


def reveal_signing_secret(store: WebhookStore, tenant_id: str) -> SigningSecretView:
    """The secret, the first time an admin asks for it; 409 afterwards (rotate for a new one).
    Conditional, so of two concurrent first reads only one gets it."""
    current = tenant_signing_secret(store, tenant_id)
    if current.revealed:
        raise Conflict("the signing secret was shown already; rotate it to get a new one")
    shown = current.model_copy(update={"revealed": True, "version": current.version + 1})
    if not store.save_signing_secret(shown, expected_version=current.version):
        raise Conflict("the signing secret changed meanwhile; try again")
    return _view(shown, with_secret=True)


def rotate_signing_secret(
    store: WebhookStore, tenant_id: str, *, overlap_seconds: int
) -> SigningSecretView:
    """A new secret, returned this once; the old one also signs until the overlap ends."""
    current = tenant_signing_secret(store, tenant_id)
    rotated = current.model_copy(
        update={
            **rotated_keys(current, overlap_seconds),
            "revealed": True,
            "version": current.version + 1,
        }
    )
    if not store.save_signing_secret(rotated, expected_version=current.version):
        raise Conflict("the signing secret changed meanwhile; try again")
    return _view(rotated, with_secret=True)


def _view(secret: TenantSigningSecret, *, with_secret: bool) -> SigningSecretView:
    return SigningSecretView(
        revealed=secret.revealed,
        previous_secret_expires_at=secret.previous_secret_expires_at,
        created_at=secret.created_at,
        updated_at=secret.updated_at,
        secret=secret.secret if with_secret else None,
    )
