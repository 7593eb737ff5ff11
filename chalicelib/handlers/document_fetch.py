"""Document-fetch consumer: downloads integrators' remote pages into S3, SSRF-safely."""

from __future__ import annotations

from functools import partial
from typing import Any

from chalice import Blueprint

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, document_storage
from chalicelib.documents.fetching import fetch_pending_pages
from chalicelib.documents.remote_fetch import FetchPolicy, fetch_remote_file
from chalicelib.handlers.consumers import domain_event_from_rule_message, process_sqs_batch

document_fetch = Blueprint(__name__)


def _fetch(body: dict[str, Any]) -> None:
    event = domain_event_from_rule_message(body)
    policy = FetchPolicy(allow_loopback=get_settings().allow_loopback_fetch)
    fetch_pending_pages(
        case_store(),
        document_storage(),
        event.tenant_id,
        event.case_id,
        partial(fetch_remote_file, policy=policy),
    )


@document_fetch.lambda_function(name="document_fetch")
def fetch_documents(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_sqs_batch(event, context, _fetch)
