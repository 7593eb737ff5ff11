"""Idempotent requests (the `Idempotency-Key` header) with Powertools' DynamoDB persistence."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.caches import register
from chalicelib.errors import Conflict, Unprocessable

KEEP_RESPONSES_SECONDS = 24 * 60 * 60

_CONFIG = IdempotencyConfig(
    event_key_jmespath="key",
    payload_validation_jmespath="payload",
    expires_after_seconds=KEEP_RESPONSES_SECONDS,
)


@register
@functools.cache
def _persistence(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(table_name=table_name, boto3_client=boto3.client("dynamodb"))


def run_once(
    table_name: str,
    *,
    scope: str,
    key: str,
    payload: Any,
    action: Callable[[], dict[str, Any]],
    lambda_context: Any = None,
) -> dict[str, Any]:
    """Run `action` once per (scope, key); a retry returns the first result.

    Reusing a key with a different payload is a client error, and a retry that arrives while
    the first attempt still runs is a conflict. With the invocation's Lambda context, an attempt
    that dies with its invocation (a timeout) stops counting as "in progress" when the
    invocation's time runs out, instead of blocking the key until the record expires.
    """
    if lambda_context is not None:
        _CONFIG.register_lambda_context(lambda_context)

    def once(request: dict[str, Any]) -> dict[str, Any]:
        return action()

    # Powertools types its decorator as returning Any; the wrapper keeps `once`'s signature.
    guarded: Callable[..., dict[str, Any]] = idempotent_function(
        once,
        data_keyword_argument="request",
        persistence_store=_persistence(table_name),
        config=_CONFIG,
        key_prefix=scope,
    )

    try:
        return guarded(request={"key": f"{scope}:{key}", "payload": payload})
    except IdempotencyValidationError as exc:
        raise Unprocessable("this Idempotency-Key was used with a different request") from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Conflict("a request with this Idempotency-Key is still in progress") from exc
