"""Builds the adapters the services use, from settings, once per process."""

from __future__ import annotations

import functools
import os

from chalicelib.auth.tokens import TokenVerifier
from chalicelib.aws.cognito import CognitoUserPool
from chalicelib.aws.dynamodb import DynamoCaseStore, DynamoTenantDirectory
from chalicelib.aws.dynamodb_access import DynamoAccessStore
from chalicelib.aws.dynamodb_analytics import DynamoMetricsStore
from chalicelib.aws.dynamodb_callbacks import DynamoCallbackStore
from chalicelib.aws.dynamodb_collection import DynamoCollectionStore
from chalicelib.aws.dynamodb_definitions import DynamoDefinitionStore
from chalicelib.aws.dynamodb_layouts import DynamoLayoutStore
from chalicelib.aws.dynamodb_settings import DynamoSlaSettingsStore
from chalicelib.aws.dynamodb_views import DynamoViewStore
from chalicelib.aws.dynamodb_webhooks import DynamoWebhookStore
from chalicelib.aws.eventbridge import EventBridgePublisher
from chalicelib.aws.s3 import S3DocumentStorage
from chalicelib.aws.secrets import secret_or_env, tenant_vendor_secrets
from chalicelib.aws.ses import SesMailer
from chalicelib.aws.sla_queue import SqsTimerQueue
from chalicelib.aws.stepfunctions import StepFunctionsWorkflowEngine
from chalicelib.aws.webhook_queue import SqsDeliveryQueue
from chalicelib.aws.work_queue import SqsWorkQueue
from chalicelib.caches import register
from chalicelib.collection.service import Collection, webhook_link
from chalicelib.config import (
    get_analytics_table,
    get_collection_settings,
    get_settings,
    get_webhook_settings,
)
from chalicelib.plugins.http_vendor import HttpProvider
from chalicelib.plugins.providers import Provider
from chalicelib.plugins.registry import RegistryProvider, SampleRegistry
from chalicelib.plugins.sanctions.provider import ListSource, SanctionsProvider
from chalicelib.webhooks.delivery import WebhookDispatcher
from chalicelib.webhooks.sender import HttpWebhookSender
from chalicelib.webhooks.subscriptions import DefaultSubscription


@register
@functools.cache
def _case_store(table: str, bucket: str) -> DynamoCaseStore:
    return DynamoCaseStore(table, S3DocumentStorage(bucket))


def case_store() -> DynamoCaseStore:
    settings = get_settings()
    return _case_store(settings.cases_table, settings.documents_bucket)


def tenant_directory() -> DynamoTenantDirectory:
    return DynamoTenantDirectory(get_settings().cases_table)


def reviewer_directory() -> DynamoAccessStore:
    """The tenant's users, custom roles and admin trail."""
    return DynamoAccessStore(get_settings().cases_table)


def document_storage() -> S3DocumentStorage:
    return S3DocumentStorage(get_settings().documents_bucket)


def document_fetch_queue() -> SqsWorkQueue:
    return SqsWorkQueue(get_settings().document_fetch_queue)


def event_publisher() -> EventBridgePublisher:
    return EventBridgePublisher(get_settings().event_bus)


def workflow_engine() -> StepFunctionsWorkflowEngine:
    return StepFunctionsWorkflowEngine()


def user_pool() -> CognitoUserPool:
    settings = get_settings()
    return CognitoUserPool(settings.user_pool_id, settings.user_pool_client_id)


@register
@functools.cache
def _token_verifier(jwks_url: str, issuer: str, client_id: str) -> TokenVerifier:
    return TokenVerifier(jwks_url=jwks_url, issuer=issuer, client_id=client_id)


def token_verifier() -> TokenVerifier:
    """One verifier (and one cached key set) per pool configuration."""
    settings = get_settings()
    return _token_verifier(settings.jwks_url, settings.token_issuer, settings.user_pool_client_id)


# -- webhooks (issue 5) ---------------------------------------------------------------------------
def webhook_store() -> DynamoWebhookStore:
    return DynamoWebhookStore(get_webhook_settings().table)


def webhook_queue() -> SqsDeliveryQueue:
    settings = get_webhook_settings()
    return SqsDeliveryQueue(settings.queue, settings.dead_letter_queue)


def default_webhook_secret() -> str:
    """`WEBHOOK_SECRET` locally; in the cloud the secret named by `WEBHOOK_SECRET_ARN`."""
    return secret_or_env(os.environ, "WEBHOOK_SECRET", "")


@register
@functools.cache
def _webhook_sender(timeout_seconds: float, allow_local: bool) -> HttpWebhookSender:
    return HttpWebhookSender(timeout_seconds, allow_local=allow_local)


def webhook_dispatcher(deadline: float | None = None) -> WebhookDispatcher:
    settings = get_webhook_settings()
    return WebhookDispatcher(
        store=webhook_store(),
        queue=webhook_queue(),
        sender=_webhook_sender(settings.timeout_seconds, settings.allow_local_receivers),
        cases=case_store(),
        default=DefaultSubscription(settings.default_url, default_webhook_secret()),
        delays=settings.retry_delays,
        timeout_seconds=settings.timeout_seconds,
        deadline=deadline,
        collection_link=lambda case, number: webhook_link(collection(), case, number),
    )


# -- the back-and-forth with the customer (issue 17) -----------------------------------------------
def collection_store() -> DynamoCollectionStore:
    return DynamoCollectionStore(get_settings().cases_table)


def collection() -> Collection:
    settings = get_collection_settings()
    return Collection(
        cases=case_store(),
        links=collection_store(),
        mailer=SesMailer(settings.email_sender) if settings.email_sender else None,
        base_url=settings.app_base_url,
        reminders_before=settings.reminders_before,
    )


# -- analytics (issue 18) -------------------------------------------------------------------------
def metrics_store() -> DynamoMetricsStore:
    return DynamoMetricsStore(get_analytics_table())


# -- SLAs (issue 18) ------------------------------------------------------------------------------
def sla_settings() -> DynamoSlaSettingsStore:
    return DynamoSlaSettingsStore(get_settings().cases_table)


def sla_timer_queue() -> SqsTimerQueue:
    return SqsTimerQueue(f"{get_settings().resource_prefix}-sla")


def work_queue(queue: str) -> SqsWorkQueue:
    return SqsWorkQueue(queue)


def plugin_queue() -> SqsWorkQueue:
    return SqsWorkQueue(get_settings().plugin_queue)


@register
@functools.cache
def _sanctions_lists(bucket: str) -> ListSource:
    return ListSource(S3DocumentStorage(bucket).get_object)


def vendor_secrets(tenant_id: str) -> dict[str, str]:
    """The tenant's vendor credentials (`{secret:NAME}` in http plugins, callback secrets)."""
    return tenant_vendor_secrets(get_settings().resource_prefix, tenant_id)


def plugin_providers() -> dict[str, Provider]:
    """The providers a plugin can name (docs/plugins.md)."""
    settings = get_settings()
    return {
        "sanctions": SanctionsProvider(_sanctions_lists(settings.documents_bucket).index),
        "registry": RegistryProvider(_sample_registry()),
        "http": HttpProvider(vendor_secrets, allow_local=settings.allow_loopback_fetch),
    }


def callback_store() -> DynamoCallbackStore:
    return DynamoCallbackStore(get_settings().cases_table)


def api_base_url() -> str:
    """Where vendors call back (`/api/*` is served on the app's origin)."""
    return get_collection_settings().app_base_url


@register
@functools.cache
def _sample_registry() -> SampleRegistry:
    return SampleRegistry()


# -- saved inbox views and case layouts (issue 20) ------------------------------------------------
def view_store() -> DynamoViewStore:
    return DynamoViewStore(get_settings().cases_table)


def layout_store() -> DynamoLayoutStore:
    return DynamoLayoutStore(get_settings().cases_table)


# -- workflow definitions published by admins (issue 20) ------------------------------------------
def definition_store() -> DynamoDefinitionStore:
    return DynamoDefinitionStore(get_settings().cases_table)
