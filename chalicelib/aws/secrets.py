"""Secrets Manager adapter: settings whose value lives in a secret in the cloud.

In the cloud a function's environment names the secret (`<NAME>_SECRET_ARN`), never its value;
locally and in tests the value is the plain `<NAME>` variable and no AWS call is made.
A secret is read once per process (a warm function costs nothing); rotating it takes effect as
functions are recycled, or at once after a deploy.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import boto3

from chalicelib.caches import register


@register
@functools.cache
def secrets_client() -> Any:
    return boto3.client("secretsmanager")


@register
@functools.cache
def secret_string(secret_id: str) -> str:
    return str(secrets_client().get_secret_value(SecretId=secret_id)["SecretString"])


def secret_or_env(env: Mapping[str, str], name: str, default: str) -> str:
    """The secret named by `<name>_SECRET_ARN` if set, else the `<name>` variable, else default."""
    secret_id = env.get(f"{name}_SECRET_ARN")
    if secret_id:
        return secret_string(secret_id)
    return env.get(name, default)


@register
@functools.cache
def tenant_vendor_secrets(prefix: str, tenant_id: str) -> dict[str, str]:
    """The tenant's vendor credentials (`<prefix>/vendors/<tenant>`, a JSON object of strings),
    for the http plugins' `{secret:NAME}` headers; none if the tenant has no such secret."""
    from botocore.exceptions import ClientError

    try:
        raw = secret_string(f"{prefix}/vendors/{tenant_id}")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return {}
        raise
    value = json.loads(raw)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
