"""Webhook subscriptions and the delivery log: `/api/v1/backoffice/webhooks*`, admins only."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response
from chalice.app import Request

from chalicelib.auth.permissions import require_admin
from chalicelib.config import get_settings, get_webhook_settings
from chalicelib.dependencies import default_webhook_secret, webhook_dispatcher, webhook_store
from chalicelib.handlers.http import (
    api_route,
    json_response,
    parse_body,
    parse_query,
    signed_in_reviewer,
)
from chalicelib.models.reviewers import Reviewer
from chalicelib.models.webhooks import (
    CreateSubscriptionRequest,
    DeliveryList,
    DeliveryQuery,
    RotateSecretRequest,
    SubscriptionList,
    SubscriptionWithSecret,
)
from chalicelib.webhooks import deliveries, subscriptions, tenant_secret

webhooks_api = Blueprint(__name__)


def _admin(request: Request) -> Reviewer:
    reviewer = signed_in_reviewer(request)
    require_admin(reviewer)
    return reviewer


def _default() -> subscriptions.DefaultSubscription:
    return subscriptions.DefaultSubscription(
        get_webhook_settings().default_url, default_webhook_secret()
    )


@api_route(webhooks_api, "/webhooks", methods=["GET"])
def list_subscriptions_route() -> Any:
    admin = _admin(webhooks_api.current_request)
    views = subscriptions.list_subscription_views(webhook_store(), admin.tenant_id, _default())
    return json_response(SubscriptionList(data=views).model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks", methods=["POST"])
def create_subscription_route() -> Any:
    request = webhooks_api.current_request
    admin = _admin(request)
    body = parse_body(request, CreateSubscriptionRequest)
    created = subscriptions.create_subscription(
        webhook_store(),
        admin.tenant_id,
        body,
        created_by=admin.id,
        allow_local=get_webhook_settings().allow_local_receivers,
    )
    view = SubscriptionWithSecret(
        **subscriptions.subscription_view(created).model_dump(), secret=created.secret
    )
    return json_response(view.model_dump(by_alias=True), 201)


@api_route(webhooks_api, "/webhooks/{subscription_id}", methods=["DELETE"])
def delete_subscription_route(subscription_id: str) -> Any:
    admin = _admin(webhooks_api.current_request)
    subscriptions.delete_subscription(webhook_store(), admin.tenant_id, subscription_id)
    return Response(body="", status_code=204)


def _rotation(request: Request) -> RotateSecretRequest:
    raw = request.raw_body or b""
    return parse_body(request, RotateSecretRequest) if raw.strip() else RotateSecretRequest()


@api_route(webhooks_api, "/webhooks/{subscription_id}/rotate-secret", methods=["POST"])
def rotate_secret_route(subscription_id: str) -> Any:
    request = webhooks_api.current_request
    admin = _admin(request)
    body = _rotation(request)
    rotated = subscriptions.rotate_secret(
        webhook_store(), admin.tenant_id, subscription_id, overlap_seconds=body.overlap_seconds
    )
    view = SubscriptionWithSecret(
        **subscriptions.subscription_view(rotated).model_dump(), secret=rotated.secret
    )
    return json_response(view.model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks/signing-secret", methods=["GET"])
def signing_secret_route() -> Any:
    admin = _admin(webhooks_api.current_request)
    view = tenant_secret.signing_secret_status(webhook_store(), admin.tenant_id)
    return json_response(view.model_dump(by_alias=True, exclude_none=True))


@api_route(webhooks_api, "/webhooks/signing-secret/reveal", methods=["POST"])
def reveal_signing_secret_route() -> Any:
    admin = _admin(webhooks_api.current_request)
    view = tenant_secret.reveal_signing_secret(webhook_store(), admin.tenant_id)
    return json_response(view.model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks/signing-secret/rotate", methods=["POST"])
def rotate_signing_secret_route() -> Any:
    request = webhooks_api.current_request
    admin = _admin(request)
    view = tenant_secret.rotate_signing_secret(
        webhook_store(), admin.tenant_id, overlap_seconds=_rotation(request).overlap_seconds
    )
    return json_response(view.model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks/deliveries", methods=["GET"])
def list_deliveries_route() -> Any:
    request = webhooks_api.current_request
    admin = _admin(request)
    query = parse_query(request, DeliveryQuery)
    page: DeliveryList = deliveries.list_deliveries(
        webhook_store(), admin.tenant_id, query, cursor_secret=get_settings().api_key_pepper
    )
    return json_response(page.model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks/deliveries/{delivery_id}", methods=["GET"])
def get_delivery_route(delivery_id: str) -> Any:
    admin = _admin(webhooks_api.current_request)
    view = deliveries.get_delivery(webhook_store(), admin.tenant_id, delivery_id)
    return json_response(view.model_dump(by_alias=True))


@api_route(webhooks_api, "/webhooks/deliveries/{delivery_id}/redeliver", methods=["POST"])
def redeliver_route(delivery_id: str) -> Any:
    admin = _admin(webhooks_api.current_request)
    record = webhook_dispatcher().redeliver(admin.tenant_id, delivery_id)
    return json_response(deliveries.delivery_view(record).model_dump(by_alias=True), 202)
