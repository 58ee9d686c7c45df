"""Real crawls (`intel crawl`, `scrapy crawl watch`) in subprocesses against a misbehaving local server.

Each crawl runs in its own process: Twisted's reactor cannot be restarted.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import (
    LocalServer,
    closed_port,
    gzip_bomb,
    huge,
    page,
    redirect,
    reset,
    robots,
    slow,
    status,
    truncated,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
HTML = "<html><body><main><h1>Acme pricing</h1><p>Team plan: $12 per seat.</p></main></body></html>"
UA = "ourco-intel/1.0 (+https://ourco.example/bot)"


def write_watchlist(path: Path, urls: list[str], crawl: str) -> Path:
    pages = "\n".join(f"      - {{url: '{u}', kind: page}}" for u in urls)
    path.write_text(f"crawl: {crawl}\ncompetitors:\n  - name: Acme\n    pages:\n{pages}\n")
    return path


def run(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 120):
    full_env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    full_env.pop("INTEL_DATA", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def intel_crawl(wl: Path, data: Path, env: dict | None = None):
    return run(["-m", "intel.cli", "crawl", "-w", str(wl), "--data", str(data)], data.parent, env)


def snapshots(data: Path) -> dict[str, list[dict]]:
    """Every stored fetch by watched URL, oldest first (read with plain SQL, not our store)."""
    conn = sqlite3.connect(data / "intel.sqlite3")
    conn.row_factory = sqlite3.Row
    out: dict[str, list[dict]] = {}
    # probes (a second look at a new generic page, see tests/test_probe.py) are not fetches of record
    for row in conn.execute("SELECT * FROM snapshots WHERE probe = 0 ORDER BY id"):
        out.setdefault(row["url"], []).append(dict(row))
    conn.close()
    return out


def test_a_night_with_failures_stores_every_page_and_goes_on(tmp_path):
    routes = {
        "/robots.txt": robots("User-agent: *\nDisallow: /internal/\n"),
        "/pricing": page(HTML),
        "/features": page(HTML.replace("pricing", "features")),
        "/old-path": redirect("/new-path", 301),
        "/new-path": page(HTML.replace("pricing", "moved")),
        "/down": status(500),
        "/gone": status(404),
        "/internal/roadmap": page("secret"),
        "/reset": reset(),
        "/truncated": truncated(),
        "/huge": huge(3_000_000),
        "/huge-unannounced": huge(3_000_000, declare_length=False),
        "/bomb": gzip_bomb(60_000_000),
        "/slow": slow(5.0),
        "/empty": page(b""),
    }
    with LocalServer(routes) as srv:
        refused = f"http://127.0.0.1:{closed_port()}/pricing"
        unknown = "http://no-such-host.invalid/pricing"  # DNS failure
        urls = [srv.url(p) for p in routes if p not in ("/robots.txt", "/new-path")]
        urls += [refused, unknown]
        wl = write_watchlist(
            tmp_path / "watchlist.yaml",
            urls,
            f'{{allow_private_networks: true, user_agent: "{UA}", timeout: 1.5, retries: 1, '
            "max_page_bytes: 1048576}",
        )
        data = tmp_path / "data"
        result = intel_crawl(wl, data)
        hits = list(srv.hits)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # under cron: no Scrapy log on stderr, only the summary
    assert result.stdout.startswith("crawl: 4/15 pages fetched")
    snaps = snapshots(data)
    assert sorted(snaps) == sorted(urls)  # every page stored, the failed ones included
    assert all(len(v) == 1 for v in snaps.values())

    empty = snaps.pop(srv.url("/empty"))[0]  # stored as fetched; processing sees it is empty
    assert empty["status"] == 200 and empty["size"] == 0 and empty["error"] is None
    good = {u: s[0] for u, s in snaps.items() if s[0]["error"] is None}
    assert sorted(good) == sorted(srv.url(p) for p in ("/pricing", "/features", "/old-path"))
    moved = good[srv.url("/old-path")]
    assert moved["final_url"] == srv.url("/new-path") and moved["status"] == 200
    assert all(s["body"] is not None and s["size"] > 50 for s in good.values())

    def failure(path: str) -> dict:
        return snaps[srv.url(path) if path.startswith("/") else path][0]

    for path, status_code, reason in [
        ("/down", 500, "HTTP 500"),
        ("/gone", 404, "HTTP 404"),
        ("/internal/roadmap", None, "robots.txt"),
        ("/reset", None, "ConnectionLost"),
        ("/truncated", None, "ResponseDataLoss"),
        ("/huge", None, "larger than download max size"),
        ("/huge-unannounced", None, "size cap"),
        ("/bomb", None, "DOWNLOAD_MAXSIZE"),
        ("/slow", None, "longer than 1.5 seconds"),
        (refused, None, "refused"),
        (unknown, None, "no-such-host.invalid"),
    ]:
        snap = failure(path)
        assert snap["body"] is None, path  # a failed fetch keeps no body
        assert snap["status"] == status_code, path
        assert reason in snap["error"], (path, snap["error"])

    paths = [h.path for h in hits]
    assert "/internal/roadmap" not in paths  # robots.txt obeyed
    assert paths.count("/down") == 2  # retried once (retries: 1), then given up
    assert paths.count("/gone") == 1  # a 404 is not retried
    assert {h.headers.get("User-Agent") for h in hits} == {UA}  # the watchlist's user agent

    conn = sqlite3.connect(data / "intel.sqlite3")
    status_, summary = conn.execute("SELECT status, summary FROM runs").fetchone()
    assert status_ == "partial"
    assert json.loads(summary)["crawl"]["failed"] == 11


def test_an_unchanged_page_costs_a_304_the_next_night(tmp_path):
    lm = "Fri, 20 Nov 2026 08:00:00 GMT"
    routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/etag": page(HTML, etag='"v1"'),
        "/dated": page(HTML, last_modified=lm),
        "/plain": page(HTML),
    }
    with LocalServer(routes) as srv:
        urls = [srv.url(p) for p in ("/etag", "/dated", "/plain")]
        wl = write_watchlist(tmp_path / "w.yaml", urls, "{allow_private_networks: true}")
        data = tmp_path / "data"
        first = intel_crawl(wl, data)
        second = intel_crawl(wl, data)
        hits = list(srv.hits)

    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "(2 not modified)" in second.stdout
    night2 = {h.path: h.headers for h in hits[-4:] if h.path != "/robots.txt"}
    assert night2["/etag"]["If-None-Match"] == '"v1"'
    assert night2["/dated"]["If-Modified-Since"] == lm
    assert "If-None-Match" not in night2["/plain"]
    snaps = snapshots(data)
    for url in urls[:2]:
        last = snaps[url][-1]
        assert last["status"] == 304 and last["not_modified"] == 1
        assert last["error"] is None and last["body"] is None
    assert snaps[urls[2]][-1]["status"] == 200


def test_a_redirect_to_a_private_address_is_refused(tmp_path):
    # The rival looks public (rival.example, reached through our server acting as an HTTP
    # proxy) but bounces the crawler to loopback and to the cloud metadata address.
    with LocalServer() as srv:
        srv.routes.update(
            {
                "/robots.txt": robots("User-agent: *\nAllow: /\n"),
                "/pricing": page(HTML),
                "/to-loopback": redirect(srv.url("/secret")),
                "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
                "/secret": page("admin console"),
            }
        )
        urls = [f"http://rival.example/{p}" for p in ("pricing", "to-loopback", "to-metadata")]
        wl = write_watchlist(tmp_path / "w.yaml", urls, "{retries: 0}")
        data = tmp_path / "data"
        result = intel_crawl(wl, data, env={"http_proxy": srv.url("")})
        hits = list(srv.hits)

    assert result.returncode == 0, result.stderr
    assert "/secret" not in [h.path for h in hits]
    assert not [h for h in hits if "169.254" in h.host]
    snaps = snapshots(data)
    assert snaps[urls[0]][0]["status"] == 200  # the public page itself is fetched
    for url in urls[1:]:
        snap = snaps[url][0]
        assert snap["body"] is None
        assert "refused" in snap["error"] and "allow_private_networks" in snap["error"]


def test_nothing_fetched_is_exit_1_with_one_clear_line(tmp_path):
    urls = [f"http://127.0.0.1:{closed_port()}/p{i}" for i in range(2)]
    wl = write_watchlist(tmp_path / "w.yaml", urls, "{allow_private_networks: true, retries: 0}")
    result = intel_crawl(wl, tmp_path / "data")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: none of the 2 pages could be fetched")
    assert "refused" in lines[0]


def test_scrapy_crawl_watch_works_from_the_repo_root(tmp_path):
    with LocalServer({"/robots.txt": robots(""), "/pricing": page(HTML)}) as srv:
        wl = write_watchlist(
            tmp_path / "w.yaml", [srv.url("/pricing")], "{allow_private_networks: true}"
        )
        data = tmp_path / "data"
        result = run(
            [
                "-m",
                "scrapy",
                "crawl",
                "watch",
                "-a",
                f"watchlist={wl}",
                "-s",
                f"INTEL_DATA={data}",
                "-s",
                "LOG_LEVEL=INFO",
            ],
            cwd=ROOT,
        )
    assert result.returncode == 0, result.stderr
    snap = snapshots(data)[srv.url("/pricing")][0]
    assert snap["status"] == 200 and snap["error"] is None and snap["size"] == len(HTML)
    enabled = result.stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "CoreStats" in enabled
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled


def test_on_a_terminal_the_crawl_shows_progress(tmp_path):
    import pty

    with LocalServer({"/robots.txt": robots(""), "/a": page(HTML), "/b": status(404)}) as srv:
        wl = write_watchlist(
            tmp_path / "w.yaml", [srv.url("/a"), srv.url("/b")], "{allow_private_networks: true}"
        )
        master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.update(TERM="xterm", COLUMNS="100")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "intel.cli",
                "crawl",
                "-w",
                str(wl),
                "--data",
                str(tmp_path / "d"),
            ],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=tmp_path,
            env=env,
        )
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=120) == 0
        os.close(master)
    text = out.decode(errors="replace")
    assert "2/2" in text and "1 failed" in text  # the progress line: pages done/total, failures
    assert "crawl: 1/2 pages fetched" in text  # and the summary


class _ComesBack(LocalServer):
    """A LocalServer that, started again after stop(), listens on its old port: a host
    that was down for a night (meanwhile its port refuses connections)."""

    def start(self) -> None:
        if self._port is None:
            super().start()
            return
        import threading

        from tests.servers import _make_handler, _QuietServer

        self._server = _QuietServer(("127.0.0.1", self._port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()


def test_a_host_refusing_connections_fails_its_pages_and_is_tried_again_next_night(tmp_path):
    def intel(*args: str):
        return run(["-m", "intel.cli", *args, "--data", str(data)], tmp_path)

    def events() -> list[dict]:
        return json.loads(intel("events", "--json").stdout)

    news = "<html><body><main><h1>Other news</h1><p>Nothing moves here.</p></main></body></html>"
    down_routes = {
        "/robots.txt": robots("User-agent: *\nAllow: /\n"),
        "/pricing": page(HTML, etag='"p1"'),
        "/features": page(HTML.replace("pricing", "features"), etag='"f1"'),
    }
    with (
        LocalServer({"/robots.txt": robots(""), "/news": page(news)}) as up,
        _ComesBack(down_routes) as down,
    ):
        dead = [down.url("/pricing"), down.url("/features")]
        wl = write_watchlist(
            tmp_path / "w.yaml", [*dead, up.url("/news")], "{allow_private_networks: true}"
        )
        data = tmp_path / "data"
        assert intel("run", "-w", str(wl)).returncode == 0

        down.stop()  # night 2: the host refuses connections (its robots.txt included)
        night2 = intel("run", "-w", str(wl))
        assert night2.returncode == 0, night2.stderr  # the other host was fetched
        assert "1/3 pages fetched, 2 failed" in night2.stdout
        summary = json.loads(intel("runs", "--json").stdout)[0]["summary"]["crawl"]
        assert summary["failed"] == 2 and len(summary["failures"]) == 2
        for url in dead:
            failed = snapshots(data)[url][-1]
            assert failed["body"] is None and "refused" in failed["error"], failed["error"]
            assert any(f.startswith(url) and "refused" in f for f in summary["failures"])
        # both pages carry the error the host gave, word for word
        assert len({snapshots(data)[u][-1]["error"] for u in dead}) == 1
        assert events() == []  # a failure invents nothing

        # night 3: the host is back, with one real change; it is tried again (not
        # remembered as dead) and the change is found against night 1's snapshot
        down.routes["/features"] = page(
            HTML.replace("pricing", "features").replace(
                "</main>", "<p>New: audit log export for every workspace.</p></main>"
            ),
            etag='"f2"',
        )
        down.start()
        night3 = intel("run", "-w", str(wl))
        assert night3.returncode == 0, night3.stderr
        assert "3/3 pages fetched, 0 failed" in night3.stdout
        evs = events()
        assert [e["url"] for e in evs] == [down.url("/features")], evs
        assert snapshots(data)[down.url("/pricing")][-1]["not_modified"] == 1
