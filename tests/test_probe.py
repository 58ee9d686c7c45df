"""A newly watched page is fetched twice on its first night; what differs is noise from then on."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pytest

from tests.servers import LocalServer, Route, robots

pytestmark = pytest.mark.slow

TIPS = [
    f"Tip {n}: press {k} to open the {w} panel quickly."
    for n, (k, w) in enumerate(
        itertools.product("ABCDEFGH", ["search", "share", "export", "history"])
    )
]


def homepage(headline: str):
    counter = itertools.count()

    def answer(_handler) -> Route:
        tip = TIPS[next(counter) % len(TIPS)]  # a different tip on every request
        body = (
            f"<html><body><main><h1>{headline}</h1><p>The canvas for product teams.</p>"
            f"<section><h2>Did you know?</h2><p>{tip}</p></section></main></body></html>"
        )
        return Route(body=body.encode(), headers={"Content-Type": "text/html"})

    return Route(dynamic=answer)


def night(wl, data):
    r = subprocess.run(
        [sys.executable, "-m", "intel.cli", "run", "--watchlist", str(wl), "--data", str(data)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    return r


def events(data):
    r = subprocess.run(
        [sys.executable, "-m", "intel.cli", "events", "--data", str(data), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(r.stdout)


def test_first_night_probe_masks_a_rotating_region(tmp_path):
    with LocalServer({"/robots.txt": robots(""), "/": homepage("Design together")}) as srv:
        wl = tmp_path / "w.yaml"
        wl.write_text(
            "crawl: {allow_private_networks: true}\n"
            f"competitors: [{{name: Acme, pages: [{{url: '{srv.url('/')}', kind: page}}]}}]\n"
        )
        data = tmp_path / "data"
        first = night(wl, data)
        assert "1/1 pages fetched" in first.stdout  # the second look is not a second page
        assert len(srv.hits_for("/")) == 2, "a new page gets a second look"
        night(wl, data)
        assert len(srv.hits_for("/")) == 3, "a known page is fetched once"
        assert events(data) == [], "the rotating tip was learned as noise on night one"
        srv.routes["/"] = homepage("Design together, now with AI")
        night(wl, data)
        evs = events(data)
        assert len(evs) == 1 and any("now with AI" in a for a in evs[0]["added"])
        assert not any("Tip" in a for a in evs[0]["added"])


def test_the_second_look_at_a_page_with_an_etag_is_conditional(tmp_path):
    import sqlite3

    from tests.servers import page

    html = "<html><body><main><h1>Design together</h1><p>Static.</p></main></body></html>"
    with LocalServer({"/robots.txt": robots(""), "/": page(html, etag='"v1"')}) as srv:
        wl = tmp_path / "w.yaml"
        wl.write_text(
            "crawl: {allow_private_networks: true}\n"
            f"competitors: [{{name: Acme, pages: [{{url: '{srv.url('/')}', kind: page}}]}}]\n"
        )
        data = tmp_path / "data"
        first = night(wl, data)
        assert "1/1 pages fetched" in first.stdout
        looks = srv.hits_for("/")
        assert len(looks) == 2, "a new page still gets its second look"
        assert "If-None-Match" not in looks[0].headers
        assert looks[1].headers["If-None-Match"] == '"v1"'  # same ETag: a 304, no body
        conn = sqlite3.connect(data / "intel.sqlite3")
        rows = conn.execute("SELECT status, probe FROM snapshots").fetchall()
        conn.close()
        assert rows == [(200, 0)], "the page is stored once; an unchanged second look adds nothing"
        night(wl, data)
        assert len(srv.hits_for("/")) == 3
        assert events(data) == []
