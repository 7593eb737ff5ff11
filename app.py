"""The Chalice application: creates `app` and registers the blueprints. No logic lives here."""

from __future__ import annotations

from typing import Any

from chalice import Chalice

from chalicelib.handlers.admin_api import admin_api
from chalicelib.handlers.analytics_api import analytics_api
from chalicelib.handlers.auth_api import auth_api
from chalicelib.handlers.backoffice_api import backoffice_api
from chalicelib.handlers.collect_api import (
    collect_api,
    collection_backoffice_api,
    collection_external_api,
)
from chalicelib.handlers.collection_timers import collection_timers
from chalicelib.handlers.decisions_api import decisions_api
from chalicelib.handlers.definitions_api import definitions_api
from chalicelib.handlers.document_fetch import document_fetch
from chalicelib.handlers.external_api import external_api
from chalicelib.handlers.http import error_envelope_middleware
from chalicelib.handlers.layouts_api import layouts_api
from chalicelib.handlers.metrics_consumer import metrics_consumer
from chalicelib.handlers.openapi_api import openapi_api
from chalicelib.handlers.outbox_publisher import outbox_publisher
from chalicelib.handlers.plugin_worker import plugin_worker
from chalicelib.handlers.settings_api import settings_api
from chalicelib.handlers.sla_timers import sla_timers
from chalicelib.handlers.views_api import views_api
from chalicelib.handlers.webhook_delivery import webhook_delivery
from chalicelib.handlers.webhooks_api import webhooks_api
from chalicelib.handlers.workflow_tasks import workflow_tasks
from chalicelib.observability import flush_metrics

app = Chalice(app_name="kyc-backoffice")
# Registered first, so it wraps every other middleware: whatever fails, and whatever Chalice
# answers itself, leaves in the one error envelope.
app.register_middleware(error_envelope_middleware, "http")
app.register_blueprint(auth_api, url_prefix="/api/v1/auth")
app.register_blueprint(external_api, url_prefix="/api/v1/external")
app.register_blueprint(backoffice_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(decisions_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(openapi_api, url_prefix="/api/v1")
app.register_blueprint(outbox_publisher)
app.register_blueprint(workflow_tasks)
app.register_blueprint(plugin_worker)
app.register_blueprint(document_fetch)
app.register_blueprint(webhooks_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(admin_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(webhook_delivery)
app.register_blueprint(analytics_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(metrics_consumer)
app.register_blueprint(settings_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(sla_timers)
app.register_blueprint(collection_backoffice_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(collection_external_api, url_prefix="/api/v1/external")
app.register_blueprint(collect_api, url_prefix="/api/v1/collect")
app.register_blueprint(collection_timers)
app.register_blueprint(views_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(layouts_api, url_prefix="/api/v1/backoffice")
app.register_blueprint(definitions_api, url_prefix="/api/v1/backoffice")


@app.middleware("all")
def publish_metrics(event: Any, get_response: Any) -> Any:
    try:
        return get_response(event)
    finally:
        flush_metrics()
