"""Collection timers: reminder emails before a round's links expire, and the expiry flag.
Invoked on a schedule (locally by the pump's timer, `local/pump.py`); each run handles what is
due, a bounded batch at a time."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.collection.service import run_due_timers
from chalicelib.dependencies import collection
from chalicelib.observability import logger

collection_timers = Blueprint(__name__)


@collection_timers.lambda_function(name="collection_timers")
def run_collection_timers(event: dict[str, Any], context: Any) -> dict[str, int]:
    counts = run_due_timers(collection())
    if counts["reminder"] or counts["expiry"]:
        logger.info("collection timers fired", extra=counts)
    return counts
