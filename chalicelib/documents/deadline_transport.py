"""An httpx transport whose every connect, handshake, read and write ends by one deadline.

httpx's timeouts restart with each read, so a server dripping a byte at a time (in the headers
too, where no body loop can check the clock) would otherwise hold a fetch for as long as it
likes. Imported on the first fetch (see `remote_fetch._deadline_transport`).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx


def _until(deadline: float, timeout: float | None, error: type[Exception]) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise error("the fetch's time limit has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket whose every wait ends by the deadline. httpx's timeouts restart with each read,
    so a server dripping a byte at a time (in the headers too, where no body loop can check the
    clock) would otherwise hold a fetch for as long as it likes."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until(self._deadline, timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until(self._deadline, timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        wait = _until(self._deadline, timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, wait), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, deadline: float) -> None:
        self._backend = httpcore.SyncBackend()
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        wait = _until(self._deadline, timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, wait, local_address, socket_options)
        return _DeadlineStream(stream, self._deadline)


def deadline_transport(verify: ssl.SSLContext, deadline: float) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    # httpx takes no network backend but its connection pool does (httpx 0.28 keeps the pool in
    # `_pool`; tests/unit/test_remote_fetch.py's header-dripping server guards this wiring).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=verify, network_backend=_DeadlineBackend(deadline)
    )
    return transport
