"""Benchmark: 50 JavaScript pricing pages rendered through the nightly crawl path.

Target: >= 8 rendered pages/s and peak memory under 1 GB on a 2-core machine.

A local site on 127.0.0.1 serves N pages, each an empty shell whose pricing cards are
built by JavaScript from a JSON endpoint (plus an image, a font and a tracker script
that must be blocked). The crawl is the real one: `intel.crawl.crawl` with the
WatchSpider, the store pipeline and `render: browser` pages through
`crawlers.browser`, in a child process. Memory is PSS summed over the child's whole
process tree (Python, the Playwright driver, every Chromium process) from
/proc/*/smaps_rollup: RSS would count Chromium's shared pages once per process.

    python -m benchmarks.bench_browser [--pages 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TARGET_PAGES_PER_S = 8.0
TARGET_PEAK_MB = 1024

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pricing - Rival {i}</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="preload" as="font" href="/assets/inter.woff2" crossorigin>
<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH"></script>
</head><body><h1>Rival {i} pricing</h1><img src="/assets/hero.png" alt="">
<div id="plans" aria-busy="true">Loading plans...</div>
<script>
fetch("api/plans.json").then(r => r.json()).then(d => {{
  const nf = new Intl.NumberFormat("en-US", {{style: "currency", currency: d.currency}});
  document.getElementById("plans").innerHTML = d.plans.map(p =>
    `<section class="plan-card"><h3>${{p.name}}</h3><p class="price">${{nf.format(p.amount)}}
     <span>per month</span></p><ul>${{p.features.map(f => `<li>${{f}}</li>`).join("")}}</ul>
     </section>`).join("");
}});
</script></body></html>
"""


def plans(i: int) -> bytes:
    return json.dumps(
        {
            "currency": "USD",
            "plans": [
                {"name": "Starter", "amount": 0, "features": ["3 projects", "Community"]},
                {"name": "Team", "amount": 20 + i, "features": ["Unlimited", "Email support"]},
                {"name": "Business", "amount": 99 + i, "features": ["SSO", "Audit log"]},
            ],
        }
    ).encode()


class Site:
    """The local rivals: /r/<i>/pricing and /r/<i>/api/plans.json; counts what is asked."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}

        site = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as any real site: HTTP/1.0 cost a connection and a server thread
            # per request, on the cores the crawl is measured on.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = self.path.split("?")[0].strip("/").split("/")
                kind = parts[-1]
                site.hits[kind] = site.hits.get(kind, 0) + 1
                if len(parts) >= 3 and parts[0] == "r" and kind == "pricing":
                    body, ctype = PAGE.format(i=parts[1]).encode(), "text/html; charset=utf-8"
                elif len(parts) >= 4 and parts[0] == "r" and kind == "plans.json":
                    body, ctype = plans(int(parts[1])), "application/json"
                elif kind == "app.css":
                    body, ctype = b"body{font-family:sans-serif}", "text/css"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def tree_sample(root: int, pss: bool = True) -> tuple[int, dict[int, int]]:
    """PSS (kB) of `root` and every process below it, and each one's CPU so far (ticks).

    PSS costs the kernel a walk of each process's page tables (~20 ms of CPU for
    Chromium's tree here, taken from the same two cores as the crawl): `pss=False`
    skips it and returns 0.
    """
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry)] = int(fields[1])
            ticks[int(entry)] = int(fields[11]) + int(fields[12])  # utime + stime
    tree, frontier = {root}, {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
        tree |= frontier
    total = 0
    for pid in tree if pss else ():
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
    return total, {pid: ticks[pid] for pid in tree if pid in ticks}


def child(watchlist: str, data: str, overrides: str) -> None:
    """In the child process: the real crawl, then its tally as JSON on stdout."""
    from intel.crawl import crawl

    result = crawl(watchlist, data, progress=False, settings=json.loads(overrides))
    print(json.dumps(result.summary()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=50)
    ap.add_argument("--max-pages", type=int, help="pages rendering at once (default: ours)")
    ap.add_argument(
        "--stock",
        action="store_true",
        help="compare: scrapy-playwright's own handler (a new page per request)",
    )
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0

    site = Site()
    with tempfile.TemporaryDirectory() as tmp:
        wl = Path(tmp) / "watchlist.yaml"
        lines = [
            "crawl: {allow_private_networks: true, obey_robots: false, timeout: 30}",
            "competitors:",
        ]
        for i in range(args.pages):
            lines += [
                f"  - name: Rival {i}",
                "    pages:",
                f"      - {{url: {site.base}/r/{i}/pricing, kind: pricing, render: browser}}",
            ]
        wl.write_text("\n".join(lines) + "\n")
        overrides: dict = {}
        if args.max_pages:
            overrides["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] = args.max_pages
        if args.stock:
            stock = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
            overrides["DOWNLOAD_HANDLERS"] = {"http": stock, "https": stock}
        started = time.perf_counter()
        child_args = ["--child", str(wl), tmp + "/data", json.dumps(overrides)]
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_browser", *child_args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        peak = 0
        # CPU of every process of the tree, as last seen alive: Chromium's processes are
        # reaped by the browser or the zygote, not by us, so RUSAGE_CHILDREN misses them.
        # A look every 0.25 s, PSS every 0.5 s: the peak is a plateau of seconds, and
        # sampling PSS ten times a second took a tenth of the machine from the crawl.
        seen: dict[int, int] = {}
        n = 0
        while proc.poll() is None:
            pss, ticks = tree_sample(proc.pid, pss=n % 2 == 0)
            n += 1
            peak = max(peak, pss)
            for pid, t in ticks.items():
                seen[pid] = max(seen.get(pid, 0), t)
            time.sleep(0.25)
        wall = time.perf_counter() - started
        out, err = proc.communicate()
        # CPU of the child and every descendant it reaped (driver, Chromium): a figure the
        # other tenants of a busy machine do not distort, unlike pages/s.
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_s = max(usage.ru_utime + usage.ru_stime, sum(seen.values()) / os.sysconf("SC_CLK_TCK"))
        # The harness's own CPU (the site's server threads and this sampler): it competes
        # with the crawl for the same cores, so it is shown.
        me = resource.getrusage(resource.RUSAGE_SELF)
        harness_s = me.ru_utime + me.ru_stime
    if proc.returncode != 0:
        print(err[-3000:], file=sys.stderr)
        return 1
    summary = json.loads(out.strip().splitlines()[-1])
    crawl_s = summary["seconds"]
    rate = summary["fetched"] / crawl_s if crawl_s else 0.0
    peak_mb = peak / 1024
    print(f"pages: {summary['fetched']}/{args.pages} rendered, {summary['failed']} failed")
    print(
        f"crawl: {crawl_s:.2f}s (browser launch included) -> {rate:.1f} pages/s "
        f"(target >= {TARGET_PAGES_PER_S:g}); process wall {wall:.2f}s"
    )
    per_page = cpu_s / max(summary["fetched"], 1)
    print(
        f"CPU: {cpu_s:.1f}s for the whole crawl, {per_page * 1000:.0f} ms/page "
        f"(-> at most {os.cpu_count() / per_page:.1f} pages/s on {os.cpu_count()} idle cores); "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    print(f"harness CPU (local site + memory sampler): {harness_s:.2f}s")
    print(f"peak memory (PSS, whole process tree): {peak_mb:.0f} MB (target < {TARGET_PEAK_MB})")
    blocked = {k: site.hits.get(k, 0) for k in ("hero.png", "inter.woff2")}
    print(f"JSON endpoints fetched: {site.hits.get('plans.json', 0)}; images/fonts: {blocked}")
    ok = rate >= TARGET_PAGES_PER_S and peak_mb < TARGET_PEAK_MB and not summary["failed"]
    print("OK" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
