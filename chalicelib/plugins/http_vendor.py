"""The `http` provider: a JSON-over-HTTPS vendor call declared in the definition.

The URL and header values are templates: `{name}` takes the plugin's mapped input (URL-encoded
in the URL), `{secret:NAME}` a field of the tenant's vendor secret (Secrets Manager; never
logged or recorded). The URL is vetted by the webhook SSRF guard (`vet_webhook_url`: https only,
public addresses only) and the connection pinned to the vetted address (`PinnedClients`), the
same way webhooks are sent. A timeout, a 5xx, a 429 or a body that is not a JSON object fails
the attempt (the step's `Retry` decides on another); a 4xx other than 429 fails it as an input
error.
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from chalicelib.documents.remote_fetch import PinnedClients, Resolver
from chalicelib.plugins.providers import ProviderAnswer, ProviderError, ProviderInputError
from chalicelib.webhooks.urls import WebhookUrlRefused, vet_webhook_url
from chalicelib.workflows.definition import PluginSpec

MAX_RESPONSE_BYTES = 1024 * 1024
_PLACEHOLDER = re.compile(r"\{(secret:)?([A-Za-z0-9_.-]+)\}")

# The tenant's vendor secret: field name -> value.
VendorSecrets = Callable[[str], dict[str, str]]


class HttpProvider:
    def __init__(
        self,
        secrets: VendorSecrets,
        *,
        allow_local: bool = False,
        resolve: Resolver = socket.getaddrinfo,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._secrets = secrets
        self._allow_local = allow_local
        self._resolve = resolve
        self._transport = transport

    def run(self, payload: dict[str, Any], spec: PluginSpec, *, tenant_id: str) -> ProviderAnswer:
        request = spec.request
        if request is None:
            raise ProviderInputError("the http provider needs a request")
        secrets: dict[str, str] | None = None

        def fill(template: str, *, in_url: bool) -> str:
            nonlocal secrets

            def value(match: re.Match[str]) -> str:
                nonlocal secrets
                if match.group(1):
                    if in_url:
                        raise ProviderInputError("secrets go in headers, never in the URL")
                    secrets = secrets if secrets is not None else self._secrets(tenant_id)
                    if match.group(2) not in secrets:
                        raise ProviderInputError(f"the vendor secret has no `{match.group(2)}`")
                    return secrets[match.group(2)]
                found = payload.get(match.group(2))
                text = "" if found is None else str(found)
                return quote(text, safe="") if in_url else text

            return _PLACEHOLDER.sub(value, template)

        url = fill(request.url, in_url=True)
        headers = {name: fill(v, in_url=False) for name, v in request.headers.items()}
        try:
            addresses = vet_webhook_url(url, allow_local=self._allow_local, resolve=self._resolve)
        except WebhookUrlRefused as exc:
            raise ProviderInputError(f"the vendor URL is refused: {exc.reason}") from exc
        body = None if request.method == "GET" else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json", **headers}
        deadline = time.monotonic() + spec.timeout_seconds
        with PinnedClients(
            spec.timeout_seconds, transport=self._transport, deadline=deadline
        ) as clients:
            parsed = httpx.URL(url)
            try:
                response = clients.send(
                    request.method, parsed, addresses[0], headers=headers, content=body
                )
                content = response.read()[: MAX_RESPONSE_BYTES + 1]
            except httpx.TimeoutException as exc:
                raise ProviderError(f"the vendor timed out after {spec.timeout_seconds} s") from exc
            except httpx.HTTPError as exc:
                raise ProviderError(
                    f"the vendor could not be reached: {type(exc).__name__}"
                ) from exc
        status = response.status_code
        if status >= 500 or status == 429:
            raise ProviderError(f"the vendor answered {status}")
        if status >= 400:
            raise ProviderInputError(f"the vendor refused the request: {status}")
        if spec.callback is not None:
            # An asynchronous vendor's 2xx only acknowledges: its answer comes by callback.
            return ProviderAnswer(data={}, version=response.headers.get("x-api-version"))
        if len(content) > MAX_RESPONSE_BYTES:
            raise ProviderError("the vendor's answer is over 1 MB")
        try:
            data = json.loads(content)
        except ValueError as exc:
            raise ProviderError("the vendor's answer is not JSON") from exc
        if not isinstance(data, dict):
            raise ProviderError("the vendor's answer is not a JSON object")
        return ProviderAnswer(data=data, version=response.headers.get("x-api-version"))
