"""Rendering JavaScript pages in a real headless Chromium (`intel.render`, `intel diff --render browser`).

The pages under tests/data/browser build their pricing table from a JSON endpoint beside
them: no price is in the HTML until the script runs. A local HTTP server on 127.0.0.1:0
serves them for the URL tests, with scripted routes (a JSON endpoint that kills the
browser the first time it is asked, a page that never answers).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from intel.errors import BrowserNotFound, FetchError
from intel.render import Renderer, local_resource, render_files, render_urls, should_block

DATA = Path(__file__).parent / "data" / "browser"
V1, V2 = DATA / "v1" / "pricing.html", DATA / "v2" / "pricing.html"


def prices(html: str) -> list[str]:
    """The text of each rendered price, e.g. "$49 per month"."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    return [" ".join(e.text_content().split()) for e in tree.find_class("price")]


def chromium_available() -> bool:
    from intel.browser_path import find_chromium

    try:
        find_chromium()
    except BrowserNotFound:
        return False
    return True


needs_browser = pytest.mark.skipif(not chromium_available(), reason="no Chromium installed")


# -- a local site --------------------------------------------------------------------------


def _descendants(root: int) -> list[tuple[int, int, str]]:
    """(pid, ppid, comm) of every process below `root`, from /proc."""
    procs: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        procs[int(entry)] = (ppid, comm)
    out, frontier = [], {root}
    while frontier:
        children = {pid for pid, (ppid, _) in procs.items() if ppid in frontier}
        out += [(pid, procs[pid][0], procs[pid][1]) for pid in children]
        frontier = children
    return out


def kill_browsers(root: int | None = None) -> int:
    """SIGKILL every Chromium main process started below `root`: a browser crash."""
    tree = _descendants(root or os.getpid())
    chrome = {pid for pid, _, comm in tree if "chrom" in comm or "headless" in comm}
    killed = 0
    for pid, ppid, _ in tree:
        if pid in chrome and ppid not in chrome:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    return killed


class JsSite:
    """A local site: /<prefix>/pricing is the JS shell, /<prefix>/api/plans.json its data.

    `prices` sets the Team price served; `crash_once` makes the first JSON request kill
    the browsers below this process; `/hang` never answers in time; every path requested
    is recorded in `hits`.
    """

    def __init__(self) -> None:
        self.page = V1.read_bytes()
        self.team_price = 49
        self.crash_once = False
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.hits.append(self.path)
                path = self.path.split("?")[0]
                if path.endswith("/hang"):
                    time.sleep(8)
                    return self._send(200, b"<html><body>late</body></html>", "text/html")
                if path.endswith("/pricing"):
                    return self._send(200, site.page, "text/html; charset=utf-8")
                if path.endswith("/api/plans.json"):
                    if "crash" in path and site.crash_once:
                        site.crash_once = False
                        kill_browsers()
                        time.sleep(0.5)
                    plans = [
                        {"name": "Starter", "amount": 0},
                        {"name": "Team", "amount": site.team_price},
                        {"name": "Business", "amount": 129},
                    ]
                    body = json.dumps({"currency": "USD", "plans": plans}).encode()
                    return self._send(200, body, "application/json")
                self._send(404, b"not here", "text/plain")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> JsSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    with JsSite() as s:
        yield s


# -- pure parts: no browser ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource_type", "url", "page_url", "blocked"),
    [
        ("image", "https://acme.example/hero.png", "https://acme.example/pricing", True),
        ("font", "https://fonts.example/inter.woff2", "https://acme.example/pricing", True),
        ("media", "https://acme.example/intro.mp4", "https://acme.example/pricing", True),
        ("script", "https://www.googletagmanager.com/gtag/js", "https://acme.example/", True),
        ("xhr", "https://api.segment.io/v1/t", "https://acme.example/pricing", True),
        ("script", "https://acme.example/app.js", "https://acme.example/pricing", False),
        ("fetch", "https://api.acme.example/plans", "https://acme.example/pricing", False),
        ("stylesheet", "https://acme.example/app.css", "https://acme.example/pricing", False),
        # a tracker vendor's own pricing page loads its own scripts
        ("script", "https://www.hotjar.com/app.js", "https://www.hotjar.com/pricing", False),
    ],
    ids=lambda v: v if isinstance(v, str) and "/" not in v else None,
)
def test_blocking_rule(resource_type, url, page_url, blocked):
    assert should_block(resource_type, url, page_url) is blocked


def test_local_resource_maps_relative_and_rooted_urls(tmp_path):
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "plans.json").write_text("{}")
    (tmp_path / "page.html").write_text("<html></html>")
    page = "https://acme.example/app/pricing"
    assert local_resource(tmp_path, page, "https://acme.example/app/api/plans.json") == (
        tmp_path / "api" / "plans.json"
    )
    assert local_resource(tmp_path, page, "https://acme.example/api/plans.json") == (
        tmp_path / "api" / "plans.json"
    )
    # other origins, escapes and missing files are never served from disk
    assert local_resource(tmp_path, page, "https://cdn.example/api/plans.json") is None
    assert local_resource(tmp_path, page, "https://acme.example/app/../../etc/passwd") is None
    assert local_resource(tmp_path, page, "https://acme.example/app/missing.json") is None


def test_missing_chromium_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("INTEL_CHROMIUM", "/nonexistent/chromium")
    result = CliRunner().invoke(
        __import__("intel.cli", fromlist=["cli"]).cli,
        ["diff", str(V1), str(V2), "--kind", "pricing", "--render", "browser", "--json"],
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "INTEL_CHROMIUM" in result.output and "chromium" in result.output.lower()
    assert "Traceback" not in result.output


# -- a real headless Chromium ----------------------------------------------------------------


@pytest.mark.browser
@needs_browser
def test_render_files_runs_the_scripts_and_their_fetches():
    before, after = render_files([V1, V2], url="https://examplo.example/pricing")
    assert "$49" not in V1.read_text()  # the saved HTML has no price
    assert prices(before) == ["$0 per month", "$49 per month", "$129 per month", "Contact sales"]
    assert prices(after) == ["$0 per month", "$39 per month", "$129 per month", "Contact sales"]
    assert "Loading plans" not in before


@pytest.mark.browser
@needs_browser
def test_render_files_without_url_still_serves_files_beside_the_page():
    (html,) = render_files([V1])
    assert "$129 per month" in prices(html)


@pytest.mark.browser
@needs_browser
def test_render_url_from_a_local_server_skips_images_and_fonts(site):
    (html,) = render_urls([f"{site.base}/pricing"])
    assert "$49 per month" in prices(html)
    assert "/api/plans.json" in site.hits
    assert not [h for h in site.hits if h.endswith((".png", ".woff2"))]


@pytest.mark.browser
@needs_browser
def test_a_crashed_browser_is_relaunched_and_the_page_retried_once(site):
    async def main():
        async with Renderer(timeout=20) as r:
            first = await r.render_url(f"{site.base}/pricing")
            site.crash_once = True
            site.team_price = 59
            second = await r.render_url(f"{site.base}/crash/pricing")
            return first, second, r.launches

    first, second, launches = asyncio.run(main())
    assert "$49 per month" in prices(first)
    assert "$59 per month" in prices(second)
    assert launches == 2
    assert site.hits.count("/crash/api/plans.json") == 2


@pytest.mark.browser
@needs_browser
def test_a_page_that_never_answers_times_out(site):
    started = time.monotonic()
    with pytest.raises(FetchError, match="not rendered within"):
        render_urls([f"{site.base}/hang"], timeout=2)
    assert time.monotonic() - started < 7


@pytest.mark.browser
@needs_browser
def test_intel_diff_render_browser_finds_the_price_cut():
    from intel.cli import cli

    result = CliRunner().invoke(
        cli,
        [
            "diff",
            str(V1),
            str(V2),
            "--kind",
            "pricing",
            "--render",
            "browser",
            "--url",
            "https://examplo.example/pricing",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.output)["events"]
    cuts = [e for e in events if e["type"] == "price_change"]
    assert [(e["plan"], e["old_price"], e["new_price"]) for e in cuts] == [("Team", 49, 39)]
