"""The nightly job end to end: real `intel run` subprocesses against a real local HTTP server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


class World:
    """A tiny competitor site whose content changes when the test says a night has passed."""

    def __init__(self, slow: float = 0.0) -> None:
        self.night = 1
        self.slow = slow
        self.broken: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                path = self.path.split("?")[0]
                if path == "/robots.txt":
                    return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
                if path in outer.broken:
                    return self._send(500, b"oops", "text/plain")
                if outer.slow:
                    time.sleep(outer.slow)
                return self._send(200, outer.page(path).encode(), "text/html; charset=utf-8")

            def _send(self, code, body, ctype):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def page(self, path: str) -> str:
        headline = "Ship faster with Acme" if self.night < 2 else "Ship faster with Acme AI agents"
        if path != "/":
            headline = f"Docs page {path.strip('/')}"
        token = os.urandom(8).hex()  # noise on every request
        return (
            f"<html><head><title>Acme</title><meta name='csrf-token' content='{token}'></head>"
            f"<body><nav><a href='/'>Home</a></nav><main><h1>{headline}</h1>"
            "<p>Acme is the platform for teams who build and ship software together.</p>"
            f"<p>Rendered at {time.strftime('%H:%M:%S')}.</p></main>"
            "<footer>&copy; 2026 Acme Inc.</footer></body></html>"
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def world():
    w = World()
    yield w
    w.close()


def write_watchlist(tmp_path: Path, urls: list[str], extra: str = "") -> Path:
    pages = "\n".join(f"      - {{url: '{u}', kind: page}}" for u in urls)
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(
        "crawl: {allow_private_networks: true, retries: 0, timeout: 10}\n"
        f"{extra}competitors:\n  - name: Acme\n    pages:\n{pages}\n"
    )
    return wl


def intel(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intel.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def events(data: Path) -> list[dict]:
    r = intel("events", "--data", str(data), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_two_nights_find_the_headline_change_and_nothing_else(world, tmp_path):
    data = tmp_path / "data"
    wl = write_watchlist(tmp_path, [world.url("/"), world.url("/docs")])
    first = intel("run", "--watchlist", str(wl), "--data", str(data))
    assert first.returncode == 0, first.stderr + first.stdout
    assert "2/2 pages fetched" in first.stdout
    assert events(data) == []  # the first night is the baseline
    world.night = 2
    second = intel("run", "--watchlist", str(wl), "--data", str(data))
    assert second.returncode == 0, second.stderr
    evs = events(data)
    assert len(evs) == 1, evs
    ev = evs[0]
    assert ev["type"] == "content_change" and ev["url"] == world.url("/")
    assert any("AI agents" in a for a in ev["added"])
    assert ev["competitor"] == "Acme" and ev["found_at"] and ev["id"]
    third = intel("run", "--watchlist", str(wl), "--data", str(data))  # nothing moved: only noise
    assert third.returncode == 0
    assert len(events(data)) == 1


def test_failed_pages_are_recorded_and_never_invent_events(world, tmp_path):
    data = tmp_path / "data"
    refused = "http://127.0.0.1:9/closed"  # nothing listens on the discard port
    wl = write_watchlist(tmp_path, [world.url("/"), world.url("/docs"), refused])
    assert intel("run", "--watchlist", str(wl), "--data", str(data)).returncode == 0
    world.broken.add("/docs")
    r = intel("run", "--watchlist", str(wl), "--data", str(data))
    assert r.returncode == 0, r.stderr  # the night went through
    assert "1/3 pages fetched, 2 failed" in r.stdout
    world.broken.clear()
    assert intel("run", "--watchlist", str(wl), "--data", str(data)).returncode == 0
    assert events(data) == []  # a failure, then a recovery: no move invented
    runs = json.loads(intel("runs", "--data", str(data), "--json").stdout)
    assert runs[1]["status"] == "partial"
    with sqlite3.connect(data / "intel.sqlite3") as db:
        failed = db.execute(
            "SELECT url, status, error FROM snapshots WHERE error IS NOT NULL OR status >= 400"
        ).fetchall()
    assert {u for u, _, _ in failed} == {refused, world.url("/docs")}


def test_nothing_fetched_exits_1_with_one_line(tmp_path):
    wl = write_watchlist(tmp_path, ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    r = intel("run", "--watchlist", str(wl), "--data", str(tmp_path / "d"))
    assert r.returncode == 1
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "none of the 2 pages could be fetched" in errors[0]


def test_sigkill_mid_crawl_loses_nothing_and_the_next_run_completes(tmp_path):
    """Kill -9 in the middle of a crawl; the store opens, and the next run finishes the job.

    Checks: SQLite integrity after the kill; the next `intel run` exits 0; every page then
    has a good snapshot; snapshots the killed run stored are processed (none left pending);
    a real change is reported exactly once (no doubles from redone work).
    """
    w = World(slow=0.25)
    try:
        data = tmp_path / "data"
        urls = [w.url(f"/p{i}") for i in range(30)] + [w.url("/")]
        wl = write_watchlist(tmp_path, urls)
        assert (
            intel("run", "--watchlist", str(wl), "--data", str(data), timeout=300).returncode == 0
        )
        w.night = 2  # the homepage headline changes tonight
        proc = subprocess.Popen(
            [sys.executable, "-m", "intel.cli", "run", "--watchlist", str(wl), "--data", str(data)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 60
        stored = 0
        while time.time() < deadline:
            with sqlite3.connect(f"file:{data / 'intel.sqlite3'}?mode=ro", uri=True) as db:
                stored = db.execute("SELECT count(*) FROM snapshots WHERE run_id = 2").fetchone()[0]
            if stored >= 5:
                break
            time.sleep(0.05)
        assert 5 <= stored < len(urls), f"kill should land mid-crawl (stored {stored})"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

        with sqlite3.connect(data / "intel.sqlite3") as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        w.slow = 0
        r = intel("run", "--watchlist", str(wl), "--data", str(data), timeout=300)
        assert r.returncode == 0, r.stderr
        with sqlite3.connect(data / "intel.sqlite3") as db:
            pending = db.execute(
                "SELECT count(*) FROM snapshots WHERE outcome = 'pending'"
            ).fetchone()[0]
            latest_ok = db.execute(
                "SELECT count(DISTINCT page_id) FROM snapshots WHERE run_id = 3 AND status = 200"
            ).fetchone()[0]
        assert pending == 0
        assert latest_ok == len(urls)
        evs = events(data)
        assert len([e for e in evs if e["type"] == "content_change"]) == 1, evs
        again = intel("run", "--watchlist", str(wl), "--data", str(data), timeout=300)
        assert again.returncode == 0 and len(events(data)) == len(evs)
    finally:
        w.close()
