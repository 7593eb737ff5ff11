"""Webhook subscriptions and the delivery log: `/api/v1/backoffice/webhooks*`, admins only."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.config import get_settings, get_webhook_settings
from chalicelib.dependencies import default_webhook_secret, webhook_dispatcher, webhook_store
from chalicelib.handlers.auth_kinds import WEBHOOK_MANAGER
from chalicelib.handlers.operations import operation
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.webhooks import (
    CreateSubscriptionRequest,
    DeliveryList,
    DeliveryQuery,
    DeliveryView,
    RotateSecretRequest,
    SigningSecretView,
    SubscriptionList,
    SubscriptionWithSecret,
)
from chalicelib.webhooks import deliveries, subscriptions, tenant_secret

webhooks_api = Blueprint(__name__)


def _default() -> subscriptions.DefaultSubscription:
    return subscriptions.DefaultSubscription(
        get_webhook_settings().default_url, default_webhook_secret()
    )


@operation(
    webhooks_api,
    "GET",
    "/webhooks",
    auth=WEBHOOK_MANAGER,
    summary="The tenant's webhook subscriptions (and the default one); secrets never shown",
    tag="webhooks",
    response=SubscriptionList,
    errors=(403,),
)
def list_subscriptions_route(admin: Reviewer) -> SubscriptionList:
    views = subscriptions.list_subscription_views(webhook_store(), admin.tenant_id, _default())
    return SubscriptionList(data=views)


@operation(
    webhooks_api,
    "POST",
    "/webhooks",
    auth=WEBHOOK_MANAGER,
    summary="Subscribe a URL; the signing secret (`whsec_...`) is in this answer only",
    tag="webhooks",
    body=CreateSubscriptionRequest,
    response=SubscriptionWithSecret,
    status=201,
    errors=(403, 409),
)
def create_subscription_route(
    admin: Reviewer, body: CreateSubscriptionRequest
) -> SubscriptionWithSecret:
    created = subscriptions.create_subscription(
        webhook_store(),
        admin.tenant_id,
        body,
        created_by=admin.id,
        allow_local=get_webhook_settings().allow_local_receivers,
    )
    return SubscriptionWithSecret(
        **subscriptions.subscription_view(created).model_dump(), secret=created.secret
    )


@operation(
    webhooks_api,
    "DELETE",
    "/webhooks/{subscription_id}",
    auth=WEBHOOK_MANAGER,
    summary="Delete a subscription (its pending retries are cancelled)",
    tag="webhooks",
    response=None,
    status=204,
    errors=(403, 409),
)
def delete_subscription_route(admin: Reviewer, subscription_id: str) -> None:
    subscriptions.delete_subscription(webhook_store(), admin.tenant_id, subscription_id)


@operation(
    webhooks_api,
    "POST",
    "/webhooks/{subscription_id}/rotate-secret",
    auth=WEBHOOK_MANAGER,
    summary="New signing secret; the old one also signs until the overlap ends",
    tag="webhooks",
    body=RotateSecretRequest,
    body_required=False,
    response=SubscriptionWithSecret,
    errors=(403,),
)
def rotate_secret_route(
    admin: Reviewer, subscription_id: str, body: RotateSecretRequest
) -> SubscriptionWithSecret:
    rotated = subscriptions.rotate_secret(
        webhook_store(), admin.tenant_id, subscription_id, overlap_seconds=body.overlap_seconds
    )
    return SubscriptionWithSecret(
        **subscriptions.subscription_view(rotated).model_dump(), secret=rotated.secret
    )


@operation(
    webhooks_api,
    "GET",
    "/webhooks/signing-secret",
    auth=WEBHOOK_MANAGER,
    summary="The tenant's signing secret for per-run subscriptions: its dates, never itself",
    tag="webhooks",
    response=SigningSecretView,
    errors=(403,),
    exclude_none=True,
)
def signing_secret_route(admin: Reviewer) -> SigningSecretView:
    return tenant_secret.signing_secret_status(webhook_store(), admin.tenant_id)


@operation(
    webhooks_api,
    "POST",
    "/webhooks/signing-secret/reveal",
    auth=WEBHOOK_MANAGER,
    summary="Show the per-run signing secret, once (409 afterwards: rotate it)",
    tag="webhooks",
    response=SigningSecretView,
    errors=(403, 409),
)
def reveal_signing_secret_route(admin: Reviewer) -> SigningSecretView:
    return tenant_secret.reveal_signing_secret(webhook_store(), admin.tenant_id)


@operation(
    webhooks_api,
    "POST",
    "/webhooks/signing-secret/rotate",
    auth=WEBHOOK_MANAGER,
    summary="New per-run signing secret, in this answer only; the old one also signs until "
    "the overlap ends",
    tag="webhooks",
    body=RotateSecretRequest,
    body_required=False,
    response=SigningSecretView,
    errors=(403, 409),
)
def rotate_signing_secret_route(admin: Reviewer, body: RotateSecretRequest) -> SigningSecretView:
    return tenant_secret.rotate_signing_secret(
        webhook_store(), admin.tenant_id, overlap_seconds=body.overlap_seconds
    )


@operation(
    webhooks_api,
    "GET",
    "/webhooks/deliveries",
    auth=WEBHOOK_MANAGER,
    summary="The delivery log, newest first, filtered, cursor-paginated",
    tag="webhooks",
    query=DeliveryQuery,
    response=DeliveryList,
    errors=(403,),
)
def list_deliveries_route(admin: Reviewer, query: DeliveryQuery) -> DeliveryList:
    return deliveries.list_deliveries(
        webhook_store(), admin.tenant_id, query, cursor_secret=get_settings().cursor_signing_key
    )


@operation(
    webhooks_api,
    "GET",
    "/webhooks/deliveries/{delivery_id}",
    auth=WEBHOOK_MANAGER,
    summary="One delivery with every attempt",
    tag="webhooks",
    response=DeliveryView,
    errors=(403,),
)
def get_delivery_route(admin: Reviewer, delivery_id: str) -> DeliveryView:
    return deliveries.get_delivery(webhook_store(), admin.tenant_id, delivery_id)


@operation(
    webhooks_api,
    "POST",
    "/webhooks/deliveries/{delivery_id}/redeliver",
    auth=WEBHOOK_MANAGER,
    summary="Deliver again (same webhook-id, fresh retry schedule)",
    tag="webhooks",
    response=DeliveryView,
    status=202,
    errors=(403, 409),
)
def redeliver_route(admin: Reviewer, delivery_id: str) -> DeliveryView:
    record = webhook_dispatcher().redeliver(admin.tenant_id, delivery_id)
    return deliveries.delivery_view(record)
