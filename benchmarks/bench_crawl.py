"""Benchmark: the nightly `intel run` against a bare Scrapy spider on the same synthetic web.

For each world size (1,000 and 5,000 pages, see `benchmarks.world`), in the same run and
against the same server:

- a bare Scrapy spider (Scrapy's defaults, no parsing, no storage) fetches every page with
  the same CONCURRENT_REQUESTS / CONCURRENT_REQUESTS_PER_DOMAIN as the watchlist gives
  `intel run` (64 / 64: everything is on one host);
- a cold `intel run` (empty data dir): crawl, store, extract, baseline, index;
- a second `intel run` of the unchanged world: conditional GETs (304) and nothing to diff.

Each figure is the wall time of the whole process (interpreter start-up included, for both
sides), its CPU time (user + system of the process and its children) and its peak RSS,
summed over the process tree, sampled every 50 ms.

    python -m benchmarks.bench_crawl [--pages 1000] [--repeats 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.world import World

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 64


def tree_memory_kb(root: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of `root` and all its descendants, from /proc.

    RSS counts pages shared between processes (forked workers) once per process, so its
    sum over a tree overstates; PSS splits shared pages between their users.
    """
    rss = pss = 0
    todo, seen = [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


def measure(cmd: list[str], *, cwd: Path | None = None) -> dict:
    """Run `cmd`; wall seconds, CPU seconds (tree), peak RSS (MB, tree), exit code, output."""
    out_path = Path(tempfile.mkstemp(prefix="bench-out-")[1])
    with open(out_path, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss, pss = tree_memory_kb(proc.pid)
                peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(errors="replace")
    out_path.unlink()
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": peak[0] / 1024,
        "pss_mb": peak[1] / 1024,
        "rc": proc.returncode,
        "output": text[-3000:],
    }


# -- the bare spider (run in a child: `--bare URLS_FILE`) -----------------------------------


def bare_crawl(urls_file: str, concurrency: int) -> None:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = Path(urls_file).read_text().split()

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, dont_filter=True)

        def parse(self, response):
            return None

    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "ROBOTSTXT_OBEY": True,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    crawler = process.create_crawler(Bare)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({"responses": stats.get("response_received_count", 0)}))


# -- one world ---------------------------------------------------------------------------


def night(world: World, wl: Path, data: Path) -> dict:
    m = measure(
        [sys.executable, "-m", "intel.cli", "run", "-q", "-w", str(wl), "--data", str(data)],
        cwd=ROOT,
    )
    if m["rc"] != 0:
        raise RuntimeError(f"intel run failed ({m['rc']}):\n{m['output']}")
    con = sqlite3.connect(data / "intel.sqlite3")
    summary = json.loads(con.execute("SELECT summary FROM runs ORDER BY id DESC").fetchone()[0])
    con.close()
    m["summary"] = summary
    return m


def bench_world(pages: int, repeats: int = 1, log=print) -> dict:
    """Cold, re-crawl and bare Scrapy on a world of `pages` pages, `repeats` times."""
    runs: list[dict] = []
    with World(pages) as world, tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        tmpdir = Path(tmp)
        wl = world.watchlist(
            tmpdir / "watchlist.yaml", concurrency=CONCURRENCY, per_domain=CONCURRENCY
        )
        urls = tmpdir / "urls.txt"
        urls.write_text("\n".join(world.urls()))
        for r in range(repeats):
            data = tmpdir / f"data{r}"
            load = os.getloadavg()[0]  # other tenants' CPU: the wall times depend on it
            bare = measure(
                [sys.executable, "-m", "benchmarks.bench_crawl", "--bare", str(urls)], cwd=ROOT
            )
            got = json.loads(bare["output"].strip().splitlines()[-1])["responses"]
            if got < pages:
                raise RuntimeError(f"bare Scrapy fetched {got}/{pages} pages:\n{bare['output']}")
            served = world.requests()
            cold = night(world, wl, data)
            cold_requests = world.requests() - served
            if cold["summary"]["crawl"]["fetched"] != pages:
                raise RuntimeError(f"cold run fetched {cold['summary']['crawl']}")
            again = night(world, wl, data)
            recrawl_requests = world.requests() - served - cold_requests
            one = {
                "load_1min": load,
                "bare_wall": bare["wall"],
                "bare_cpu": bare["cpu"],
                "bare_rss_mb": bare["rss_mb"],
                "bare_pps": pages / bare["wall"],
                "cold_wall": cold["wall"],
                "cold_cpu": cold["cpu"],
                "cold_rss_mb": cold["rss_mb"],
                "cold_pps": pages / cold["wall"],
                "cold_crawl_s": cold["summary"]["crawl"]["seconds"],
                "cold_process_s": cold["summary"]["process"]["seconds"],
                "recrawl_crawl_s": again["summary"]["crawl"]["seconds"],
                "recrawl_process_s": again["summary"]["process"]["seconds"],
                "cold_requests": cold_requests,
                "recrawl_requests": recrawl_requests,
                "recrawl_wall": again["wall"],
                "recrawl_cpu": again["cpu"],
                "recrawl_rss_mb": again["rss_mb"],
                "recrawl_not_modified": again["summary"]["crawl"]["not_modified"],
                "recrawl_events": sum(again["summary"]["process"]["events"].values()),
                "ratio_cold_to_bare": bare["wall"] / cold["wall"],
                "ratio_recrawl_to_cold": again["wall"] / cold["wall"],
                "peak_rss_mb": max(cold["rss_mb"], again["rss_mb"]),
                "peak_pss_mb": max(cold["pss_mb"], again["pss_mb"]),
            }
            runs.append(one)
            log(
                f"  {pages} pages #{r + 1}: bare {one['bare_pps']:.0f} p/s, cold {one['cold_pps']:.0f} p/s "
                f"(x{one['ratio_cold_to_bare']:.2f}), re-crawl {one['recrawl_wall']:.1f}s "
                f"({one['ratio_recrawl_to_cold']:.2f} of cold), peak RSS {one['peak_rss_mb']:.0f} MB, "
                f"load {load:.1f}"
            )
    return {"pages": pages, "repeats": repeats, "runs": runs, "stats": summarise(runs)}


def summarise(runs: list[dict]) -> dict:
    """Median, min and max of every figure over the repeats."""
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[1000])
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--bare", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.bare:
        bare_crawl(args.bare, CONCURRENCY)
        return
    for n in args.pages:
        res = bench_world(n, args.repeats)
        print(json.dumps(res["stats"], indent=1))


if __name__ == "__main__":
    main()
