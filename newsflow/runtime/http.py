"""A small HTTP endpoint every service runs: /healthz, /readyz, /metrics, plus its own routes."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger(__name__)

# A probe answers (healthy, details). Liveness and readiness differ where a
# service is alive but cannot make progress (its dependency is down).
Probe = Callable[[], tuple[bool, dict]]
# A route takes the request body and answers (status, JSON-able body).
Route = Callable[[bytes], tuple[int, object]]


class ServiceHTTP:
    def __init__(
        self, host: str, port: int, health: Probe, ready: Probe | None = None, routes: dict[str, Route] | None = None
    ):
        self.health = health
        self.ready = ready or health
        self.routes = routes or {}
        # Non-daemon request threads, joined on close: a request in flight finishes on shutdown.
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, name="http", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self) -> ServiceHTTP:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # access logs would drown the structured ones
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, obj: object) -> None:
                self._send(status, json.dumps(obj, default=str).encode())

            def do_GET(self):
                if self.path == "/metrics":
                    return self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                probe = {"/healthz": outer.health, "/readyz": outer.ready}.get(self.path)
                if probe is None:
                    return self._json(404, {"error": f"no route {self.path}"})
                ok, details = probe()
                self._json(200 if ok else 503, {"ok": ok, **details})

            def do_POST(self):
                route = outer.routes.get(self.path)
                if route is None:
                    return self._json(404, {"error": f"no route {self.path}"})
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    status, answer = route(body)
                except Exception as exc:  # a bug in a route must answer, not hang the client
                    log.exception("route failed", extra={"path": self.path})
                    status, answer = 500, {"error": f"{type(exc).__name__}: {exc}"}
                self._json(status, answer)

        return Handler
