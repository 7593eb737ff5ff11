"""One HTTP attempt: POST the signed body to a vetted, pinned address; classify the answer."""

from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

from chalicelib.documents.remote_fetch import PinnedClients, Resolver
from chalicelib.webhooks.retry import parse_retry_after
from chalicelib.webhooks.urls import WebhookHostUnresolved, WebhookUrlRefused, vet_webhook_url

MAX_RESPONSE_BYTES = 64 * 1024  # read (and drop) at most this much, so keep-alive can reuse it


@dataclass(frozen=True)
class SendResult:
    status_code: int | None = None
    latency_ms: float = 0.0
    # "timeout: ...", "connection_error: ...", "dns_error:<reason>: ...", "refused:<reason>: ..."
    error: str | None = None
    retry_after: float | None = None
    refused: bool = False


class WebhookSender(Protocol):
    def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult: ...


class HttpWebhookSender:
    """httpx, no redirects followed (a redirect could point past the SSRF guard), no proxies or
    credentials from the environment, and the connection pinned to the address we vetted, so DNS
    that changes between check and connect (rebinding) cannot steer the POST elsewhere."""

    def __init__(
        self,
        timeout_seconds: float,
        *,
        allow_local: bool,
        resolve: Resolver = socket.getaddrinfo,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self._allow_local = allow_local
        self._resolve = resolve
        # One set per process: connections to a receiver are reused across attempts, never
        # across receivers' host names (see PinnedClients).
        self._clients = PinnedClients(timeout_seconds, transport=transport, verify=verify)

    def send(self, url: str, body: str, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        try:
            addresses = vet_webhook_url(url, allow_local=self._allow_local, resolve=self._resolve)
        except WebhookHostUnresolved as exc:
            # Retried like a connection error: only a forbidden address is a refusal.
            return SendResult(latency_ms=_ms(started), error=f"dns_error:{exc.reason}: {exc}")
        except WebhookUrlRefused as exc:
            return SendResult(error=f"refused:{exc.reason}: {exc}", refused=True)
        parsed = httpx.URL(url)
        last_error = "connection_error: no address accepted the connection"
        for ip in addresses:
            try:
                response = self._clients.send(
                    "POST", parsed, ip, headers=headers, content=body.encode()
                )
            except httpx.ConnectError as exc:
                last_error = f"connection_error: {exc}"
                continue
            except httpx.TimeoutException as exc:
                return SendResult(latency_ms=_ms(started), error=f"timeout: {exc!r}")
            except httpx.HTTPError as exc:
                return SendResult(latency_ms=_ms(started), error=f"connection_error: {exc!r}")
            try:
                _drain(response)
            except httpx.TimeoutException as exc:
                return SendResult(latency_ms=_ms(started), error=f"timeout: {exc!r}")
            except httpx.HTTPError:
                pass  # the status line arrived; a broken body does not change the outcome
            finally:
                response.close()
            return SendResult(
                status_code=response.status_code,
                latency_ms=_ms(started),
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        return SendResult(latency_ms=_ms(started), error=last_error)


def _drain(response: httpx.Response) -> None:
    read = 0
    for chunk in response.iter_bytes():
        read += len(chunk)
        if read > MAX_RESPONSE_BYTES:
            return


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
