"""Hostile `render: browser` pages: the private-network guard and the page size cap.

The rival looks public (rival.example, reached through our local server acting as the
HTTP proxy, for Scrapy and Chromium alike) and its page's scripts reach for the cloud
metadata address and a 10.x intranet host: directly, through a redirect, in an iframe,
a script and a WebSocket. The guard must refuse each before it is sent: the proxy records every request
that left the browser, so a request that got through shows up in its hits. The watchlist
does NOT set `allow_private_networks`, so nothing here may reach a private address.

Another page builds a DOM larger than `max_page_bytes`: it fails like an oversized
static page, while its neighbours of the same night are stored.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import sqlite3
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import pytest

from tests.servers import LocalServer, page, redirect, robots
from tests.test_browser import needs_browser, prices

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_browser]

ROOT = Path(__file__).resolve().parents[1]
METADATA = "http://169.254.169.254/latest/meta-data/"
INTRANET = "http://10.20.30.40"

PLANS = json.dumps({"plans": [{"name": "Team", "price": 49}, {"name": "Business", "price": 129}]})

# Its prices come from its own JSON endpoint (allowed); every other fetch aims inward.
HOSTILE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Pricing</title>
<script src="{INTRANET}/tracker.js"></script></head><body>
<h1>Rival pricing</h1><div id="plans">Loading</div>
<iframe src="{INTRANET}/frame"></iframe>
<script>
const probe = (url) => fetch(url, {{mode: "no-cors"}}).then(() => "sent", () => "failed");
try {{ new WebSocket("ws://10.20.30.40/socket"); }} catch (e) {{}}
Promise.all([
  fetch("/api/plans.json").then(r => r.json()),
  probe("{METADATA}"),
  probe("{INTRANET}/internal"),
  probe("/bounce"),
]).then(([data]) => {{
  document.getElementById("plans").innerHTML = data.plans.map(p =>
    `<section><h3>${{p.name}}</h3><p class="price">$${{p.price}} per month</p></section>`
  ).join("");
}});
</script></body></html>"""

# 300,000 characters of DOM built by script; the page as served is tiny.
BLOATED = """<!doctype html><html><body><h1>Pricing</h1><div id="x"></div><script>
document.getElementById("x").textContent = "lorem ipsum ".repeat(25000);
</script></body></html>"""


class TunnelProxy:
    """An HTTP proxy on 127.0.0.1:0 that takes every connection to one LocalServer.

    Chromium sends absolute-URL requests, Playwright's own fetches a CONNECT first (then
    plain HTTP inside the tunnel): either way the bytes reach the LocalServer, whose hits
    carry the host that was asked for.
    """

    def __init__(self, target_port: int) -> None:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                client = self.request
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    head += chunk
                with socket.create_connection(("127.0.0.1", target_port)) as upstream:
                    if head.startswith(b"CONNECT "):
                        head = head.split(b"\r\n\r\n", 1)[1]
                        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    if head:
                        upstream.sendall(head)
                    pump = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                    pump.start()
                    _pipe(client, upstream)
                    pump.join(5)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-guard")
    with LocalServer() as srv:
        proxy = TunnelProxy(srv.port)
        srv.routes.update(
            {
                "/robots.txt": robots("User-agent: *\nAllow: /\n"),
                "/pricing": page(HOSTILE),
                "/api/plans.json": page(PLANS, headers={"Content-Type": "application/json"}),
                "/bounce": redirect(f"{INTRANET}/via-redirect"),
                "/to-metadata": redirect(METADATA),
                "/old-pricing": redirect("/pricing", 301),
                "/loop": redirect("/loop"),
                "/bloated": page(BLOATED),
                "/static": page("<html><body><h1>Static</h1><p>$10 per month</p></body></html>"),
            }
        )
        urls = {
            "hostile": "http://rival.example/pricing",
            "redirected": "http://rival.example/to-metadata",
            "moved": "http://rival.example/old-pricing",
            "looping": "http://rival.example/loop",
            "bloated": "http://rival.example/bloated",
            "static": "http://rival.example/static",
        }
        pages = "\n".join(
            f"      - {{url: '{u}', kind: pricing"
            + ("" if name == "static" else ", render: browser")
            + "}"
            for name, u in urls.items()
        )
        wl = tmp / "watchlist.yaml"
        wl.write_text(
            "crawl: {retries: 0, timeout: 15, max_page_bytes: 100000}\n"
            f"competitors:\n  - name: Rival\n    pages:\n{pages}\n"
        )
        data = tmp / "data"
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.pop("INTEL_DATA", None)
        env["http_proxy"] = proxy.url
        proc = subprocess.run(
            [sys.executable, "-m", "intel.cli", "crawl", "-w", str(wl), "--data", str(data)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        hits = list(srv.hits)
        proxy.close()
    assert proc.returncode in (0, 1), proc.stderr[-3000:]
    conn = sqlite3.connect(data / "intel.sqlite3")
    conn.row_factory = sqlite3.Row
    snaps = {row["url"]: dict(row) for row in conn.execute("SELECT * FROM snapshots ORDER BY id")}
    conn.close()
    return {"hits": hits, "snaps": {name: snaps[u] for name, u in urls.items()}, "proc": proc}


def test_nothing_the_page_asks_for_reaches_a_private_address(night):
    inward = [h for h in night["hits"] if h.host.startswith(("169.254.", "10."))]
    assert inward == [], [(h.host, h.path) for h in inward]
    paths = [h.path for h in night["hits"]]
    assert not {"/via-redirect", "/internal", "/socket", "/frame", "/tracker.js"} & set(paths)
    assert "/bounce" in paths  # the public hop itself was fetched; its redirect was not followed


def test_the_hostile_page_is_still_rendered_from_its_public_data(night):
    snap = night["snaps"]["hostile"]
    assert snap["error"] is None, snap["error"]
    assert prices(zlib.decompress(snap["body"]).decode()) == ["$49 per month", "$129 per month"]


def test_a_page_redirecting_to_a_private_address_fails_saying_so(night):
    snap = night["snaps"]["redirected"]
    assert snap["body"] is None
    assert "refused" in snap["error"] and "169.254.169.254" in snap["error"]
    assert "allow_private_networks" in snap["error"]


def test_a_rendered_dom_over_the_size_cap_fails_like_an_oversized_page(night):
    snap = night["snaps"]["bloated"]
    assert snap["body"] is None
    assert "max_page_bytes" in snap["error"] and "cut off" in snap["error"]
    assert night["snaps"]["static"]["error"] is None  # the rest of the night is stored


def test_a_public_redirect_is_followed_and_the_page_keeps_its_real_url(night):
    snap = night["snaps"]["moved"]
    assert snap["error"] is None, snap["error"]
    assert snap["final_url"] == "http://rival.example/pricing"
    assert prices(zlib.decompress(snap["body"]).decode()) == ["$49 per month", "$129 per month"]


def test_a_redirect_loop_fails_the_page_after_a_few_hops(night):
    snap = night["snaps"]["looping"]
    assert snap["body"] is None and snap["error"]
    assert 2 <= [h.path for h in night["hits"]].count("/loop") <= 8
