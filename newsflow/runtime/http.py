"""The HTTP endpoint every service runs: /healthz, /readyz, /metrics, plus its own routes (ingest's front door).

Served by uvicorn (h11) with a Starlette app, in a thread of its own beside the service's work. It faces the
open network, so every limit holds before work is done: a bounded number of connections, a deadline for a
request's headers and another for its body, a body size checked against Content-Length before one byte is read
(and counted while it streams when there is none), a bound on the bytes of all bodies held at once (so memory
is bounded whatever arrives together), and a drain on stop that lets requests in flight finish.
A 4xx says what was wrong and what the limit is; a 5xx never shows an internal exception.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass

import anyio
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

# A probe answers (healthy, details). Liveness and readiness differ where a
# service is alive but cannot make progress (its dependency is down).
Probe = Callable[[], tuple[bool, dict]]
# A route takes the request body and who sent it (what its guard said), and answers (status, JSON-able body),
# or (status, body, headers) where the answer needs headers (a 429's Retry-After).
Handler = Callable[[bytes | bytearray, str | None], tuple[int, object] | tuple[int, object, dict[str, str]]]
# A guard reads a request's headers before its body: (who sent it, None), or (None, (status, refusal)).
Guard = Callable[[Mapping[str, str]], tuple[str | None, tuple[int, dict] | None]]


@dataclass(frozen=True)
class Route:
    """A POST route: its handler, the largest body it takes (refused with 413 before it is read), and a guard
    (who may send it), asked before the body is read too."""

    handler: Handler
    max_body_bytes: int
    limit_hint: str = ""  # which setting sets the limit, for the 413's text
    guard: Guard | None = None


@dataclass(frozen=True)
class Limits:
    concurrency: int = 64  # connections and requests at once; past it, 503
    header_timeout_s: float = 10.0  # from a connection (or the last response) to a request's whole head
    body_timeout_s: float = 60.0  # from the head to the whole body
    max_header_bytes: int = 64 * 1024
    drain_s: float = 20.0  # on stop, how long requests in flight may take to finish
    max_in_flight_bytes: int = 64 * 1024 * 1024  # bodies held at once, read or being handled; past it, 503
    busy_retry_after_s: int = 1  # what a 503 for the bytes in flight tells the client to wait


class _Budget:
    """The bytes of request bodies held at once. Taken and given back only by the endpoint's coroutines, all on
    the server's one event loop, so it needs no lock."""

    def __init__(self, limit: int):
        self.limit, self.held = limit, 0

    def take(self, n: int) -> bool:
        if self.held + n > self.limit:
            return False
        self.held += n
        return True

    def give(self, n: int) -> None:
        self.held -= n


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for a request's head, which uvicorn lacks: its keep-alive timer is
    reset by every byte, so a client sending one byte a second would hold a connection for ever (slowloris).
    One of the two places newsflow touches uvicorn's internals (``cycle``, ``transport``; the other is
    ``_Server``): the protocol is where the bytes of a head arrive, before any ASGI code runs."""

    header_timeout_s = Limits.header_timeout_s
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # a kept-alive connection's next request gets a deadline of its own

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout_s, self._head_late)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_late(self) -> None:
        self._head_deadline = None
        waiting_for_head = self.cycle is None or self.cycle.response_complete
        if waiting_for_head and not self.transport.is_closing():
            log.warning("connection closed: no request head within the deadline", extra={"client": self.client})
            self.transport.close()


class _Server(uvicorn.Server):
    """uvicorn's server, ticking once a second instead of ten times: at rest the tick was most of what an endpoint
    cost (0.2% of a core each, eight endpoints on a local stack). A tick refreshes the Date header and sees a stop
    asked for; ``stop()`` wakes it at once. The only other place newsflow touches uvicorn's internals
    (``main_loop``, ``on_tick``: its own loop and what each tick does)."""

    _loop: asyncio.AbstractEventLoop | None = None
    _woken: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop, self._woken = asyncio.get_running_loop(), asyncio.Event()
        while not await self.on_tick(0):  # 0: a tick on which uvicorn refreshes its headers
            try:
                await asyncio.wait_for(self._woken.wait(), 1.0)
            except TimeoutError:
                pass

    def wake(self) -> None:
        """From another thread: tick now (a stop was asked for)."""
        if self._loop is not None and self._woken is not None:
            self._loop.call_soon_threadsafe(self._woken.set)


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, default=str), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, **more) -> Response:
    return _json(status, {"error": message, **more})


class ServiceHTTP:
    def __init__(
        self,
        host: str,
        port: int,
        health: Probe,
        ready: Probe | None = None,
        routes: dict[str, Route] | None = None,
        limits: Limits = Limits(),
        documents: dict[str, dict] | None = None,
    ):
        self.health, self.ready, self.routes, self.limits = health, ready or health, routes or {}, limits
        self.documents = documents or {}  # GET path → a JSON document (ingest's /openapi.json)
        self.budget = _Budget(limits.max_in_flight_bytes)
        for path, route in self.routes.items():
            if route.max_body_bytes > limits.max_in_flight_bytes:
                raise ValueError(f"{path} takes bodies of {route.max_body_bytes:,} bytes, over the bytes in flight")
        # Bound here, so a port in use fails the service at once, not in the server's thread.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = socket.socket(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        self.socket.listen(512)
        protocol = type("Protocol", (_Protocol,), {"header_timeout_s": limits.header_timeout_s})
        config = uvicorn.Config(
            self._app(),
            http=protocol,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            limit_concurrency=limits.concurrency,
            timeout_keep_alive=5,
            timeout_graceful_shutdown=int(limits.drain_s),
            h11_max_incomplete_event_size=limits.max_header_bytes,
        )
        self.server = _Server(config)
        self.thread = threading.Thread(target=self._serve, name="http", daemon=True)
        self.failed: BaseException | None = None

    @property
    def port(self) -> int:
        return self.socket.getsockname()[1]

    def _serve(self) -> None:
        try:
            asyncio.run(self.server.serve(sockets=[self.socket]))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 uvicorn exits with SystemExit on a startup failure
            self.failed = exc
            log.error("the HTTP endpoint stopped", extra={"error": repr(exc)})

    def start(self) -> ServiceHTTP:
        self.thread.start()
        started = threading.Event()
        while not (self.server.started or self.failed or not self.thread.is_alive()):
            started.wait(0.01)
        if not self.server.started:
            raise RuntimeError(f"the HTTP endpoint did not start: {self.failed!r}")
        return self

    def stop(self) -> None:
        """Stop taking connections, let requests in flight finish (up to ``drain_s``), then return."""
        self.server.should_exit = True
        self.server.wake()
        if self.thread.is_alive():
            self.thread.join(self.limits.drain_s + 10)
        self.socket.close()

    # -- the app ---------------------------------------------------------------------------------------------

    def _app(self) -> Starlette:
        async def metrics(_: Request) -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

        def probe_of(probe: Probe):
            async def answer(_: Request) -> Response:
                ok, details = await run_in_threadpool(probe)
                return _json(200 if ok else 503, {"ok": ok, **details})

            return answer

        routes = [
            StarletteRoute("/metrics", metrics, methods=["GET"]),
            StarletteRoute("/healthz", probe_of(lambda: self.health()), methods=["GET"]),
            StarletteRoute("/readyz", probe_of(lambda: self.ready()), methods=["GET"]),
            *(StarletteRoute(path, self._post(route), methods=["POST"]) for path, route in self.routes.items()),
            *(StarletteRoute(path, self._document(doc), methods=["GET"]) for path, doc in self.documents.items()),
        ]

        async def not_found(request: Request, _exc) -> Response:
            return _error(404, f"no route {request.method} {request.url.path}")

        async def not_allowed(request: Request, _exc) -> Response:
            return _error(405, f"{request.method} is not allowed on {request.url.path}")

        async def failed(request: Request, exc: Exception) -> Response:
            log.error("request failed", extra={"path": request.url.path, "error": repr(exc)}, exc_info=exc)
            return _error(500, "internal error; it is logged")

        return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed, Exception: failed})

    @staticmethod
    def _document(doc: dict):
        body = json.dumps(doc, indent=1).encode()

        async def endpoint(_: Request) -> Response:
            return Response(body, media_type="application/json")

        return endpoint

    def _post(self, route: Route):
        limit = route.max_body_bytes
        hint = f" ({route.limit_hint})" if route.limit_hint else ""

        async def endpoint(request: Request) -> Response:
            caller = None
            if route.guard is not None:
                caller, refusal = route.guard(request.headers)
                if refusal is not None:
                    return _json(*refusal)
            declared = request.headers.get("content-length")
            if declared is not None:
                if not declared.isdigit():
                    return _error(400, f"Content-Length {declared!r} is not a number of bytes")
                if int(declared) > limit:
                    return _error(
                        413, f"the body is {int(declared):,} bytes; the limit is {limit:,}{hint}", limit_bytes=limit
                    )
            # Bytes are taken from the budget before they are read: all of a declared body at once, a chunked one
            # as it comes. They are given back once the answer is made, for parsing holds a few times the body.
            held = int(declared or 0)
            chunks = request.stream()
            if not self.budget.take(held):
                return await self._busy(request, chunks, int(declared or 0), limit)
            try:
                body, size = bytearray(), 0
                try:
                    with anyio.fail_after(self.limits.body_timeout_s):
                        async for chunk in chunks:
                            size += len(chunk)
                            if size > limit:
                                return _error(
                                    413, f"the body is over {limit:,} bytes, the limit{hint}", limit_bytes=limit
                                )
                            if size > held:
                                if not self.budget.take(size - held):
                                    return await self._busy(request, chunks, size, limit)
                                held = size
                            body += chunk
                except TimeoutError:
                    return _error(
                        408,
                        f"the body did not arrive within {self.limits.body_timeout_s:g} s ({size:,} bytes came)",
                        limit_s=self.limits.body_timeout_s,
                    )
                except ClientDisconnect:
                    return Response(status_code=400)  # nobody is there to read it
                status, answer, *headers = await run_in_threadpool(route.handler, body, caller)
                del body
                return _json(status, answer, headers[0] if headers else None)
            finally:
                self.budget.give(held)

        return endpoint

    async def _busy(self, request: Request, chunks: AsyncIterator[bytes], size: int, limit: int) -> Response:
        """503 for a body the bytes in flight have no room for. The rest of it is read and dropped first (at most
        the route's limit, within the body's deadline), so a client still sending reads this answer, not a reset,
        unless it asked to be told before sending (Expect: 100-continue), when nothing more is read."""
        if request.headers.get("expect", "").lower() != "100-continue":
            seen = 0
            try:
                with anyio.move_on_after(self.limits.body_timeout_s):
                    async for chunk in chunks:
                        seen += len(chunk)
                        if seen > limit:
                            break
            except ClientDisconnect:
                pass
        wait = self.limits.busy_retry_after_s
        return _json(
            503,
            {
                "error": f"{self.budget.held:,} bytes of requests are being handled, and {size:,} more would pass the "
                f"limit of {self.budget.limit:,} (NEWSFLOW_HTTP_MAX_IN_FLIGHT_BYTES); retry in {wait} s",
                "retry_after_s": wait,
                "limit_bytes": self.budget.limit,
            },
            {"Retry-After": str(wait)},
        )
