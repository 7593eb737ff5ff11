"""The plugin worker's consumer: runs the plugins the executions' plugin steps (and reviewers'
re-runs) queue, one message at a time (see `chalicelib/plugins/worker.py`)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.dependencies import (
    api_base_url,
    callback_store,
    case_store,
    plugin_providers,
    workflow_engine,
)
from chalicelib.handlers.consumers import process_sqs_batch
from chalicelib.plugins.worker import handle_message

plugin_worker = Blueprint(__name__)


def _handle(body: dict[str, Any]) -> None:
    handle_message(
        body,
        store=case_store(),
        providers=plugin_providers(),
        tasks=workflow_engine(),
        callbacks=callback_store(),
        api_base_url=api_base_url(),
    )


@plugin_worker.lambda_function(name="plugin_worker")
def run_plugins(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _handle)
