"""SSRF-safe remote page fetching: address vetting, pinning, redirects, caps and content types."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image

from chalicelib.documents.remote_fetch import (
    FetchedFile,
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    check_url_allowed,
    fetch_remote_file,
)

PUBLIC_IP = "93.184.216.34"
PUBLIC_IPV6 = "2606:2800:220:1:248:1893:25c8:1946"
LOOPBACK_OK = FetchPolicy(allow_loopback=True)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = _png()


def fake_resolver(mapping: dict[str, list[str]]) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo stand-in answering from `mapping` (unknown hosts fail like real DNS)."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answers: list[tuple[Any, ...]] = []
        for address in mapping[host]:
            if ":" in address:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    return resolve


# --- vetting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback_address"),
        ("http://127.1.2.3:8080/x.png", "loopback_address"),
        ("http://localhost/", "loopback_address"),
        ("http://[::1]/", "loopback_address"),
        ("http://[::ffff:127.0.0.1]/", "loopback_address"),
        ("http://2130706433/", "loopback_address"),
        ("http://0x7f000001/", "loopback_address"),
        ("http://0177.0.0.1/", "invalid_url"),  # httpx rejects octal dotted quads outright
        ("http://169.254.169.254/latest/meta-data/", "metadata_address"),
        ("http://[fd00:ec2::254]/", "metadata_address"),
        ("http://100.100.100.200/", "metadata_address"),
        ("http://[::ffff:169.254.169.254]/", "metadata_address"),
        ("http://169.254.10.1/", "link_local_address"),
        ("http://[fe80::1]/", "link_local_address"),
        ("http://10.0.0.1/", "private_address"),
        ("http://192.168.1.1/", "private_address"),
        ("http://172.16.0.1/", "private_address"),
        ("http://100.64.0.1/", "private_address"),
        ("http://[fd12:3456::1]/", "private_address"),
        ("http://[::ffff:10.0.0.1]/", "private_address"),
        ("http://[64:ff9b::a00:1]/", "private_address"),
        ("http://0.0.0.0/", "reserved_address"),
        ("http://224.0.0.1/", "reserved_address"),
        ("http://240.0.0.1/", "reserved_address"),
        ("http://[::]/", "reserved_address"),
        ("ftp://example.com/page.png", "scheme_not_allowed"),
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("gopher://127.0.0.1:70/_", "scheme_not_allowed"),
        ("http://user:pass@example.com/page.png", "credentials_in_url"),
        ("https://user@example.com/page.png", "credentials_in_url"),
        ("not a url", "invalid_url"),
        ("http:///no-host", "invalid_url"),
        ("http://[::1/", "invalid_url"),
    ],
)
def test_refuses_unsafe_urls_with_the_real_resolver(url: str, reason: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        check_url_allowed(url, FetchPolicy())
    assert refused.value.reason == reason
    with pytest.raises(FetchRefused) as refused_fetch:
        fetch_remote_file(url)
    assert refused_fetch.value.reason == reason


@pytest.mark.parametrize(
    ("addresses", "reason"),
    [
        (["127.0.0.1"], "loopback_address"),
        (["::1"], "loopback_address"),
        (["10.1.2.3"], "private_address"),
        (["169.254.169.254"], "metadata_address"),
        ([PUBLIC_IP, "10.0.0.5"], "private_address"),
        (["192.168.0.10", PUBLIC_IP], "private_address"),
        ([PUBLIC_IPV6, "::ffff:127.0.0.1"], "loopback_address"),
    ],
)
def test_refuses_hostnames_resolving_to_unsafe_addresses(addresses: list[str], reason: str) -> None:
    resolve = fake_resolver({"evil.example.com": addresses})
    with pytest.raises(FetchRefused) as refused:
        check_url_allowed("https://evil.example.com/page.png", FetchPolicy(), resolve)
    assert refused.value.reason == reason


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(FetchRefused) as refused:
        check_url_allowed("https://nowhere.invalid/p.png", FetchPolicy(), fake_resolver({}))
    assert refused.value.reason == "unresolvable_host"


@pytest.mark.parametrize(
    "error",
    [
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        socket.gaierror(socket.EAI_FAIL, "Non-recoverable failure in name resolution"),
        TimeoutError("resolver timed out"),
    ],
    ids=["eai-again", "eai-fail", "timeout"],
)
def test_a_resolver_failure_is_a_fetch_failure_not_a_refusal(error: Exception) -> None:
    """DNS that cannot answer right now says nothing about where the host points."""

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        raise error

    with pytest.raises(FetchFailed) as failed:
        check_url_allowed("https://flaky.example.com/p.png", FetchPolicy(), resolve)
    assert failed.value.reason == "dns_unavailable"
    with pytest.raises(FetchFailed) as failed_fetch:
        fetch_remote_file("https://flaky.example.com/p.png", resolve=resolve)
    assert failed_fetch.value.reason == "dns_unavailable"


def test_empty_resolution_is_refused() -> None:
    resolve = fake_resolver({"empty.example.com": []})
    with pytest.raises(FetchRefused) as refused:
        check_url_allowed("https://empty.example.com/p.png", FetchPolicy(), resolve)
    assert refused.value.reason == "unresolvable_host"


def test_public_addresses_are_allowed() -> None:
    resolve = fake_resolver({"images.example.com": [PUBLIC_IP, PUBLIC_IPV6, PUBLIC_IP]})
    assert check_url_allowed("https://images.example.com/a.png", FetchPolicy(), resolve) == [
        PUBLIC_IP,
        PUBLIC_IPV6,
    ]


def test_allow_loopback_allows_only_loopback() -> None:
    assert check_url_allowed("http://127.0.0.1:9/", LOOPBACK_OK) == ["127.0.0.1"]
    assert check_url_allowed("http://[::1]:9/", LOOPBACK_OK) == ["::1"]
    for url, reason in [
        ("http://169.254.169.254/", "metadata_address"),
        ("http://10.0.0.1/", "private_address"),
        ("http://169.254.1.1/", "link_local_address"),
    ]:
        with pytest.raises(FetchRefused) as refused:
            check_url_allowed(url, LOOPBACK_OK)
        assert refused.value.reason == reason


# --- pinning (mock transport) ----------------------------------------------------------------


def test_connects_to_the_pinned_ip_with_the_original_host() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=PNG, headers={"content-type": "image/png"})

    fetched = fetch_remote_file(
        "https://images.example.com/scans/p1.png?v=2",
        resolve=fake_resolver({"images.example.com": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )

    assert fetched == FetchedFile(
        content=PNG,
        content_type="image/png",
        final_url="https://images.example.com/scans/p1.png?v=2",
    )
    (request,) = seen
    assert request.url.host == PUBLIC_IP
    assert request.url.scheme == "https"
    assert request.url.raw_path == b"/scans/p1.png?v=2"
    assert request.headers["host"] == "images.example.com"
    assert request.extensions["sni_hostname"] == "images.example.com"


def test_pins_ipv6_and_keeps_a_non_default_port_in_the_host_header() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=PNG)

    fetch_remote_file(
        "http://images.example.com:8080/p.png",
        resolve=fake_resolver({"images.example.com": [PUBLIC_IPV6]}),
        transport=httpx.MockTransport(handler),
    )
    (request,) = seen
    assert request.url.host == PUBLIC_IPV6
    assert request.url.port == 8080
    assert request.headers["host"] == "images.example.com:8080"
    assert "sni_hostname" not in request.extensions


def test_each_redirect_hop_is_re_vetted_and_pinned() -> None:
    resolve = fake_resolver(
        {"a.example.com": [PUBLIC_IP], "b.example.com": ["10.0.0.7"], "c.example.com": ["1.1.1.1"]}
    )
    hosts: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append((request.url.host, request.headers["host"]))
        if request.headers["host"] == "a.example.com":
            return httpx.Response(302, headers={"location": "https://c.example.com/p.png"})
        return httpx.Response(200, content=PNG)

    fetched = fetch_remote_file(
        "https://a.example.com/start", resolve=resolve, transport=httpx.MockTransport(handler)
    )
    assert fetched.final_url == "https://c.example.com/p.png"
    assert hosts == [(PUBLIC_IP, "a.example.com"), ("1.1.1.1", "c.example.com")]

    def to_private(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "http://b.example.com/internal"})

    with pytest.raises(FetchRefused) as refused:
        fetch_remote_file(
            "https://a.example.com/", resolve=resolve, transport=httpx.MockTransport(to_private)
        )
    assert refused.value.reason == "private_address"


def test_redirect_to_a_non_http_scheme_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "file:///etc/passwd"})

    with pytest.raises(FetchRefused) as refused:
        fetch_remote_file(
            "https://a.example.com/",
            resolve=fake_resolver({"a.example.com": [PUBLIC_IP]}),
            transport=httpx.MockTransport(handler),
        )
    assert refused.value.reason == "scheme_not_allowed"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectTimeout("slow"), "timeout"),
        (httpx.ReadTimeout("slow"), "timeout"),
        (httpx.ConnectError("refused"), "connection_error"),
        (httpx.RemoteProtocolError("garbage"), "connection_error"),
    ],
)
def test_transport_errors_are_mapped(error: Exception, reason: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(
            "https://a.example.com/p.png",
            resolve=fake_resolver({"a.example.com": [PUBLIC_IP]}),
            transport=httpx.MockTransport(handler),
        )
    assert failed.value.reason == reason


def test_connect_error_falls_back_to_the_next_vetted_address() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_IPV6:
            raise httpx.ConnectError("no route")
        return httpx.Response(200, content=PNG)

    fetched = fetch_remote_file(
        "https://a.example.com/p.png",
        resolve=fake_resolver({"a.example.com": [PUBLIC_IPV6, PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    assert fetched.content == PNG


def test_a_slowly_dripping_body_hits_the_overall_deadline() -> None:
    def drip() -> Iterator[bytes]:
        yield PNG[:8]
        while True:
            time.sleep(0.05)
            yield b"\x00"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=drip())

    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(
            "https://a.example.com/p.png",
            FetchPolicy(timeout_seconds=0.3),
            resolve=fake_resolver({"a.example.com": [PUBLIC_IP]}),
            transport=httpx.MockTransport(handler),
        )
    assert failed.value.reason == "timeout"


def test_sniffed_type_wins_over_the_declared_one() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PNG, headers={"content-type": "text/html"})

    fetched = fetch_remote_file(
        "https://a.example.com/p",
        resolve=fake_resolver({"a.example.com": [PUBLIC_IP]}),
        transport=httpx.MockTransport(handler),
    )
    assert fetched.content_type == "image/png"


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        (b"<html><script>alert(1)</script></html>", "image/png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/jpeg"),
        (b"just text", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WAVE", "image/webp"),
        (PNG[1:], "image/png"),  # a magic number off by one byte is no magic number
    ],
    ids=["html-as-png", "svg-as-jpeg", "text-as-pdf", "wav-as-webp", "shifted-png"],
)
def test_bytes_that_are_not_the_declared_type_are_a_content_mismatch(
    body: bytes, declared: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": declared})

    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(
            "https://a.example.com/p",
            resolve=fake_resolver({"a.example.com": [PUBLIC_IP]}),
            transport=httpx.MockTransport(handler),
        )
    assert failed.value.reason == "content_mismatch"
    assert declared in str(failed.value)


# --- a real loopback server ------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, content_type: str, *, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        routes: dict[str, Callable[[], None]] = {
            "/page.png": lambda: self._send(200, PNG, "image/png"),
            "/unlabelled.png": lambda: self._send(200, PNG, "application/octet-stream"),
            "/big.png": lambda: self._send(200, PNG + b"\x00" * 5000, "image/png"),
            "/big-unsized.png": lambda: self._send(
                200, PNG + b"\x00" * 5000, "image/png", length=False
            ),
            "/page.html": lambda: self._send(200, b"<html>hi</html>", "text/html; charset=utf-8"),
            "/disguised.png": lambda: self._send(200, b"<html>hi</html>", "image/png"),
            "/to-metadata": lambda: self._redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-page": lambda: self._redirect("/page.png"),
            "/loop": lambda: self._redirect("/loop"),
        }
        route = routes.get(self.path)
        if route is None:
            self._send(404, b"not found", "text/plain")
        else:
            route()


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_fetches_a_png_from_a_loopback_server(server_url: str) -> None:
    fetched = fetch_remote_file(f"{server_url}/page.png", LOOPBACK_OK)
    assert fetched == FetchedFile(
        content=PNG, content_type="image/png", final_url=f"{server_url}/page.png"
    )


def test_content_type_is_sniffed_from_the_bytes(server_url: str) -> None:
    fetched = fetch_remote_file(f"{server_url}/unlabelled.png", LOOPBACK_OK)
    assert fetched.content_type == "image/png"


def test_follows_a_safe_redirect(server_url: str) -> None:
    fetched = fetch_remote_file(f"{server_url}/to-page", LOOPBACK_OK)
    assert fetched.content == PNG
    assert fetched.final_url == f"{server_url}/page.png"


def test_404_is_a_failure(server_url: str) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(f"{server_url}/missing.png", LOOPBACK_OK)
    assert failed.value.reason == "http_status_404"


@pytest.mark.parametrize("path", ["/big.png", "/big-unsized.png"])
def test_body_over_the_cap_is_too_large(server_url: str, path: str) -> None:
    policy = FetchPolicy(max_bytes=1024, allow_loopback=True)
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(f"{server_url}{path}", policy)
    assert failed.value.reason == "too_large"


def test_html_is_not_an_allowed_content_type(server_url: str) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(f"{server_url}/page.html", LOOPBACK_OK)
    assert failed.value.reason == "content_type_not_allowed"


def test_html_labelled_as_png_is_a_content_mismatch(server_url: str) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(f"{server_url}/disguised.png", LOOPBACK_OK)
    assert failed.value.reason == "content_mismatch"


def test_redirect_to_the_metadata_service_is_refused(server_url: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        fetch_remote_file(f"{server_url}/to-metadata", LOOPBACK_OK)
    assert refused.value.reason == "metadata_address"


def test_redirect_loop_is_too_many_redirects(server_url: str) -> None:
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(f"{server_url}/loop", LOOPBACK_OK)
    assert failed.value.reason == "too_many_redirects"


def test_loopback_server_is_refused_without_allow_loopback(server_url: str) -> None:
    with pytest.raises(FetchRefused) as refused:
        fetch_remote_file(f"{server_url}/page.png")
    assert refused.value.reason == "loopback_address"


@pytest.fixture
def header_dripper() -> Iterator[str]:
    """A server that answers its status line, then drips a header a byte at a time for up to
    5 s before finishing with a PNG: every read gets data well within any per-read timeout."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                for _ in range(100):
                    if stop.wait(0.05):
                        return
                    connection.sendall(b"x")
                connection.sendall(
                    b"\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n" % len(PNG) + PNG
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/p.png"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)


def test_a_fetch_ends_at_its_time_limit_even_when_the_headers_drip(header_dripper: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(header_dripper, FetchPolicy(timeout_seconds=0.5, allow_loopback=True))
    assert failed.value.reason == "timeout"
    assert time.monotonic() - started < 2


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(FetchFailed) as failed:
            fetch_remote_file(f"http://127.0.0.1:{port}/p.png", LOOPBACK_OK)
    assert failed.value.reason == "connection_error"
