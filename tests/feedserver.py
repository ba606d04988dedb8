"""A local HTTP server for the feed tests: feeds, article pages and faults, counting what it was asked.

Started by the test on a free port (there is no internet here, and the tests must not need it). Each path
answers what the test put there; a resource with an ETag and Last-Modified answers a matching conditional GET
with 304, and counts it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

from newsflow.runtime.servers import free_port


@dataclass
class Resource:
    body: bytes
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    location: str | None = None  # for a redirect
    conditional: bool = True  # answers If-None-Match / If-Modified-Since
    length: bool = True  # sends Content-Length (else the body runs to the connection's close)
    modified: float = 1_700_000_000.0
    headers: dict[str, str] = field(default_factory=dict)  # sent as they are (Retry-After, Content-Encoding)
    hold: threading.Event | None = None  # the answer waits for it (a slow server, many requests in flight)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class FeedServer:
    def __init__(self):
        self.resources: dict[str, Resource] = {}
        self.gets: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.agents: set[str] = set()
        self.answers: list[tuple[str, int]] = []  # (path, status), in order
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()
        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def put(self, path: str, resource: Resource) -> None:
        with self.lock:
            self.resources[path] = resource

    def _handler(self) -> Callable:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                with outer.lock:
                    outer.gets[self.path] += 1
                    outer.agents.add(self.headers.get("User-Agent", ""))
                    res = outer.resources.get(self.path)
                if res is not None and res.hold is not None:
                    with outer.lock:
                        outer.in_flight += 1
                        outer.most_in_flight = max(outer.most_in_flight, outer.in_flight)
                    res.hold.wait(30)
                    with outer.lock:
                        outer.in_flight -= 1
                if res is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                modified = formatdate(res.modified, usegmt=True)
                if (
                    res.conditional
                    and res.status == 200
                    and (
                        self.headers.get("If-None-Match") == res.etag
                        or self.headers.get("If-Modified-Since") == modified
                    )
                ):
                    with outer.lock:
                        outer.not_modified[self.path] += 1
                        outer.answers.append((self.path, 304))
                    self.send_response(304)
                    self.send_header("ETag", res.etag)
                    self.end_headers()
                    return
                with outer.lock:
                    outer.answers.append((self.path, res.status))
                self.send_response(res.status)
                if res.location:
                    self.send_header("Location", res.location)
                for name, value in res.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", res.content_type)
                if res.conditional:
                    self.send_header("ETag", res.etag)
                    self.send_header("Last-Modified", modified)
                if res.length:
                    self.send_header("Content-Length", str(len(res.body)))
                else:
                    self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(res.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading (a size cap): what the test wants

        return Handler


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    fs = FeedServer()
    thread = threading.Thread(target=fs.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fs
    finally:
        fs.server.shutdown()
        fs.server.server_close()


# -- building feeds -------------------------------------------------------------------------------------------


_PLACES = ["Riverton", "Lakemoor", "Ashford", "Millbrook", "Stonehaven", "Westfield", "Northgate", "Eastcliff"]


def article_text(n: int, words: int = 180) -> str:
    """A plain news article of about ``words`` words, its own for each ``n``."""
    place = _PLACES[n % len(_PLACES)]
    sentences = [
        f"The council of {place} approved plan number {n} on Tuesday after a long debate.",
        f"Mayor Elena Marsh said the project would give {place} a new bridge and a library.",
        "Residents filled the hall for three hours, and many asked how the work would be paid for.",
        f"The budget for item {n} is expected to reach four million pounds over two years.",
        "Engineers from the regional office will study the river banks before any building starts.",
        "Shop owners on the high street welcomed the decision but asked for help during the works.",
    ]
    out, count, i = [], 0, 0
    while count < words:
        sentence = sentences[i % len(sentences)]
        out.append(sentence)
        count += len(sentence.split())
        i += 1
    return " ".join(out)


def article_page(title: str, n: int) -> bytes:
    paragraphs = "".join(f"<p>{escape(p)}.</p>" for p in article_text(n).split(". ") if p)
    return (
        f"<!doctype html><html><head><title>{escape(title)}</title></head><body>"
        f"<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>{escape(title)}</h1>{paragraphs}</article>"
        f"<footer>Copyright Example News</footer></body></html>"
    ).encode()


@dataclass(frozen=True)
class Item:
    title: str
    link: str
    guid: str
    published: str  # RFC 822
    author: str | None = None
    content: str | None = None  # full text, as HTML
    summary: str | None = None


def rss(title: str, items: list[Item]) -> bytes:
    parts = []
    for it in items:
        extra = f"<author>{escape(it.author)}</author>" if it.author else ""
        if it.content:
            extra += f"<content:encoded><![CDATA[{it.content}]]></content:encoded>"
        parts.append(
            f"<item><title>{escape(it.title)}</title><link>{escape(it.link)}</link>"
            f"<guid isPermaLink='false'>{escape(it.guid)}</guid><pubDate>{it.published}</pubDate>"
            f"<description>{escape(it.summary or '')}</description>{extra}</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://example.org/</link><description>test</description>"
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def atom(title: str, items: list[Item]) -> bytes:
    parts = []
    for it in items:
        body = f"<content type='html'>{escape(it.content)}</content>" if it.content else ""
        who = f"<author><name>{escape(it.author)}</name></author>" if it.author else ""
        parts.append(
            f"<entry><title>{escape(it.title)}</title><link href='{escape(it.link)}'/><id>{escape(it.guid)}</id>"
            f"<updated>2025-03-0{1 + len(parts) % 8}T10:00:00Z</updated>{who}"
            f"<summary>{escape(it.summary or '')}</summary>{body}</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id><updated>2025-03-01T10:00:00Z</updated>"
        + "".join(parts)
        + "</feed>"
    ).encode()


def opml(feeds: list[tuple[str, str]]) -> bytes:
    outlines = "".join(
        f"<outline type='rss' text='{escape(t)}' title='{escape(t)}' xmlUrl='{escape(u)}'/>" for u, t in feeds
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><opml version='2.0'><head><title>subscriptions</title></head>"
        f"<body><outline text='News'>{outlines}</outline></body></opml>"
    ).encode()
