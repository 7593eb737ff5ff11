"""Serves the Chalice app (through chalice.local's API Gateway emulation) and the static
frontend on one port, as CloudFront does in the cloud with `/api/*` routed to API Gateway."""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from chalice.app import Chalice
from chalice.cli.factory import CLIFactory
from chalice.local import LocalGateway, LocalGatewayException
from werkzeug.serving import BaseWSGIServer, make_server

PROJECT_DIR = Path(__file__).resolve().parent.parent
FRONTEND_DIST = PROJECT_DIR / "frontend" / "dist"


class BackOfficeWSGI:
    def __init__(self, app: Chalice, static_dir: Path = FRONTEND_DIST) -> None:
        config = CLIFactory(str(PROJECT_DIR)).create_config_obj(chalice_stage_name="dev")
        self._gateway = LocalGateway(app, config)
        self._static_dir = static_dir
        # Chalice keeps the current request on the app object, as one Lambda container does:
        # one request at a time through the app.
        self._lock = threading.Lock()
        self.api_requests = 0  # read by the local data saver: nothing new, nothing to save
        # Requests being handled, and whether the stack is stopping (see `drain`).
        self._in_flight = 0
        self._idle = threading.Condition()
        self.draining = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "/")
        if not path.startswith("/api/"):
            return self._static(start_response, path)
        with self._idle:
            if self.draining:
                start_response("503 Service Unavailable", [("Connection", "close")])
                return [b""]
            self._in_flight += 1
        try:
            return self._api(environ, start_response, path)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def drain(self, timeout: float) -> bool:
        """Refuse new API requests and wait for those being handled, so that every request
        answered 2xx has written before the final save. (Stopping the server's loop is not
        enough: a kept-alive connection still brings requests, and its thread outlives it.)"""
        with self._idle:
            self.draining = True
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _api(self, environ: dict[str, Any], start_response: Any, path: str) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if length:
            headers["content-length"] = str(length)
        query = environ.get("QUERY_STRING")
        # WSGI hands the path decoded; chalice.local parses it again as a URL, which drops tabs
        # and line breaks and splits at `;`, `?` and `#` (so `/workflows/%0D` matched the list
        # route). Encoded again, a path parameter reaches the app as one opaque segment, as it
        # does through API Gateway.
        full_path = quote(path, safe="/:@!$&'()*+,=-._~")
        full_path = f"{full_path}?{query}" if query else full_path
        try:
            with self._lock:
                self.api_requests += 1
                response = self._gateway.handle_request(
                    environ["REQUEST_METHOD"], full_path, headers, body
                )
        except LocalGatewayException as exc:
            start_response(f"{exc.CODE} Error", list(exc.headers.items()))
            return [exc.body or b""]
        payload = response.get("body") or b""
        if isinstance(payload, str):
            payload = payload.encode()
        response_headers = list((response.get("headers") or {}).items())
        for name, values in (response.get("multiValueHeaders") or {}).items():
            response_headers.extend((name, v) for v in values)
        start_response(f"{response['statusCode']} -", response_headers)
        return [payload]

    def _static(self, start_response: Any, path: str) -> list[bytes]:
        root = self._static_dir.resolve()
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            target = root / "index.html"  # single-page app: the client routes
        if not target.is_file():
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"frontend not built"]
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        cache = "no-cache" if target.name == "index.html" else "public, max-age=31536000, immutable"
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Cache-Control", cache),
                ("X-Content-Type-Options", "nosniff"),
                # A collection link's token is in the page's URL: never send it on.
                ("Referrer-Policy", "no-referrer"),
            ],
        )
        return [target.read_bytes()]


def serve(app: Chalice, host: str, port: int) -> BaseWSGIServer:
    server = make_server(host, port, BackOfficeWSGI(app), threaded=True)
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    return server
