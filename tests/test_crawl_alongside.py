"""Processing alongside the crawl (`intel.process.Alongside`): a forked child processes the
good snapshots as the crawl stores them; the loop after the crawl takes over where it
stopped. The outcome must be exactly that of processing everything after the crawl."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intel.process import PARALLEL_MIN, Alongside, process_pending
from intel.store import Store
from intel.watchlist import parse_watchlist
from tests.servers import LocalServer, Route, robots

pytestmark = pytest.mark.slow

N = 40


def html(i: int, night: int) -> bytes:
    headline = f"Rival {i} ships dashboards"
    if night >= 2 and i % 10 == 0:
        headline += " with an AI assistant"  # a real move on 4 of the 40 pages
    return (
        f"<html><body><main><h1>{headline}</h1><p>Teams of every size use page {i}.</p>"
        "<p>Start free, no card needed.</p></main></body></html>"
    ).encode()


def watchlist_yaml(url) -> str:
    pages = ", ".join(f"{{url: '{url(i)}', kind: page}}" for i in range(N))
    return f"crawl: {{allow_private_networks: true}}\ncompetitors: [{{name: Acme, pages: [{pages}]}}]\n"


def night(store: Store, wl, n: int, url) -> None:
    """Store one night's snapshots, as the crawl's pipeline does."""
    ids = store.sync_watchlist(wl)
    run = store.start_run()
    for i in range(N):
        body = html(i, n)
        store.add_snapshot(
            run, ids[url(i)], url=url(i), final_url=url(i), status=200,
            headers={"Content-Type": "text/html; charset=utf-8"}, body=body,
            fetched_at=f"2026-11-{20 + n}T02:00:{i:02d}+00:00",
        )  # fmt: skip
        if i == 5:  # one failed fetch: left to the loop after the crawl
            store.add_snapshot(
                run, ids[url(1)], url=url(1), status=None, body=None,
                fetched_at=f"2026-11-{20 + n}T02:00:59+00:00", error="ConnectionLost",
            )  # fmt: skip


def outcome(data: Path) -> tuple[list, list]:
    with Store.open(data) as store:
        # Without the store's event ids: two processes finishing a night store their
        # events as they go, so which page's event gets the lower id depends on timing.
        events = sorted(
            json.dumps({k: v for k, v in e.items() if k != "id"}, sort_keys=True)
            for e in store.events()
        )
        rows = store.conn.execute("SELECT id, outcome FROM snapshots ORDER BY id").fetchall()
    return events, rows


def test_processing_alongside_the_crawl_gives_the_same_outcome(tmp_path):
    # "alongside": the child takes part of the night during the crawl, then finishes the
    # rest; "split": the crawl is over with the whole night pending, so the warm child
    # forks and the two processes split the pages. Both must equal one loop after.
    def url(i: int) -> str:
        return f"https://rival{i}.example/"

    wl = parse_watchlist(watchlist_yaml(url))
    results = {}
    for mode in ("after", "alongside", "split"):
        data = tmp_path / mode
        for n in (1, 2):
            with Store.open(data) as store:
                store.sync_watchlist(wl)
                if mode == "split":
                    night(store, wl, n, url)
            if mode != "after":
                Alongside.start(data, wl)
            with Store.open(data) as store:
                if mode != "split":
                    night(store, wl, n, url)
                if mode == "alongside":  # give the child time to take some of the night
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        left = [s for s in store.pending_snapshots() if s.good]
                        if len(left) < N // 2:
                            break
                        time.sleep(0.05)
                result = process_pending(store, wl)  # "split": asked to finish at once
            assert result.processed == N + 1 and result.failed == 1
            if mode == "alongside":
                assert 0 < result.during_crawl <= N  # the child did part of it, not the failure
            if mode == "split":
                # at least PARALLEL_MIN were left to finish: the two-process path ran
                assert result.during_crawl <= N - PARALLEL_MIN
        results[mode] = outcome(data)

    events, rows = results["after"]
    assert len(events) == 4 and all("AI assistant" in e for e in events)
    # same events, same outcome per snapshot
    assert results["alongside"] == (events, rows) == results["split"]
    assert not [r for r in rows if r[1] == "pending"]


def test_intel_run_path_processes_alongside_and_reports_it(tmp_path):
    routes = {"/robots.txt": robots("")}
    for i in range(N):
        routes[f"/p{i}"] = Route(body=html(i, 1), headers={"Content-Type": "text/html"})
    with LocalServer(routes) as srv:
        wl = tmp_path / "w.yaml"
        wl.write_text(watchlist_yaml(lambda i: srv.url(f"/p{i}")))
        data = tmp_path / "data"
        script = (
            "import json, sys\n"
            "from intel.crawl import crawl\n"
            "from intel.process import process_pending\n"
            "from intel.store import Store\n"
            "from intel.watchlist import load_watchlist\n"
            "wl = load_watchlist(sys.argv[1])\n"
            "with Store.open(sys.argv[2]) as s:\n"
            "    s.sync_watchlist(wl); run = s.start_run()\n"
            "c = crawl(wl, sys.argv[2], run_id=run, progress=False, process_alongside=True)\n"
            "with Store.open(sys.argv[2]) as s:\n"
            "    print(json.dumps([c.summary(), process_pending(s, wl).summary()]))\n"
        )
        r = subprocess.run(
            [sys.executable, "-c", script, str(wl), str(data)],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert r.returncode == 0, r.stderr
    crawled, processed = json.loads(r.stdout.strip().splitlines()[-1])
    assert crawled["fetched"] == N and crawled["failed"] == 0
    assert processed["baseline"] == N and processed["failed"] == 0
    assert 0 <= processed["during_crawl"] <= processed["processed"]
    with Store.open(data) as store:
        assert not store.pending_snapshots()
