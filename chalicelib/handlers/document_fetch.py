"""Document-fetch consumer: downloads integrators' remote pages into S3, SSRF-safely.

Each invocation fetches only what its time can cover: a page fetch starts only while the Lambda
context leaves room for a whole fetch (`FetchPolicy.timeout_seconds`, a hard limit) plus a margin.
Cases whose pages could not all be fetched are handed back as a new copy of their message, and
the original counts as processed. A copy starts with a fresh receive count; reporting the message
as a batch failure (or setting its visibility to 0) would count a receive each time, so another
tenant's slow URLs could push a message to the DLQ without anything having failed. A duplicate
copy is harmless: only pages still pending are fetched.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from chalice import Blueprint

from chalicelib.config import get_settings
from chalicelib.dependencies import case_store, document_fetch_queue, document_storage
from chalicelib.documents.fetching import fetch_pending_pages
from chalicelib.documents.remote_fetch import FetchPolicy, fetch_remote_file
from chalicelib.handlers.consumers import (
    InvocationBudget,
    domain_event_from_rule_message,
    process_sqs_batch,
)

document_fetch = Blueprint(__name__)

# Kept back after the last fetch for its S3 and DynamoDB writes and the hand-backs.
BUDGET_MARGIN_SECONDS = 5.0


@document_fetch.lambda_function(name="document_fetch")
def fetch_documents(event: dict[str, Any], context: Any) -> dict[str, Any]:
    policy = FetchPolicy(allow_loopback=get_settings().allow_loopback_fetch)
    budget = InvocationBudget(context, BUDGET_MARGIN_SECONDS)

    def fetch(body: dict[str, Any]) -> None:
        case = domain_event_from_rule_message(body)
        outcome = fetch_pending_pages(
            case_store(),
            document_storage(),
            case.tenant_id,
            case.case_id,
            partial(fetch_remote_file, policy=policy),
            has_time=lambda: budget.allows(policy.timeout_seconds),
        )
        if "pending" in outcome.values():
            document_fetch_queue().send(json.dumps(body))

    return process_sqs_batch(event, context, fetch)
