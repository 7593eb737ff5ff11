"""Pinned connections are reused per host name, never across names sharing an address.

Requests are pinned to the vetted IP, so two tenants' receivers behind one TLS endpoint (a shared
proxy) share an IP and port. A connection opened, and its certificate verified, for `a.example`
must never carry a request for `b.example`. Real TLS on loopback, with a throwaway CA.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from chalicelib.documents.remote_fetch import FetchFailed, FetchPolicy, fetch_remote_file
from chalicelib.webhooks.sender import HttpWebhookSender


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    names: tuple[str, ...] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    if names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class TlsServer:
    """Records, per request, which connection carried it, the SNI it was opened with, and the
    Host header it asked for."""

    port: int
    client_trust: ssl.SSLContext
    seen: list[tuple[int, str | None, str]] = field(default_factory=list)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[[tuple[str, ...]], TlsServer]]:
    servers: list[ThreadingHTTPServer] = []

    def start(names: tuple[str, ...]) -> TlsServer:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("test CA", ca_key, "test CA", ca_key, ca=True)
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        leaf = _certificate(names[0], leaf_key, "test CA", ca_key, ca=False, names=names)
        cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
        cert_file.write_bytes(_pem(leaf) + _pem(ca))
        key_file.write_bytes(
            leaf_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert_file, key_file)

        def remember_sni(sock: Any, server_name: str | None, _context: Any) -> None:
            sock.sni = server_name

        server_context.sni_callback = remember_sni
        client_trust = ssl.create_default_context(cadata=_pem(ca).decode())

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so the client's pool has something to reuse

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                record.seen.append(
                    (
                        self.client_address[1],
                        getattr(self.connection, "sni", None),
                        self.headers["host"],
                    )
                )
                body = b"\x89PNG\r\n\x1a\n" if self.path.endswith(".png") else b""
                if self.path == "/hop":
                    self.send_response(302)
                    self.send_header("Location", f"https://b.example:{record.port}/p.png")
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.socket = server_context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        record = TlsServer(port=server.server_address[1], client_trust=client_trust)
        return record

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def both_on_loopback(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
    assert host in {"a.example", "b.example"}
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def _sender(server: TlsServer) -> HttpWebhookSender:
    return HttpWebhookSender(
        5, allow_local=True, resolve=both_on_loopback, verify=server.client_trust
    )


def test_a_second_host_on_the_same_address_gets_its_own_verified_connection(
    tls_server: Callable[[tuple[str, ...]], TlsServer],
) -> None:
    server = tls_server(("a.example", "b.example"))
    sender = _sender(server)
    for host in ("a.example", "b.example", "a.example", "b.example"):
        result = sender.send(f"https://{host}:{server.port}/in", "{}", {})
        assert result.status_code == 200, result.error

    connections = [connection for connection, _, _ in server.seen]
    assert [(sni, host) for _, sni, host in server.seen] == [
        ("a.example", f"a.example:{server.port}"),
        ("b.example", f"b.example:{server.port}"),
        ("a.example", f"a.example:{server.port}"),
        ("b.example", f"b.example:{server.port}"),
    ]
    # Two connections, one per host name, each reused only by its own host.
    assert connections[0] != connections[1]
    assert connections[2] == connections[0] and connections[3] == connections[1]


def test_a_host_the_certificate_does_not_name_never_rides_another_hosts_session(
    tls_server: Callable[[tuple[str, ...]], TlsServer],
) -> None:
    server = tls_server(("a.example",))
    sender = _sender(server)
    assert sender.send(f"https://a.example:{server.port}/in", "{}", {}).status_code == 200

    other = sender.send(f"https://b.example:{server.port}/in", "{}", {})

    assert other.status_code is None
    assert "CERTIFICATE_VERIFY_FAILED" in (other.error or "")
    assert [host for _, _, host in server.seen] == [f"a.example:{server.port}"]


def test_a_fetch_redirected_to_another_name_on_the_same_address_verifies_that_name(
    tls_server: Callable[[tuple[str, ...]], TlsServer],
) -> None:
    server = tls_server(("a.example",))

    with pytest.raises(FetchFailed) as failed:
        fetch_remote_file(
            f"https://a.example:{server.port}/hop",
            FetchPolicy(allow_loopback=True),
            resolve=both_on_loopback,
            verify=server.client_trust,
        )

    assert failed.value.reason == "connection_error"
    assert "CERTIFICATE_VERIFY_FAILED" in str(failed.value)
    assert [host for _, _, host in server.seen] == [f"a.example:{server.port}"]
