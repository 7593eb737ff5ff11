"""SSRF-safe download of integrator-supplied page URLs.

Integrators hand us URLs; fetching them naively would let anyone make our Lambda talk to the
cloud metadata service, the VPC, or itself. So every URL (and every redirect hop) is vetted:
http(s) only, no credentials, and every address the host resolves to must be public. The
connection is then pinned to a vetted IP, so a DNS answer that changes between the check and the
connect (DNS rebinding) cannot steer us anywhere else. Bodies are size-capped and time-boxed, and
the content type is sniffed from the bytes rather than trusted from the sender.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from chalicelib.documents.content_types import ALLOWED_PAGE_TYPES, sniff_content_type

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Cloud metadata endpoints (AWS IPv4/IPv6, Alibaba). Checked before the generic ranges they sit
# in, so the audit trail says plainly that someone aimed at instance credentials.
_METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)

# Listed explicitly rather than via `is_private`, whose meaning shifts between Python versions
# and which lumps in ranges (0.0.0.0/8, documentation nets) we report as reserved instead.
_PRIVATE_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT; also used inside some VPCs
    ipaddress.ip_network("fc00::/7"),
)

# NAT64 well-known prefix: on a NAT64 network these reach the embedded IPv4 address.
_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


class FetchRefused(Exception):
    """The URL points somewhere we must never connect to, or its host has no address
    (NXDOMAIN, reason `unresolvable_host`); nothing was sent."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


class FetchFailed(Exception):
    """The URL was acceptable (or could not be judged yet: `dns_unavailable` when the resolver
    failed for now) but the download did not yield an acceptable page."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class FetchedFile:
    content: bytes
    content_type: str
    final_url: str


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one fetch. `allow_loopback` is for the local dev stack and tests only."""

    max_bytes: int = 10 * 1024 * 1024
    timeout_seconds: float = 10.0
    max_redirects: int = 3
    allowed_content_types: frozenset[str] = ALLOWED_PAGE_TYPES
    allow_loopback: bool = False


def _embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address really reaches (mapped, NAT64, 6to4), else itself.

    `::ffff:127.0.0.1` is loopback in disguise; classifying the IPv6 form would call it public.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64_PREFIX:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def _refusal_reason(ip: IPAddress, policy: FetchPolicy) -> str | None:
    """Why we must not connect to `ip`, or None when it is a public address."""
    ip = _embedded_ipv4(ip)
    if ip in _METADATA_ADDRESSES:
        return "metadata_address"
    if ip.is_loopback:
        return None if policy.allow_loopback else "loopback_address"
    if ip.is_link_local:
        return "link_local_address"
    if any(ip in network for network in _PRIVATE_NETWORKS if network.version == ip.version):
        return "private_address"
    # `is_global` alone misses multicast (224/4 counts as global), hence the explicit checks.
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved_address"
    return None


def _parse_url(url: str) -> httpx.URL:
    """Parse with httpx itself, so the host we vet is the host httpx would connect to."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchRefused("invalid_url", str(exc)) from exc
    if not parsed.scheme:
        raise FetchRefused("invalid_url", "URL has no scheme")
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise FetchRefused("scheme_not_allowed", f"scheme {parsed.scheme!r} is not allowed")
    if parsed.userinfo:
        raise FetchRefused("credentials_in_url", "URLs must not carry credentials")
    if not parsed.raw_host:
        raise FetchRefused("invalid_url", "URL has no host")
    return parsed


def _default_port(parsed: httpx.URL) -> int:
    return parsed.port or (443 if parsed.scheme == "https" else 80)


# getaddrinfo errors meaning the resolver could not answer now (SERVFAIL, timeout, local
# trouble), as opposed to EAI_NONAME/EAI_NODATA: the name has no address (NXDOMAIN).
_TEMPORARY_DNS_ERRORS = frozenset(
    getattr(socket, name)
    for name in ("EAI_AGAIN", "EAI_FAIL", "EAI_MEMORY", "EAI_SYSTEM")
    if hasattr(socket, name)
)


def _is_temporary_dns_failure(exc: Exception) -> bool:
    if isinstance(exc, socket.gaierror):
        return exc.errno in _TEMPORARY_DNS_ERRORS
    return isinstance(exc, TimeoutError)


def _vet(parsed: httpx.URL, policy: FetchPolicy, resolve: Resolver) -> list[str]:
    """Resolve the host and require every answer to be allowed; returns the vetted IPs.

    All answers, not just the first: a mixed public/private answer lets an attacker win whenever
    the connecting code happens to pick the private one.
    """
    host = parsed.raw_host.decode("ascii")
    try:
        answers = resolve(host, _default_port(parsed))
    except (OSError, UnicodeError, ValueError) as exc:  # socket.gaierror is an OSError
        if _is_temporary_dns_failure(exc):
            # Nothing is known about the address yet: a failure to retry, not a refusal.
            raise FetchFailed("dns_unavailable", f"{host}: {exc}") from exc
        raise FetchRefused("unresolvable_host", f"{host}: {exc}") from exc
    vetted: list[str] = []
    for answer in answers:
        address = str(answer[4][0]).split("%", 1)[0]  # drop any IPv6 zone id
        try:
            ip = ipaddress.ip_address(address)
        except ValueError as exc:
            raise FetchRefused("unresolvable_host", f"{host}: bad address {address!r}") from exc
        reason = _refusal_reason(ip, policy)
        if reason is not None:
            raise FetchRefused(reason, f"{host} resolves to {ip}")
        if str(ip) not in vetted:
            vetted.append(str(ip))
    if not vetted:
        raise FetchRefused("unresolvable_host", f"{host} has no addresses")
    return vetted


def check_url_allowed(
    url: str, policy: FetchPolicy, resolve: Resolver = socket.getaddrinfo
) -> list[str]:
    """Vet `url` for fetching; returns the allowed IP addresses or raises FetchRefused (or
    FetchFailed `dns_unavailable` when DNS cannot answer right now)."""
    return _vet(_parse_url(url), policy, resolve)


def pinned_request(
    client: httpx.Client,
    method: str,
    parsed: httpx.URL,
    ip: str,
    *,
    headers: dict[str, str],
    content: bytes | None = None,
) -> httpx.Request:
    """A request to the vetted `ip` that still looks (Host header, TLS SNI and certificate
    verification) like `parsed`, so DNS that changes after the check cannot steer it."""
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https":
        # TLS must still verify the certificate against the real name, not the IP.
        extensions["sni_hostname"] = parsed.raw_host.decode("ascii")
    return client.build_request(
        method,
        parsed.copy_with(host=ip),
        content=content,
        headers={**headers, "Host": parsed.netloc.decode("ascii")},
        extensions=extensions,
    )


def _deadline_transport(verify: ssl.SSLContext, deadline: float) -> httpx.HTTPTransport:
    # httpcore (with h11 and anyio) is imported on the first fetch, not with the app: httpx
    # itself defers it, and most invocations never fetch.
    from chalicelib.documents.deadline_transport import deadline_transport

    return deadline_transport(verify, deadline)


class PinnedClients:
    """Sends pinned requests, reusing a connection only for the host it was opened for.

    A pinned request's URL carries the vetted IP and httpx pools connections by URL origin, so
    one shared client would hand a connection opened (SNI sent, certificate verified) for
    `a.example` to a request for `b.example` on the same IP and port: one tenant's request on
    another's TLS session. Hence one client per (scheme, host name, port), each pooling by the
    pinned IP: a connection is reused only for the same (scheme, host name, port, IP).

    `transport` is a test double shared by every host; real clients each get their own pool.
    `verify` is the trust store (tests pass a context trusting their own CA). `deadline` (a
    `time.monotonic()` value) ends every connect, handshake, read and write by then.
    """

    def __init__(
        self,
        timeout_seconds: float,
        *,
        transport: httpx.BaseTransport | None = None,
        verify: ssl.SSLContext | None = None,
        deadline: float | None = None,
        max_hosts: int = 128,
    ) -> None:
        self._timeout = timeout_seconds
        self._transport = transport
        self._verify = verify
        self._deadline = deadline
        self._max_hosts = max_hosts
        self._lock = threading.Lock()
        self._clients: OrderedDict[tuple[str, str, int], httpx.Client] = OrderedDict()

    def _client(self, parsed: httpx.URL) -> httpx.Client:
        key = (parsed.scheme, parsed.raw_host.decode("ascii").lower(), _default_port(parsed))
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            if self._verify is None:
                # One trust store for all hosts: loading it per client costs milliseconds each.
                self._verify = httpx.create_ssl_context(trust_env=False)
            transport = self._transport
            if transport is None and self._deadline is not None:
                transport = _deadline_transport(self._verify, self._deadline)
            # trust_env=False: no proxies or .netrc credentials from the environment.
            client = httpx.Client(
                transport=transport,
                verify=self._verify,
                timeout=httpx.Timeout(self._timeout),
                follow_redirects=False,
                trust_env=False,
            )
            self._clients[key] = client
            if len(self._clients) > self._max_hosts:
                _, evicted = self._clients.popitem(last=False)
                evicted.close()
            return client

    def send(
        self,
        method: str,
        parsed: httpx.URL,
        ip: str,
        *,
        headers: dict[str, str],
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send to `ip` as `parsed`; the response is streamed (the caller reads and closes)."""
        client = self._client(parsed)
        request = pinned_request(client, method, parsed, ip, headers=headers, content=content)
        return client.send(request, stream=True)

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), OrderedDict()
        for client in clients:
            client.close()

    def __enter__(self) -> PinnedClients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _send_pinned(clients: PinnedClients, parsed: httpx.URL, addresses: list[str]) -> httpx.Response:
    """Send to the first vetted address that accepts a connection."""
    last_error: httpx.ConnectError | None = None
    for ip in addresses:
        try:
            # Ask for the raw bytes: the size cap then bounds what we actually hold in memory.
            return clients.send("GET", parsed, ip, headers={"Accept-Encoding": "identity"})
        except httpx.ConnectError as exc:
            last_error = exc
    raise FetchFailed("connection_error", str(last_error))


def _read_body(response: httpx.Response, policy: FetchPolicy, deadline: float) -> bytes:
    """Stream the body under the size cap and the overall deadline.

    httpx timeouts are per read, so a server dripping a byte at a time would never trip them;
    the deadline bounds the whole download.
    """
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise FetchFailed("too_large", f"declared {declared} bytes")
    body = bytearray()
    for chunk in response.iter_bytes():
        body.extend(chunk)
        if len(body) > policy.max_bytes:
            raise FetchFailed("too_large", f"more than {policy.max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchFailed("timeout", "download exceeded the time limit")
    return bytes(body)


def _content_type(content: bytes, response: httpx.Response, policy: FetchPolicy) -> str:
    """The type the bytes are (by their magic number); the declared type is never trusted, so
    HTML or script labelled `image/png` is not stored (and later served) as an image."""
    declared = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    content_type = sniff_content_type(content)
    if content_type is None and declared in policy.allowed_content_types:
        raise FetchFailed("content_mismatch", f"declared {declared} but the bytes are not one")
    if content_type is None or content_type not in policy.allowed_content_types:
        raise FetchFailed("content_type_not_allowed", content_type or declared or "unknown")
    return content_type


def fetch_remote_file(
    url: str,
    policy: FetchPolicy = FetchPolicy(),  # frozen, so a shared default is safe
    *,
    resolve: Resolver = socket.getaddrinfo,
    transport: httpx.BaseTransport | None = None,
    verify: ssl.SSLContext | None = None,
) -> FetchedFile:
    """Download `url` under `policy`, vetting every hop; raises FetchRefused or FetchFailed."""
    deadline = time.monotonic() + policy.timeout_seconds
    current = url
    # Per host, as for webhooks: a redirect to another name on the same address is a new connection.
    with PinnedClients(
        policy.timeout_seconds, transport=transport, verify=verify, deadline=deadline
    ) as clients:
        for _hop in range(policy.max_redirects + 1):
            parsed = _parse_url(current)
            addresses = _vet(parsed, policy, resolve)
            if time.monotonic() > deadline:
                raise FetchFailed("timeout", "download exceeded the time limit")
            try:
                response = _send_pinned(clients, parsed, addresses)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECT_STATUSES and location:
                        # Resolve relative to the original URL, never the pinned one.
                        current = str(parsed.join(location))
                        continue
                    if not 200 <= response.status_code < 300:
                        raise FetchFailed(f"http_status_{response.status_code}")
                    content = _read_body(response, policy, deadline)
                finally:
                    response.close()
            except httpx.TimeoutException as exc:
                raise FetchFailed("timeout", str(exc)) from exc
            except httpx.InvalidURL as exc:
                raise FetchRefused("invalid_url", str(exc)) from exc
            except httpx.HTTPError as exc:
                raise FetchFailed("connection_error", str(exc)) from exc
            return FetchedFile(
                content=content,
                content_type=_content_type(content, response, policy),
                final_url=current,
            )
    raise FetchFailed("too_many_redirects", f"more than {policy.max_redirects} redirects")
