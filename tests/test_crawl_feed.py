"""A changelog page that advertises a feed is read through the feed; the HTML is the fallback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import LocalServer, Route, page, robots, status

pytestmark = pytest.mark.slow

HTML = """<html><head><title>Changelog</title>
<link rel="alternate" type="application/atom+xml" title="Changelog feed" href="/changelog/feed.xml">
</head><body><main><h1>Changelog</h1>
<article><h2>Audit log export</h2><time datetime="2026-11-02">Nov 2, 2026</time><p>Export audit logs.</p></article>
</main></body></html>"""


def atom(entries: list[tuple[str, str]]) -> Route:
    items = "".join(
        f"<entry><title>{t}</title><id>urn:{t}</id><updated>{d}T09:00:00Z</updated>"
        f"<link href='https://acme.example/changelog#{d}'/><summary>{t} is here.</summary></entry>"
        for t, d in entries
    )
    body = (
        "<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        f"<title>Acme changelog</title><id>urn:acme</id><updated>2026-11-20T00:00:00Z</updated>{items}</feed>"
    )
    return Route(body=body.encode(), headers={"Content-Type": "application/atom+xml"})


def watch_changelog(srv: LocalServer, tmp_path: Path) -> tuple[Path, Path]:
    """A watchlist of the server's /changelog page, and the data dir to run it with."""
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(
        "crawl: {allow_private_networks: true, retries: 0}\n"
        f"competitors: [{{name: Acme, pages: [{{url: '{srv.url('/changelog')}', kind: changelog}}]}}]\n"
    )
    return wl, tmp_path / "data"


def night(wl: Path, data: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intel.cli", "run", "--watchlist", str(wl), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def events(data: Path) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "intel.cli", "events", "--data", str(data), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def test_discovered_feed_is_fetched_and_its_new_entry_reported(tmp_path):
    old = [("Audit log export", "2026-11-02"), ("Dark mode", "2026-10-20")]
    routes = {"/robots.txt": robots(""), "/changelog": page(HTML), "/changelog/feed.xml": atom(old)}
    with LocalServer(routes) as srv:
        wl, data = watch_changelog(srv, tmp_path)
        assert night(wl, data).returncode == 0
        assert srv.hits_for("/changelog/feed.xml"), "the advertised feed was fetched"
        srv.routes["/changelog/feed.xml"] = atom([("AI release notes", "2026-11-20"), *old])
        assert night(wl, data).returncode == 0
        evs = events(data)
        assert [(e["type"], e["title"], e["date"]) for e in evs] == [
            ("changelog_entry", "AI release notes", "2026-11-20")
        ]

        # The feed breaks: the HTML page is stored instead, and no entry is invented.
        srv.routes["/changelog/feed.xml"] = status(500)
        r = night(wl, data)
        assert r.returncode == 0
        assert "1/1 pages fetched" in r.stdout
        assert len(events(data)) == 1

        # The feed is back: compared with the HTML night it would look like two new
        # entries; the page starts afresh from the feed instead.
        srv.routes["/changelog/feed.xml"] = atom([("AI release notes", "2026-11-20"), *old])
        assert night(wl, data).returncode == 0
        assert len(events(data)) == 1


def test_the_feed_is_asked_with_its_own_validators_and_the_page_with_none_of_them(tmp_path):
    # A changelog shell whose entries come from its feed: the HTML never changes, the feed
    # does. Both were built at the same moment, so they share a Last-Modified date.
    built, rebuilt = "Mon, 02 Nov 2026 09:00:00 GMT", "Fri, 20 Nov 2026 09:00:00 GMT"
    old = [("Audit log export", "2026-11-02"), ("Dark mode", "2026-10-20")]

    def feed(entries: list[tuple[str, str]], etag: str, modified: str) -> Route:
        route = atom(entries)
        route.etag, route.last_modified = etag, modified
        return route

    routes = {
        "/robots.txt": robots(""),
        "/changelog": page(HTML, last_modified=built),
        "/changelog/feed.xml": feed(old, '"f1"', built),
    }
    with LocalServer(routes) as srv:
        wl, data = watch_changelog(srv, tmp_path)
        assert night(wl, data).returncode == 0

        # A new entry in the feed. The feed's validators must not make the unchanged HTML
        # answer 304 (the feed, and its entry, would never be read).
        srv.routes["/changelog/feed.xml"] = feed(
            [("AI release notes", "2026-11-20"), *old], '"f2"', rebuilt
        )
        assert night(wl, data).returncode == 0
        html_asks = srv.hits_for("/changelog")
        assert "If-None-Match" not in html_asks[-1].headers
        assert "If-Modified-Since" not in html_asks[-1].headers
        assert [e["title"] for e in events(data)] == ["AI release notes"]

        # Nothing new: the feed is asked "changed since?" with its own ETag and says 304.
        feed_asks = len(srv.hits_for("/changelog/feed.xml"))
        r = night(wl, data)
        assert r.returncode == 0 and "1/1 pages fetched" in r.stdout
        asked = srv.hits_for("/changelog/feed.xml")
        assert len(asked) == feed_asks + 1
        assert asked[-1].headers.get("If-None-Match") == '"f2"'
        assert [e["title"] for e in events(data)] == ["AI release notes"]

        # The next entry is read from the feed after a night of 304.
        srv.routes["/changelog/feed.xml"] = feed(
            [("SSO for everyone", "2026-11-27"), ("AI release notes", "2026-11-20"), *old],
            '"f3"',
            "Fri, 27 Nov 2026 09:00:00 GMT",
        )
        assert night(wl, data).returncode == 0
        assert [e["title"] for e in events(data)] == ["SSO for everyone", "AI release notes"]
