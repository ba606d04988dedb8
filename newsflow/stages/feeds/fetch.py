"""The feed stage's HTTP client: polite, bounded, and honest about every way a request can go wrong.

Every request has a time-out (connect, read, and the whole), a size cap read as the body streams in (a
Content-Length over it is refused before one byte is read), a bounded redirect chain, and takes a slot of its
host: at most ``per_host`` requests to one host at once, across all the feeds and pages being fetched.

A feed is hostile input, and its entries' links are URLs someone else chose: unless told otherwise, every
request (each redirect hop too) goes to a public address only, never to this machine, its private network or
a cloud's metadata service.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from importlib import metadata
from urllib.parse import urlsplit

import httpx


def user_agent(contact: str | None) -> str:
    """Who is asking, and how to reach them: what a site's operator needs to tell a reader from a scraper."""
    return f"newsflow/{metadata.version('newsflow')} (feed reader{'; +' + contact if contact else ''})"


class FetchError(Exception):
    """A request that gave no usable answer. ``transient``: the same request may work later (a time-out, a refused
    connection, a 5xx, a 429); else it will not (a redirect loop, a body over the cap)."""

    def __init__(self, reason: str, transient: bool, status: int | None = None, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason, self.transient, self.status, self.retry_after_s = reason, transient, status, retry_after_s


class _NotPublic(Exception):
    pass


def _check_public(request: httpx.Request) -> None:
    """Refuses a request whose host resolves to an address that is not public (loopback, private, link-local,
    shared, reserved). Checked before connecting, for every hop of a redirect chain."""
    host = request.url.host
    try:
        infos = socket.getaddrinfo(host, request.url.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return  # unresolvable: the connection fails, and says so
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (mapped or ip).is_global:
            raise _NotPublic(f"{host} is {ip}, not a public address (NEWSFLOW_FEEDS_ALLOW_PRIVATE lets it be read)")


@dataclass(frozen=True)
class Response:
    status: int
    url: str  # after redirects
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


class Fetcher:
    def __init__(
        self, user_agent: str, timeout_s: float, per_host: int, max_redirects: int, allow_private: bool = False
    ):
        self.timeout_s = timeout_s
        self.per_host = per_host
        self._slots: dict[str, threading.BoundedSemaphore] = defaultdict(lambda: threading.BoundedSemaphore(per_host))
        self._lock = threading.Lock()
        self.client = httpx.Client(
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout_s),
            follow_redirects=True,
            max_redirects=max_redirects,
            # The per-host slots bound the connections; the pool only keeps them.
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
            event_hooks={"request": [] if allow_private else [_check_public]},
        )

    def _slot(self, url: str) -> threading.BoundedSemaphore:
        with self._lock:
            return self._slots[(urlsplit(url).hostname or "").lower()]

    def get(self, url: str, max_bytes: int, headers: dict[str, str] | None = None) -> Response:
        """GET ``url``; a 2xx or 304 answer whole, else a FetchError saying why."""
        deadline = time.monotonic() + 3 * self.timeout_s  # a server that sends a byte a second is still cut off
        with self._slot(url):
            try:
                with self.client.stream("GET", url, headers=headers or {}) as resp:
                    status = resp.status_code
                    if status == 304:
                        return Response(304, str(resp.url), _lower(resp.headers), b"")
                    if status >= 400:
                        raise _refused(resp)
                    declared = resp.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            f"response of {int(declared):,} bytes (Content-Length), over the cap of {max_bytes:,}",
                            transient=False,
                            status=status,
                        )
                    chunks, size = [], 0
                    for chunk in resp.iter_bytes():
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(
                                f"response over the cap of {max_bytes:,} bytes (stopped reading)", False, status
                            )
                        if time.monotonic() > deadline:
                            raise FetchError(f"response not complete within {3 * self.timeout_s:g} s", True, status)
                        chunks.append(chunk)
                    return Response(status, str(resp.url), _lower(resp.headers), b"".join(chunks))
            except _NotPublic as exc:
                raise FetchError(str(exc), transient=False) from None
            except httpx.TooManyRedirects:
                raise FetchError("a redirect loop, or more redirects than allowed", transient=False) from None
            except httpx.TimeoutException as exc:
                raise FetchError(f"timed out ({type(exc).__name__}) after {self.timeout_s:g} s", True) from None
            except httpx.UnsupportedProtocol as exc:
                raise FetchError(f"not an http(s) URL: {exc}", transient=False) from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL: {exc}", transient=False) from None
            except httpx.DecodingError as exc:
                raise FetchError(f"the body could not be decoded: {exc}", transient=False) from None
            except httpx.HTTPError as exc:  # connection refused, reset, DNS: the host may be back later
                raise FetchError(f"{type(exc).__name__}: {exc or 'no answer'}", transient=True) from None

    def close(self) -> None:
        self.client.close()


def _lower(headers: httpx.Headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _refused(resp: httpx.Response) -> FetchError:
    status = resp.status_code
    transient = status in (408, 425, 429) or status >= 500
    return FetchError(
        f"HTTP {status} {resp.reason_phrase}".strip(), transient, status, retry_after(resp.headers.get("retry-after"))
    )


def retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
