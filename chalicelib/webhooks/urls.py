"""Which subscription URLs we may POST to: the document fetcher's SSRF guard, plus https.

The address checks (loopback, link-local, private, metadata, reserved, IPv4 hidden in IPv6) are
`chalicelib.documents.remote_fetch`'s, not a copy: one guard to keep right. Webhooks add that the
scheme must be https, except in local mode (the one-machine stack and tests, where
`ALLOW_LOOPBACK_FETCH=true`) where http to loopback is what lets a receiver on the same machine
work. Private addresses stay refused even locally.
"""

from __future__ import annotations

import socket

import httpx

from chalicelib.documents.remote_fetch import (
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    Resolver,
    check_url_allowed,
)


class WebhookUrlRefused(Exception):
    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class WebhookHostUnresolved(WebhookUrlRefused):
    """The host gave no address (`unresolvable_host`) or DNS could not answer now
    (`dns_unavailable`). A new subscription is refused (the URL cannot be checked), but a
    delivery retries on its schedule: nothing says the URL is forbidden, and a name that
    resolved when the subscription was accepted more likely suffers an outage than an attack."""


def vet_webhook_url(
    url: str, *, allow_local: bool, resolve: Resolver = socket.getaddrinfo
) -> list[str]:
    """The vetted IP addresses for `url`, or WebhookUrlRefused saying why not."""
    try:
        scheme = httpx.URL(url).scheme
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise WebhookUrlRefused("invalid_url", str(exc)) from exc
    if scheme != "https" and not (allow_local and scheme == "http"):
        raise WebhookUrlRefused("https_required", "webhook URLs must use https")
    try:
        return check_url_allowed(url, FetchPolicy(allow_loopback=allow_local), resolve)
    except FetchFailed as exc:  # dns_unavailable
        raise WebhookHostUnresolved(exc.reason, str(exc)) from exc
    except FetchRefused as exc:
        if exc.reason == "unresolvable_host":
            raise WebhookHostUnresolved(exc.reason, str(exc)) from exc
        raise WebhookUrlRefused(exc.reason, str(exc)) from exc
