"""The revalidation pass: unchanged pages settled by a 304 before the crawl starts.

Real `intel run` subprocesses against a real local server (tests/servers.py), and the
pass itself in-process against the same server where a watchlist setting is changed
between nights. What a user would notice: one request per unchanged page, with the
crawl's user agent and validators; a page that moved still reported, exactly once; a
robots.txt or address that forbids a page still forbids it; a server that ignores
validators not asked twice night after night.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from crawlers.revalidate import revalidate
from intel.store import Store
from intel.watchlist import load_watchlist
from tests.servers import LocalServer, page, robots
from tests.test_crawl import run

pytestmark = pytest.mark.slow

UA = "ourco-intel/1.0 (+https://ourco.example/bot)"
LAST_MODIFIED = "Fri, 20 Nov 2026 08:00:00 GMT"


def pricing(team: int) -> str:
    return (
        "<html><body><main><h1>Pricing</h1>"
        "<div class='plan'><h3>Starter</h3><p class='price'>$10 / month</p>"
        "<ul><li>5 users</li></ul></div>"
        f"<div class='plan'><h3>Team</h3><p class='price'>${team} / month</p>"
        "<ul><li>SSO</li></ul></div></main></body></html>"
    )


def watchlist(path: Path, urls: list[str]) -> Path:
    pages = "\n".join(f"      - {{url: '{u}', kind: pricing}}" for u in urls)
    path.write_text(
        f'crawl: {{allow_private_networks: true, user_agent: "{UA}", retries: 0}}\n'
        f"competitors:\n  - name: Acme\n    pages:\n{pages}\n"
    )
    return path


def night(wl: Path, data: Path, srv: LocalServer) -> tuple[dict, list]:
    """One `intel run`; its stored summary and the requests the server saw meanwhile."""
    before = len(srv.hits)
    result = run(["-m", "intel.cli", "run", "-q", "-w", str(wl), "--data", str(data)], data.parent)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(data / "intel.sqlite3")
    summary = json.loads(conn.execute("SELECT summary FROM runs ORDER BY id DESC").fetchone()[0])
    conn.close()
    return summary, list(srv.hits)[before:]


def paths(hits: list) -> list[str]:
    return sorted(h.path for h in hits)


def events(data: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(data / "intel.sqlite3")
    rows = conn.execute("SELECT type, why FROM events ORDER BY id").fetchall()
    conn.close()
    return rows


def test_unchanged_pages_cost_one_304_and_a_moved_page_is_still_reported(tmp_path):
    routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/etag": page(pricing(25), etag='"e1"'),
        "/dated": page(pricing(25), last_modified=LAST_MODIFIED),
        "/plain": page(pricing(25)),  # no validators: always the crawl's
        "/moves": page(pricing(25), etag='"m1"'),
        # sends an ETag, never answers 304
        "/ignores": page(pricing(25), headers={"ETag": '"i1"'}),
    }
    with LocalServer(routes) as srv:
        urls = [srv.url(p) for p in routes if p != "/robots.txt"]
        wl = watchlist(tmp_path / "watchlist.yaml", urls)
        data = tmp_path / "data"
        night(wl, data, srv)  # first sight: every page fetched by the crawl

        srv.routes["/moves"] = page(pricing(29), etag='"m2"')
        summary, hits = night(wl, data, srv)
        # Asked first: /etag, /dated, /moves (a 200: closed unread) and /ignores (a 200);
        # then the crawl fetches /plain, /moves and /ignores.
        assert summary["crawl"]["revalidated"] == 2
        assert summary["crawl"]["not_modified"] == 2
        assert summary["crawl"]["fetched"] == 5 and summary["crawl"]["failed"] == 0
        pages = [h for h in hits if h.path != "/robots.txt"]
        assert paths(pages) == [
            "/dated",
            "/etag",
            "/ignores",
            "/ignores",
            "/moves",
            "/moves",
            "/plain",
        ]
        by_path = {h.path: h.headers for h in pages}
        assert by_path["/etag"]["If-None-Match"] == '"e1"'
        assert by_path["/dated"]["If-Modified-Since"] == LAST_MODIFIED
        assert {h.headers.get("User-Agent") for h in hits} == {UA}
        # The same encodings as the fetch that stored the validators (per-encoding ETags).
        assert len({h.headers.get("Accept-Encoding") for h in pages}) == 1
        assert [t for t, _ in events(data)] == ["price_change"]
        assert "$25 -> $29" in events(data)[0][1]

        summary, hits = night(wl, data, srv)
        # /moves answered 200 last night and /ignores repeated its bytes: each gets one
        # request, from the crawl (a 304 for /moves), no second one from the pass.
        pages = [h for h in hits if h.path != "/robots.txt"]
        assert paths(pages) == ["/dated", "/etag", "/ignores", "/moves", "/plain"]
        assert summary["crawl"]["revalidated"] == 2 and summary["crawl"]["not_modified"] == 3

        summary, hits = night(wl, data, srv)
        # /moves answered 304 to the crawl: the pass settles it again.
        assert summary["crawl"]["revalidated"] == 3
        assert paths([h for h in hits if h.path != "/robots.txt"]) == [
            "/dated",
            "/etag",
            "/ignores",
            "/moves",
            "/plain",
        ]
        assert len(events(data)) == 1  # nothing invented by the nights in between

    conn = sqlite3.connect(data / "intel.sqlite3")
    rows = conn.execute(
        "SELECT status, not_modified, body, error FROM snapshots WHERE url = ? ORDER BY id",
        (srv.url("/etag"),),
    ).fetchall()
    conn.close()
    assert rows[1:] == [(304, 1, None, None)] * 3


def test_a_night_where_every_page_is_unchanged_never_starts_the_crawl(tmp_path):
    routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/a": page(pricing(25), etag='"a1"'),
        "/b": page(pricing(30), etag='"b1"'),
        "/pr%C3%A4ise": page(pricing(35), etag='"c1"'),  # the watchlist spells it "/präise"
    }
    with LocalServer(routes) as srv:
        urls = [srv.url("/a"), srv.url("/b"), srv.url("/präise")]
        wl = watchlist(tmp_path / "watchlist.yaml", urls)
        data = tmp_path / "data"
        night(wl, data, srv)
        summary, hits = night(wl, data, srv)

    # robots.txt read once (by the pass; no crawl to read it again), each page asked once
    assert [h.path for h in hits].count("/robots.txt") == 1
    assert paths([h for h in hits if h.path != "/robots.txt"]) == ["/a", "/b", "/pr%C3%A4ise"]
    assert summary["crawl"]["revalidated"] == 3
    assert summary["process"]["unchanged"] == 3 and summary["process"]["events"] == {}


def test_a_page_robots_txt_now_forbids_is_not_asked(tmp_path):
    routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/open": page(pricing(25), etag='"o1"'),
        "/closed": page(pricing(25), etag='"c1"'),
    }
    with LocalServer(routes) as srv:
        wl = watchlist(tmp_path / "watchlist.yaml", [srv.url("/open"), srv.url("/closed")])
        data = tmp_path / "data"
        night(wl, data, srv)
        srv.routes["/robots.txt"] = robots("User-agent: *\nDisallow: /closed\n")
        summary, hits = night(wl, data, srv)

    assert "/closed" not in [h.path for h in hits]
    assert summary["crawl"]["revalidated"] == 1
    # left to the crawl, which refuses it as on any night: a failure, not an event
    assert summary["crawl"]["failed"] == 1
    assert "robots.txt" in summary["crawl"]["failures"][0]
    assert events(data) == []


def test_a_loopback_address_is_not_asked_when_the_watchlist_no_longer_allows_it(tmp_path):
    routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/pricing": page(pricing(25), etag='"p1"'),
    }
    with LocalServer(routes) as srv:
        wl_path = watchlist(tmp_path / "watchlist.yaml", [srv.url("/pricing")])
        data = tmp_path / "data"
        night(wl_path, data, srv)
        wl = load_watchlist(wl_path)
        guarded = wl.model_copy(
            update={"crawl": wl.crawl.model_copy(update={"allow_private_networks": False})}
        )
        before = len(srv.hits)
        with Store.open(data) as store:
            refused = revalidate(store, guarded, None)
            allowed = revalidate(store, wl, None)
        guarded_hits = list(srv.hits)[before:]

    assert refused.unchanged == set()
    assert "loopback" in refused.left[srv.url("/pricing")]
    # only the allowed pass reached the server: robots.txt and the page, once each
    assert [h.path for h in guarded_hits] == ["/robots.txt", "/pricing"]
    assert allowed.unchanged == {srv.url("/pricing")}


def test_a_host_that_hangs_costs_the_pass_one_timeout_not_one_per_page(tmp_path):
    routes = {"/robots.txt": robots("User-agent: *\nAllow: /\n")}
    routes.update({f"/p{i}": page(pricing(20 + i), etag=f'"p{i}"') for i in range(3)})
    routes["/fast"] = page(pricing(40), etag='"f"')  # keeps the night from failing whole
    with LocalServer(routes) as srv:
        urls = [srv.url(p) for p in routes if p != "/robots.txt"]
        wl = tmp_path / "watchlist.yaml"
        pages = "\n".join(f"      - {{url: '{u}', kind: pricing}}" for u in urls)
        wl.write_text(
            "crawl: {allow_private_networks: true, retries: 0, timeout: 1, "
            "per_domain_concurrency: 1}\n"
            f"competitors:\n  - name: Acme\n    pages:\n{pages}\n"
        )
        data = tmp_path / "data"
        night(wl, data, srv)
        for i in range(3):  # the next night the host answers nothing in time
            srv.routes[f"/p{i}"] = page(pricing(20 + i), etag=f'"p{i}"', delay=3)
        summary, hits = night(wl, data, srv)

    # one question timed out; the other two went straight to the crawl (which failed them)
    assert len([h for h in hits if h.path.startswith("/p")]) == 1 + 3
    assert summary["crawl"]["failed"] == 3 and summary["crawl"]["fetched"] == 1
    assert events(data) == []  # a failing page never invents an event


def _unchanged_world(tmp_path: Path, srv: LocalServer, n: int) -> tuple[Path, Path]:
    wl = watchlist(tmp_path / "watchlist.yaml", [srv.url(f"/p{i}") for i in range(n)])
    wl.write_text(wl.read_text().replace("retries: 0}", "retries: 0, per_domain_concurrency: 4}"))
    data = tmp_path / "data"
    night(wl, data, srv)
    return wl, data


def test_many_questions_are_shared_by_two_processes_each_page_asked_once(tmp_path, monkeypatch):
    import crawlers.revalidate as pass_

    monkeypatch.setattr(pass_, "SPLIT_FROM", 2)
    routes = {"/robots.txt": robots("User-agent: *\nAllow: /\n")}
    routes.update({f"/p{i}": page(pricing(20 + i), etag=f'"p{i}"') for i in range(7)})
    with LocalServer(routes) as srv:
        wl, data = _unchanged_world(tmp_path, srv, 7)
        before = len(srv.hits)
        with Store.open(data) as store:
            settled = revalidate(store, load_watchlist(wl), None)
        hits = list(srv.hits)[before:]
    assert settled.unchanged == {srv.url(f"/p{i}") for i in range(7)} and settled.left == {}
    # robots.txt once, before the fork; every page once, by one process or the other
    assert paths(hits) == sorted(["/robots.txt"] + [f"/p{i}" for i in range(7)])
    with Store.open(data) as store:
        stored = [s for s in store.pending_snapshots() if s.not_modified]
    assert sorted(s.url for s in stored) == sorted(settled.unchanged)


def test_pages_of_a_second_asker_that_dies_are_left_to_the_crawl(tmp_path, monkeypatch):
    import crawlers.revalidate as pass_

    def dies(*_a, **_k):  # only the second process sends its answers through pickle
        raise OSError("killed")

    monkeypatch.setattr(pass_, "SPLIT_FROM", 2)
    monkeypatch.setattr(pass_.pickle, "dump", dies)
    routes = {"/robots.txt": robots("User-agent: *\nAllow: /\n")}
    routes.update({f"/p{i}": page(pricing(20 + i), etag=f'"p{i}"') for i in range(4)})
    with LocalServer(routes) as srv:
        wl, data = _unchanged_world(tmp_path, srv, 4)
        with Store.open(data) as store:
            settled = revalidate(store, load_watchlist(wl), None)
        urls = {srv.url(f"/p{i}") for i in range(4)}
    # half were settled here; the others are fetched by the crawl as on any other night
    assert len(settled.unchanged) == 2 and set(settled.left) == urls - settled.unchanged
    assert set(settled.left.values()) == {"the second asker died"}
