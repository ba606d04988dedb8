"""Every service's HTTP endpoint, on a real socket: the limits hold before any work, a slow client is cut off,
errors say what and why (never an internal exception), and a stop lets the requests in flight finish."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request

import pytest

from newsflow.runtime.http import Limits, Route, ServiceHTTP
from newsflow.runtime.servers import free_port, http_json, wait_until

pytestmark = pytest.mark.integration


class Echo:
    def __init__(self):
        self.bodies: list[bytes] = []
        self.gate: threading.Event | None = None

    def __call__(self, body: bytes, _caller=None):
        if self.gate is not None:
            self.gate.wait(30)
        self.bodies.append(body)
        return 200, {"bytes": len(body)}


@pytest.fixture
def echo():
    return Echo()


def start(echo: Echo, **limits) -> ServiceHTTP:
    base = {"header_timeout_s": 1.0, "body_timeout_s": 1.0, "concurrency": 8, "drain_s": 10.0} | limits
    routes = {"/in": Route(echo, max_body_bytes=1_000, limit_hint="TEST_LIMIT")}
    return ServiceHTTP(
        "127.0.0.1", free_port(), lambda: (True, {"service": "t"}), routes=routes, limits=Limits(**base)
    ).start()


@pytest.fixture
def server(echo):
    http = start(echo)
    yield http
    http.stop()


def raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    """Send ``data`` on a new connection; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def post(port: int, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/in", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_probes_metrics_and_a_route(server, echo):
    assert http_json(f"http://127.0.0.1:{server.port}/healthz") == (200, {"ok": True, "service": "t"})
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=5) as resp:
        assert b"# TYPE" in resp.read() or resp.status == 200
    assert post(server.port, b"hello") == (200, {"bytes": 5}) and echo.bodies == [b"hello"]


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(server, echo):
    # The head says 50 MB, and not one byte of the body is sent: the answer comes anyway.
    head = b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n"
    answer = raw(server.port, head)
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413")
    assert json.loads(body) == {
        "error": "the body is 50,000,000 bytes; the limit is 1,000 (TEST_LIMIT)",
        "limit_bytes": 1000,
    }
    assert echo.bodies == []


def test_a_streamed_body_over_the_limit_is_cut_off(server, echo):
    chunk = b"x" * 600
    head = b"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    data = head + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    status, _, body = raw(server.port, data).partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 413") and b"over 1,000 bytes" in body and echo.bodies == []


def post_answer(port: int, body: bytes):
    """(status, headers as http.client reads them: any case, body)"""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/in", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.loads(exc.read())


def test_bodies_past_the_bytes_in_flight_get_503_with_retry_after_and_the_bytes_are_given_back(echo):
    echo.gate = threading.Event()
    http = start(echo, max_in_flight_bytes=1_500)
    results: list = []
    try:
        holding = threading.Thread(target=lambda: results.append(post(http.port, b"a" * 800)))
        holding.start()
        wait_until(lambda: http.budget.held == 800, 10, "the first body held")
        # Declared: refused without a byte of it kept, and the client reads the answer, not a reset.
        status, headers, body = post_answer(http.port, b"b" * 800)
        assert status == 503 and headers.get("Retry-After") == "1", (status, body)
        assert "800 bytes of requests are being handled" in body["error"]
        assert "NEWSFLOW_HTTP_MAX_IN_FLIGHT_BYTES" in body["error"] and body["limit_bytes"] == 1_500
        # Chunked: counted as it comes, refused once it would pass the bound.
        chunk = b"c" * 400
        head = b"POST /in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        data = head + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(2)) + b"0\r\n\r\n"
        assert raw(http.port, data).startswith(b"HTTP/1.1 503")
        assert http.budget.held == 800  # what the refused ones took is back
    finally:
        echo.gate.set()
        holding.join(30)
    try:
        assert results == [(200, {"bytes": 800})]
        wait_until(lambda: http.budget.held == 0, 10, "every byte given back")
        assert post(http.port, b"b" * 800) == (200, {"bytes": 800})  # room again
        # Refusals for other reasons give their bytes back too.
        assert post(http.port, b"x" * 1_001)[0] == 413
        with socket.create_connection(("127.0.0.1", http.port), timeout=10) as s:
            s.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n\r\n" + b"x" * 10)
            assert s.recv(65536).startswith(b"HTTP/1.1 408")
        wait_until(lambda: http.budget.held == 0, 10, "every byte given back after the 413 and the 408")
    finally:
        http.stop()


def test_a_client_that_waits_for_100_continue_is_refused_before_it_sends(echo):
    echo.gate = threading.Event()
    http = start(echo, max_in_flight_bytes=1_000)
    holding = threading.Thread(target=lambda: post(http.port, b"a" * 600))
    try:
        holding.start()
        wait_until(lambda: http.budget.held == 600, 10, "the first body held")
        with socket.create_connection(("127.0.0.1", http.port), timeout=10) as s:
            s.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 600\r\nExpect: 100-continue\r\n\r\n")
            assert s.recv(65536).startswith(b"HTTP/1.1 503")  # no 100 Continue first: nothing is read
    finally:
        echo.gate.set()
        holding.join(30)
        http.stop()


def test_a_client_slow_to_send_its_head_is_disconnected(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        started = time.monotonic()
        s.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\n")  # and then nothing: no end of the head
        assert s.recv(100) == b""  # the server closed the connection
        assert time.monotonic() - started < 9  # by its deadline (1 s here), not by this socket's time-out


def test_a_client_that_trickles_its_head_is_disconnected_too(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /in HTTP/1.1\r\n")
        closed = threading.Event()

        def trickle():
            # A byte now and then resets a keep-alive timer; the head's deadline counts from the connection.
            try:
                for _ in range(100):
                    s.sendall(b"X")
                    if closed.wait(0.2):
                        return
            except OSError:
                return

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            assert s.recv(100) == b""
        finally:
            closed.set()
            thread.join(10)


def test_a_body_that_does_not_arrive_in_time_is_a_408(server, echo):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"POST /in HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and answer.rstrip().endswith(b"}"):
                break
    status, _, body = answer.partition(b"\r\n\r\n")
    assert status.startswith(b"HTTP/1.1 408") and json.loads(body)["error"].startswith("the body did not arrive")
    assert echo.bodies == []


def test_errors_name_what_and_never_show_an_internal_exception(echo):
    def broken(_body, _caller):
        raise KeyError("secret internal detail")

    http = ServiceHTTP(
        "127.0.0.1", free_port(), lambda: (True, {}), routes={"/in": Route(broken, 1_000)}, limits=Limits()
    ).start()
    try:
        status, body = post(http.port, b"{}")
        assert (status, body) == (500, {"error": "internal error; it is logged"})
        assert http_json(f"http://127.0.0.1:{http.port}/nowhere") == (404, {"error": "no route GET /nowhere"})
        req = urllib.request.Request(f"http://127.0.0.1:{http.port}/in", method="GET")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(req, timeout=5)
        assert caught.value.code == 405 and json.loads(caught.value.read())["error"] == "GET is not allowed on /in"
    finally:
        http.stop()


def test_past_the_concurrency_limit_a_request_gets_503_not_a_thread(echo):
    echo.gate = threading.Event()
    http = start(echo, concurrency=3)  # uvicorn counts the connection asking: two in flight, the third refused
    results: list = []
    try:
        threads = [threading.Thread(target=lambda: results.append(post(http.port, b"a")[0])) for _ in range(2)]
        for t in threads:
            t.start()
        wait_until(lambda: len(http.server.server_state.tasks) >= 2, 10, "two requests in flight")
        status = raw(http.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").split(b"\r\n")[0]
        assert status.startswith(b"HTTP/1.1 503")
    finally:
        echo.gate.set()
        for t in threads:
            t.join(30)
        http.stop()
    assert results == [200, 200]


def test_a_stop_lets_the_request_in_flight_finish_and_takes_no_new_one(echo):
    echo.gate = threading.Event()
    http = start(echo)
    results: list = []
    request = threading.Thread(target=lambda: results.append(post(http.port, b"in flight")))
    request.start()
    wait_until(lambda: len(http.server.server_state.tasks) >= 1, 10, "the request in flight")
    stopping = threading.Thread(target=http.stop)
    stopping.start()
    wait_until(lambda: http.server.should_exit, 10, "the stop begun")

    def refused() -> bool:
        try:
            socket.create_connection(("127.0.0.1", http.port), timeout=1).close()
            return False
        except OSError:
            return True

    wait_until(refused, 10, "new connections refused while draining")
    assert stopping.is_alive() and results == []  # still draining: the request has not finished
    echo.gate.set()
    stopping.join(30)
    request.join(30)
    assert results == [(200, {"bytes": 9})] and not stopping.is_alive()
