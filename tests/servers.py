"""A scripted local HTTP server for crawl tests: real sockets on 127.0.0.1:0.

    with LocalServer({"/pricing": page(b"<html>...</html>", etag='"v1"'),
                      "/down": status(500),
                      "/slow": slow(5.0)}) as srv:
        srv.url("/pricing")      # http://127.0.0.1:PORT/pricing
        srv.hits                 # every request: method, path, headers, host

It runs in a thread of the test process (the crawl under test runs in a subprocess, so
the two never share a reactor), serves each connection in its own thread, and misbehaves
on request: 5xx, slowness, redirects, robots.txt, 304 for a matching ETag, a reset
connection, a truncated body, a huge body, a gzip bomb. Requests whose line carries an
absolute URL (a client using it as an HTTP proxy) are routed by their path, so a test
can serve "public" hostnames that resolve nowhere.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Route:
    """How the server answers one path."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: answer 304 when the request's If-None-Match carries this ETag
    etag: str | None = None
    #: sent as Last-Modified; a request whose If-Modified-Since equals it gets a 304
    last_modified: str | None = None
    #: seconds to wait before answering
    delay: float = 0.0
    #: "reset": abort the connection with a TCP RST; "truncate": send half the body and close
    fault: str | None = None
    #: stream this many bytes of filler instead of `body`
    size: int | None = None
    #: send a Content-Length (False: the body ends when the connection closes)
    declare_length: bool = True
    #: compute the answer per request instead (gets the handler); overrides the above
    dynamic: Callable[[BaseHTTPRequestHandler], Route] | None = None


def page(body: bytes | str, **kw) -> Route:
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": "text/html; charset=utf-8", **kw.pop("headers", {})}
    return Route(body=data, headers=headers, **kw)


def status(code: int, body: bytes = b"error") -> Route:
    return Route(status=code, body=body, headers={"Content-Type": "text/plain"})


def redirect(location: str, code: int = 302) -> Route:
    return Route(status=code, headers={"Location": location})


def slow(seconds: float, body: bytes = b"<html>late</html>") -> Route:
    return page(body, delay=seconds)


def robots(text: str) -> Route:
    return Route(body=text.encode(), headers={"Content-Type": "text/plain"})


def reset() -> Route:
    return Route(fault="reset")


def truncated(body: bytes = b"<html>" + b"x" * 4000 + b"</html>") -> Route:
    return page(body, fault="truncate")


def huge(nbytes: int, declare_length: bool = True) -> Route:
    return Route(size=nbytes, headers={"Content-Type": "text/html"}, declare_length=declare_length)


def gzip_bomb(nbytes: int) -> Route:
    """A small gzip body that inflates to `nbytes` of zeros."""
    body = gzip.compress(b"\0" * nbytes, compresslevel=9)
    return Route(body=body, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})


@dataclass
class Hit:
    method: str
    path: str
    headers: dict[str, str]
    #: the Host header (or the absolute URL's host, when used as a proxy)
    host: str


class LocalServer:
    """A threaded HTTP server on 127.0.0.1:0 answering from a table of routes."""

    def __init__(self, routes: dict[str, Route] | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> LocalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        handler = _make_handler(self)
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- use ------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._port is not None, "server not started"
        return self._port  # still known after stop(), for assertions on stored URLs

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        with self._lock:
            return [h.path for h in self.hits]

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.path == path]

    def _record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-answer is what these tests do on purpose


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # tests read `hits`, not stderr

        def do_HEAD(self) -> None:
            self._answer(head=True)

        def do_GET(self) -> None:
            self._answer()

        def _answer(self, head: bool = False) -> None:
            parts = urlsplit(self.path)
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            host = parts.netloc or self.headers.get("Host", "")
            server._record(Hit(self.command, path, dict(self.headers.items()), host))
            route = server.routes.get(path) or server.routes.get(parts.path)
            if route is None:
                route = status(404, b"not found")
            if route.dynamic is not None:
                route = route.dynamic(self)
            if route.delay:
                time.sleep(route.delay)
            if route.fault == "reset":
                # SO_LINGER 0: close() sends a RST instead of a FIN
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            if self._not_modified(route):
                self.send_response(304)
                if route.etag:
                    self.send_header("ETag", route.etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            length = route.size if route.size is not None else len(route.body)
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            if route.declare_length:
                self.send_header("Content-Length", str(length))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if head:
                return
            try:
                if route.fault == "truncate":
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif route.size is not None:
                    chunk = b"<p>" + b"x" * 65529 + b"</p>\n"
                    sent = 0
                    while sent < route.size:
                        piece = chunk[: route.size - sent]
                        self.wfile.write(piece)
                        sent += len(piece)
                else:
                    self.wfile.write(route.body)
            except OSError:
                self.close_connection = True  # the client hung up (e.g. cut off for size)

        def _not_modified(self, route: Route) -> bool:
            inm = self.headers.get("If-None-Match")
            if route.etag and inm:
                return route.etag in [t.strip() for t in inm.split(",")]
            ims = self.headers.get("If-Modified-Since")
            return bool(route.last_modified and ims and ims == route.last_modified)

    return Handler


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts, and can hang.

        with SmtpSink(port, stall="QUIT") as smtp:
            ...                     # a client sends; the server hangs before answering QUIT
            smtp.stalled.wait(30)   # the client is now waiting inside that command
            smtp.delivered          # messages answered with 250 after DATA: accepted

    `stall` is the SMTP command ("MAIL" or "QUIT") whose answer is withheld until
    `release()` (or 60 s): "MAIL" hangs before any of the message was sent, "QUIT" after
    the server accepted it. A message counts as delivered only once its 250 is sent, as in
    a real MTA that takes responsibility for a message with that reply. `quit_reply` is
    what QUIT gets (a server shutting down may say "421 ...").
    """

    def __init__(self, port: int, stall: str | None = None, quit_reply: str = "221 Bye") -> None:
        import asyncio

        from aiosmtpd.controller import Controller

        self.delivered: list[bytes] = []
        self.stalled = threading.Event()
        self._release = threading.Event()
        outer = self

        async def hold() -> None:
            outer.stalled.set()
            for _ in range(600):  # never longer than 60 s, whatever the test does
                if outer._release.is_set():
                    return
                await asyncio.sleep(0.1)

        class Handler:
            async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
                if stall == "MAIL":
                    await hold()
                envelope.mail_from = address
                envelope.mail_options.extend(mail_options)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                outer.delivered.append(envelope.original_content or envelope.content)
                return "250 OK"

            async def handle_QUIT(self, server, session, envelope):  # noqa: N802
                if stall == "QUIT":
                    await hold()
                return quit_reply

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.controller.stop()
