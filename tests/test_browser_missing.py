"""No Chromium on the machine: only the `render: browser` pages fail, the night goes on.

Two nights of `intel run` (subprocesses, as cron runs it) over a watchlist with a static
pricing page and a JavaScript one, in an environment where no Chromium can be found
(`INTEL_CHROMIUM` names a file that does not exist: an explicit choice that is wrong is
an error, never silently replaced by another browser). The static page is crawled,
stored and diffed; the browser page fails each night with one line saying how to
install a Chromium.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.servers import LocalServer, page

pytestmark = pytest.mark.slow

PRICING = """<html><body><h1>Pricing</h1>
<section class="plan"><h3>Team</h3><p class="price">${team} per month</p></section>
<section class="plan"><h3>Business</h3><p class="price">$129 per month</p></section>
</body></html>"""

SHELL = """<html><body><div id="plans">Loading</div>
<script>document.getElementById("plans").textContent = "Team $49 per month";</script>
</body></html>"""


def intel(args: list[str], cwd: Path, chromium: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.pop("INTEL_DATA", None)
    env["INTEL_CHROMIUM"] = chromium or str(cwd / "no-such-chromium")
    return subprocess.run(
        [sys.executable, "-m", "intel.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_static_pages_are_crawled_and_diffed_while_browser_pages_say_how_to_install_one(
    tmp_path,
):
    with LocalServer() as srv:
        srv.routes["/pricing"] = page(PRICING.format(team=49))
        srv.routes["/app/pricing"] = page(SHELL)
        static, js = srv.url("/pricing"), srv.url("/app/pricing")
        wl = tmp_path / "watchlist.yaml"
        wl.write_text(
            "crawl: {allow_private_networks: true, retries: 0, timeout: 10}\n"
            "competitors:\n  - name: Acme\n    pages:\n"
            f"      - {{url: '{static}', kind: pricing}}\n"
            f"      - {{url: '{js}', kind: pricing, render: browser}}\n"
        )
        run = ["run", "--watchlist", str(wl), "--data", str(tmp_path / "data")]
        first = intel(run, tmp_path)
        srv.routes["/pricing"] = page(PRICING.format(team=59))
        second = intel(run, tmp_path)
        asked = srv.paths()

    for night in (first, second):
        assert night.returncode == 0, night.stderr[-3000:]
        assert "1/2 pages fetched" in night.stdout, night.stdout
        failed = [line for line in night.stdout.splitlines() if js in line]
        assert len(failed) == 1, night.stdout  # one line for the page, not a traceback
        assert "BrowserNotFound" in failed[0]
        assert "make chromium" in failed[0] and "apt-get install chromium" in failed[0]
        assert "Traceback" not in night.stderr
    assert "/app/pricing" not in asked  # nothing fetched it without a browser
    assert asked.count("/pricing") == 2

    events = intel(["events", "--data", str(tmp_path / "data"), "--json"], tmp_path)
    assert events.returncode == 0, events.stderr
    moves = [e for e in json.loads(events.stdout) if e["url"] == static]
    assert [(e["type"], e["plan"], e["new_price"]) for e in moves] == [
        ("price_change", "Team", 59.0)
    ], moves


def test_a_chromium_that_will_not_start_fails_the_browser_pages_not_the_night(tmp_path):
    with LocalServer() as srv:
        srv.routes["/pricing"] = page(PRICING.format(team=49))
        srv.routes["/app/pricing"] = page(SHELL)
        srv.routes["/app/plans"] = page(SHELL)
        urls = [srv.url("/pricing"), srv.url("/app/pricing"), srv.url("/app/plans")]
        wl = tmp_path / "watchlist.yaml"
        wl.write_text(
            "crawl: {allow_private_networks: true, retries: 0, timeout: 10}\n"
            "competitors:\n  - name: Acme\n    pages:\n"
            f"      - {{url: '{urls[0]}', kind: pricing}}\n"
            f"      - {{url: '{urls[1]}', kind: pricing, render: browser}}\n"
            f"      - {{url: '{urls[2]}', kind: pricing, render: browser}}\n"
        )
        # An executable that is no browser: found, launched, dead at once.
        night = intel(
            ["run", "--watchlist", str(wl), "--data", str(tmp_path / "data")],
            tmp_path,
            chromium="/bin/false",
        )
    assert night.returncode == 0, night.stderr[-3000:]
    assert "1/3 pages fetched" in night.stdout, night.stdout
    failed = [line for line in night.stdout.splitlines() if "/app/" in line]
    assert len(failed) == 2, night.stdout
    for line in failed:
        assert "/bin/false would not start" in line and "make chromium" in line
        assert len(line) < 600  # one line, not Playwright's call log
