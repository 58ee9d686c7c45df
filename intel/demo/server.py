"""Serve the demo world over real HTTP on 127.0.0.1, one port per rival, switchable by day.

Each rival gets its own origin (its own port), as real rivals have their own domains:
its own robots.txt, root-relative links that resolve, and per-domain politeness in the
crawler that behaves as it would on the web. The server runs in threads of the demo's
own process; the crawler runs in a subprocess (Twisted's reactor cannot restart), so
switching the day between nights is one attribute write here.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from intel.demo.world import DAYS, SITES, Noise, World


class DemoServer:
    """The demo world on 127.0.0.1: `start()`, `set_day(n)`, `url(slug, path)`, `stop()`."""

    def __init__(self, world: World, day: int = 1, host: str = "127.0.0.1") -> None:
        self.world = world
        self.host = host
        self._day = day
        self._hits = itertools.count()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.requests: list[tuple[str, str]] = []  # (slug, path) served, for tests and counts

    @property
    def day(self) -> int:
        return self._day

    def set_day(self, day: int) -> None:
        if not 1 <= day <= DAYS:
            raise ValueError(f"the demo world has days 1..{DAYS}, not {day}")
        self._day = day

    def start(self) -> DemoServer:
        for site in SITES:
            handler = type(
                f"{site.slug.title()}Handler", (_Handler,), {"demo": self, "slug": site.slug}
            )
            httpd = ThreadingHTTPServer((self.host, 0), handler)
            httpd.daemon_threads = True
            thread = threading.Thread(
                target=httpd.serve_forever, name=f"demo-{site.slug}", daemon=True
            )
            thread.start()
            self._servers[site.slug] = httpd
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for httpd in self._servers.values():
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def base_url(self, slug: str) -> str:
        host, port = self._servers[slug].server_address[:2]
        return f"http://{host}:{port}"

    def base_urls(self) -> dict[str, str]:
        return {slug: self.base_url(slug) for slug in self._servers}

    def url(self, slug: str, path: str = "/") -> str:
        return self.base_url(slug) + path

    def noise(self) -> Noise:
        """Fresh noise for one request: a random seed, the real clock, the hit counter."""
        return Noise(seed=secrets.randbits(64), now=datetime.now(UTC), hits=next(self._hits))


class _Handler(BaseHTTPRequestHandler):
    demo: DemoServer
    slug: str
    server_version = "demo-httpd/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(with_body=False)

    def _respond(self, with_body: bool) -> None:
        parts = urlsplit(self.path)
        self.demo.requests.append((self.slug, parts.path))
        response = self.demo.world.render(
            self.slug, parts.path or "/", self.demo.day, self.demo.noise(), parts.query
        )
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if with_body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the demo prints what moved, not an access log."""


def serve(day: int = 1, start: date | None = None) -> DemoServer:
    """A started server for a world whose day 1 is `start` (default: today)."""
    return DemoServer(World(start or date.today()), day=day).start()
