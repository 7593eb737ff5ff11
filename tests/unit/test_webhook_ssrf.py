"""Subscription URLs outside local mode: https only, and never an internal address."""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from chalicelib.errors import InvalidRequest
from chalicelib.models.webhooks import CreateSubscriptionRequest
from chalicelib.webhooks.sender import HttpWebhookSender
from chalicelib.webhooks.store import InMemoryWebhookStore
from chalicelib.webhooks.subscriptions import create_subscription
from chalicelib.webhooks.urls import WebhookUrlRefused, vet_webhook_url


def resolving_to(*addresses: str) -> Any:
    def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        return [(2, 1, 6, "", (address, port)) for address in addresses]

    return resolve


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("http://hooks.example.com/in", ["93.184.216.34"], "https_required"),
        ("ftp://hooks.example.com/in", ["93.184.216.34"], "https_required"),
        ("https://localhost/in", ["127.0.0.1"], "loopback_address"),
        ("https://127.0.0.1/in", ["127.0.0.1"], "loopback_address"),
        ("https://[::1]/in", ["::1"], "loopback_address"),
        ("https://metadata.example/in", ["169.254.169.254"], "metadata_address"),
        ("https://ec2-v6.example/in", ["fd00:ec2::254"], "metadata_address"),
        ("https://link.example/in", ["169.254.10.10"], "link_local_address"),
        ("https://intranet.example/in", ["10.1.2.3"], "private_address"),
        ("https://vpc.example/in", ["172.16.5.5"], "private_address"),
        ("https://home.example/in", ["192.168.1.1"], "private_address"),
        ("https://cgnat.example/in", ["100.64.0.1"], "private_address"),
        ("https://mapped.example/in", ["::ffff:127.0.0.1"], "loopback_address"),
        ("https://mixed.example/in", ["93.184.216.34", "10.0.0.1"], "private_address"),
        ("https://zero.example/in", ["0.0.0.0"], "reserved_address"),
        ("https://user:pw@hooks.example.com/in", ["93.184.216.34"], "credentials_in_url"),
    ],
)
def test_internal_or_insecure_urls_are_refused_outside_local_mode(
    url: str, addresses: list[str], reason: str
) -> None:
    with pytest.raises(WebhookUrlRefused) as refused:
        vet_webhook_url(url, allow_local=False, resolve=resolving_to(*addresses))
    assert refused.value.reason == reason


def test_unresolvable_hosts_are_refused() -> None:
    def fail(host: str, port: int) -> list[tuple[Any, ...]]:
        raise OSError("no such host")

    with pytest.raises(WebhookUrlRefused) as refused:
        vet_webhook_url("https://nope.invalid/in", allow_local=False, resolve=fail)
    assert refused.value.reason == "unresolvable_host"


def test_public_https_urls_are_accepted() -> None:
    assert vet_webhook_url(
        "https://hooks.example.com/in", allow_local=False, resolve=resolving_to("93.184.216.34")
    ) == ["93.184.216.34"]


def test_local_mode_allows_http_to_loopback_but_still_not_private_addresses() -> None:
    assert vet_webhook_url(
        "http://127.0.0.1:9000/in", allow_local=True, resolve=resolving_to("127.0.0.1")
    ) == ["127.0.0.1"]
    with pytest.raises(WebhookUrlRefused):
        vet_webhook_url("http://10.0.0.1/in", allow_local=True, resolve=resolving_to("10.0.0.1"))


def _dns_cannot_answer_now(host: str, port: int) -> list[tuple[Any, ...]]:
    raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")


@pytest.mark.parametrize(
    ("resolve", "reason"),
    [
        (resolving_to("169.254.169.254"), "metadata_address"),
        (_dns_cannot_answer_now, "dns_unavailable"),  # cannot be checked now: 400, not 500
    ],
    ids=["metadata", "dns-unavailable"],
)
def test_creating_a_subscription_to_an_internal_url_is_a_400_with_the_reason(
    resolve: Any, reason: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        create_subscription(
            InMemoryWebhookStore(),
            "demo",
            CreateSubscriptionRequest(url="https://metadata.example/latest"),
            created_by="admin",
            allow_local=False,
            resolve=resolve,
        )
    assert refused.value.details[0]["type"] == reason


def test_the_sender_revets_at_delivery_time_and_pins_the_vetted_address() -> None:
    """DNS can change after the subscription was accepted (rebinding): every attempt re-checks,
    and connects to the address it checked, never redirects."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"location": "http://169.254.169.254/"})

    answers = iter([["93.184.216.34"], ["10.0.0.7"]])
    sender = HttpWebhookSender(
        5,
        allow_local=False,
        resolve=lambda host, port: resolving_to(*next(answers))(host, port),
        transport=httpx.MockTransport(handler),
    )
    first = sender.send("https://hooks.example.com/in", "{}", {"webhook-id": "msg_1"})
    assert first.status_code == 302 and len(seen) == 1  # not followed
    assert seen[0].url.host == "93.184.216.34"
    assert seen[0].headers["host"] == "hooks.example.com"
    assert seen[0].extensions["sni_hostname"] == "hooks.example.com"
    second = sender.send("https://hooks.example.com/in", "{}", {"webhook-id": "msg_1"})
    assert second.refused and "private_address" in (second.error or "") and len(seen) == 1


def test_the_sender_reports_timeouts_and_retry_after() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    sender = HttpWebhookSender(
        1, allow_local=True, transport=httpx.MockTransport(slow), resolve=resolving_to("127.0.0.1")
    )
    result = sender.send("http://127.0.0.1:1/in", "{}", {})
    assert result.status_code is None and (result.error or "").startswith("timeout")

    busy = HttpWebhookSender(
        1,
        allow_local=True,
        resolve=resolving_to("127.0.0.1"),
        transport=httpx.MockTransport(lambda r: httpx.Response(429, headers={"retry-after": "7"})),
    )
    assert busy.send("http://127.0.0.1:1/in", "{}", {}).retry_after == 7
