"""Benchmark: index 100,000 synthetic events, the nightly update, and typical searches.

    python -m benchmarks.bench_index [--events 100000] [--data DIR] [--rebuild] [--nights 1]

Builds a store of `--events` events (40 competitors x 5 pages, page texts included) and
its index, or reuses `--data DIR` when it already holds one (the first run with --data
builds and keeps it; later runs skip straight to the timings). Reports:

- rebuild throughput (documents/s) when the index is built;
- the nightly update: 200 new events over ~100 pages fetched anew, through the same
  `sync_from_store` call `intel run` makes, and the same night compared in full (every
  event fingerprinted: the old path, and still the one after `intel reclassify`);
- query latency with facet counts, as `intel serve` sees it after start-up (its warm-up
  is timed and reported): each typical query's first run on a freshly started server,
  repeats, 200 distinct random queries in a row, and the same random queries with every
  decoded-postings cache dropped before each (no warm-up at all);
- `intel search` as a one-shot command (process start, imports, index check, open).

Target: p95 <= 50 ms. Not a test: its figures depend on the machine; the box it runs on
is shared, so CPU times are printed beside wall times.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from index import writer
from index.engine import SEGMENT_POSTINGS
from index.search import SearchRequest, _cached, forget, search, warm

TYPES = [
    "price_change",
    "plan_added",
    "plan_removed",
    "feature_added",
    "feature_removed",
    "changelog_entry",
    "content_change",
]
SIGNALS = ["threat", "opportunity", "neutral"]
TAGS = ["ai", "security", "integration", "enterprise", "deprecation", "performance", "pricing"]
PLANS = ["Free", "Starter", "Team", "Business", "Enterprise", "Pro", "Growth", "Scale"]
FEATURES = [
    "SSO",
    "SAML single sign-on",
    "Audit log",
    "AI assistant",
    "Custom roles",
    "API access",
    "Webhooks",
    "Data residency",
    "Priority support",
    "Slack integration",
]
WORDS = (
    "we are excited to announce a new way to build ship and scale your product with "
    "faster dashboards better reports improved search smarter alerts secure sharing "
    "workflow automation insights analytics teams collaborate export import billing "
    "invoices usage limits storage seats members admins permissions compliance soc2 "
    "gdpr encryption backups uptime latency regions performance reliability mobile "
    "desktop browser extension editor templates agents copilot models llm summaries"
).split()


def synthetic_events(n: int, seed: int = 7) -> list[dict]:
    """`n` plausible events over 40 competitors and a year, ~60 words of text each."""
    rnd = random.Random(seed)
    comps = [f"Rival {i:02d} {rnd.choice(['Cloud', 'Labs', 'HQ', 'Software'])}" for i in range(40)]
    out = []
    for i in range(1, n + 1):
        etype = rnd.choice(TYPES)
        day = 1 + rnd.randrange(365)
        month, dom = 1 + (day - 1) // 31 % 12, 1 + (day - 1) % 28
        ev = {
            "id": i,
            "type": etype,
            "competitor": rnd.choice(comps),
            "signal": rnd.choice(SIGNALS),
            "tags": rnd.sample(TAGS, rnd.randint(0, 2)),
            "importance": round(rnd.random(), 2),
            "found_at": f"2026-{month:02d}-{dom:02d}T03:00:00+00:00",
            "url": f"https://rival{i % 40}.example/{etype.split('_')[0]}",
            "kind": "pricing",
            "why": " ".join(rnd.choices(WORDS, k=12)),
        }
        body = " ".join(rnd.choices(WORDS, k=45))
        if etype == "price_change":
            old = rnd.choice([9, 12, 19, 29, 49, 99])
            ev.update(
                plan=rnd.choice(PLANS),
                old_price=old,
                new_price=round(old * rnd.choice([0.8, 0.9, 1.1, 1.2]), 2),
                currency="USD",
                period="month",
            )
            ev["evidence"] = {"before": f"{ev['plan']} ${old}/mo", "after": body[:80]}
        elif etype in ("plan_added", "plan_removed"):
            ev["plan"] = rnd.choice(PLANS) + f" {rnd.randint(1, 9)}"
        elif etype.startswith("feature"):
            ev.update(feature=rnd.choice(FEATURES), plan=rnd.choice(PLANS + [None]))
        elif etype == "changelog_entry":
            ev.update(
                title=" ".join(rnd.choices(WORDS, k=6)).capitalize(),
                date=ev["found_at"][:10],
                summary=body,
            )
        else:
            ev.update(added=[body], removed=[" ".join(rnd.choices(WORDS, k=15))])
        out.append(ev)
    return out


QUERIES = [
    SearchRequest(q=""),  # the landing page: newest events, all facets
    SearchRequest(q="sso"),
    SearchRequest(q="ai assistant"),
    SearchRequest(q='"audit log"'),
    SearchRequest(q="competitor:rival type:price_change date:[20260901 to]"),
    SearchRequest(q="type:price_change direction:down plan:team", sort="date"),
    SearchRequest(q="tags:ai", competitor="Rival 03"),
    SearchRequest(q="copilot models", type="changelog_entry", since="2026-06-01"),
    SearchRequest(q="encryption", signal="threat", sort="date"),
    SearchRequest(q="", competitor="Rival 07", type="price_change"),
    SearchRequest(q="faster dashboards"),  # common words: tens of thousands of hits
    SearchRequest(q="importance:>0.9", sort="importance"),
]


def build_store(data_dir: Path, events: list[dict]) -> None:
    """A store holding `events`: 40 competitors x 5 pages, ten events per snapshot.

    Each snapshot also carries a page text (kind "page"), so page texts are indexed
    and a night re-reads the pages fetched anew.
    """
    from intel.store import Store
    from intel.watchlist import parse_watchlist

    comps = sorted({e["competitor"] for e in events})
    yaml_text = "crawl: {allow_private_networks: true}\ncompetitors:\n"
    for c in comps:
        yaml_text += f"  - name: {c!r}\n    pages:\n"
        for k in range(5):
            yaml_text += f"      - {{url: {_url(c, k)!r}, kind: page}}\n"
    rnd = random.Random(3)
    with Store.open(data_dir) as store:
        page_ids = store.sync_watchlist(parse_watchlist(yaml_text))
        by_page: dict[str, list[dict]] = {}
        for ev in sorted(events, key=lambda e: (e["found_at"], e["id"])):
            by_page.setdefault(_url(ev["competitor"], ev["id"] % 5), []).append(ev)
        chunks = [
            (url, evs[i : i + 10]) for url, evs in by_page.items() for i in range(0, len(evs), 10)
        ]
        chunks.sort(key=lambda c: c[1][0]["found_at"])
        store.conn.execute("PRAGMA synchronous=OFF")  # a bench fixture, not a real night
        for url, chunk in chunks:
            _add_night(store, page_ids[url], url, chunk, rnd)


def _url(competitor: str, k: int) -> str:
    return f"https://{competitor.lower().replace(' ', '-')}.example/p{k}"


def _add_night(store, page_id: int, url: str, chunk: list[dict], rnd: random.Random) -> None:
    """One snapshot of a page with its text and the events found in it."""
    found_at = chunk[0]["found_at"]
    sid = store.add_snapshot(
        None, page_id, url=url, status=200, body=b"<html>x</html>", fetched_at=found_at
    )
    stored = []
    for ev in chunk:
        e = {k: v for k, v in ev.items() if k not in ("id", "competitor", "url", "kind")}
        e["key"] = f"k{ev['id']}"
        stored.append(e)
    text = " ".join(rnd.choices(WORDS, k=120))
    store.save_processed(
        store.snapshot(sid),
        outcome="changed",
        extraction=("page", 1, {"text": text}),
        events=stored,
        found_at=found_at,
    )


def add_night(data_dir: Path, n_events: int, seed: int) -> int:
    """A night's crawl: `n_events` new events over n/2 pages fetched anew."""
    from intel.store import Store

    rnd = random.Random(seed)
    with Store.open(data_dir) as store:
        pages = store.pages()
        first = store.conn.execute("SELECT COALESCE(max(id), 0) FROM events").fetchone()[0] + 1
        fresh = synthetic_events(n_events, seed=seed)
        # A night after every stored one (the synthetic year runs past today's date).
        latest = store.conn.execute("SELECT max(found_at) FROM events").fetchone()[0]
        when = max(
            time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), f"{latest[:10]}T23:59:59+00:00"
        )
        for j in range(0, n_events, 2):
            page = pages[rnd.randrange(len(pages))]
            chunk = fresh[j : j + 2]
            for k, ev in enumerate(chunk):
                ev.update(id=first + j + k, found_at=when)
            _add_night(store, page["id"], page["url"], chunk, rnd)
    return n_events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--random", type=int, default=200, help="distinct random queries to time")
    ap.add_argument(
        "--data",
        type=Path,
        help="data dir (store + index) to build and keep; reused when it already holds a "
        "store (skips building it and the index: iterate on queries in seconds)",
    )
    ap.add_argument("--rebuild", action="store_true", help="rebuild the index of a reused --data")
    ap.add_argument("--nights", type=int, default=1, help="nightly updates to time")
    ap.add_argument("--no-cli", action="store_true", help="skip the `intel search` one-shot timing")
    args = ap.parse_args()

    from intel.store import DB_NAME, Store

    data_dir = args.data or Path(tempfile.mkdtemp(prefix="bench-index-"))
    index_dir = data_dir / "index"
    if not (data_dir / DB_NAME).exists():
        events = synthetic_events(args.events)
        t0 = time.perf_counter()
        build_store(data_dir, events)
        print(f"store: {len(events):,} events written in {time.perf_counter() - t0:.1f} s")
        del events
    if args.rebuild or writer.check_index(index_dir):
        with Store.open(data_dir) as store:
            t0, c0 = time.perf_counter(), _cpu()
            events, pages = store.events(), list(writer.pages_with_text(store))
            read = time.perf_counter() - t0
            summary = writer.rebuild_index(
                index_dir, events, pages, procs=args.procs, digest=writer.judgement_digest(store)
            )
            secs, cpu = time.perf_counter() - t0, _cpu() - c0
        n = summary["documents"]
        print(
            f"rebuild: {n:,} documents ({summary['events']:,} events) in {secs:.1f} s "
            f"= {n / secs:,.0f} docs/s (reading the store: {read:.1f} s; procs={args.procs}; "
            f"{cpu:.0f} CPU-s in all processes = {n / cpu:,.0f} docs per CPU-second)"
        )
    for night in range(args.nights):
        new = add_night(data_dir, 200, seed=1000 + int(time.time()) % 100_000 + night)
        with Store.open(data_dir) as store:
            t0, c0 = time.perf_counter(), _cpu()
            summary = writer.sync_from_store(index_dir, store) or {}
            secs, cpu = time.perf_counter() - t0, _cpu() - c0
            total = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
            print(
                f"nightly update (incremental): {new} new events + {summary.get('pages', 0)} "
                f"page texts of {total:,} stored in {secs:.2f} s ({cpu:.2f} CPU-s); "
                f"{summary.get('added', 0)} documents added"
            )
            t0, c0 = time.perf_counter(), _cpu()
            again = writer.update_index(
                index_dir,
                store.events(),
                writer.pages_with_text(store),
                digest=writer.judgement_digest(store),
            )
            secs, cpu = time.perf_counter() - t0, _cpu() - c0
            print(
                f"  the same night compared in full (every event fingerprinted, the old "
                f"path): {secs:.2f} s ({cpu:.2f} CPU-s); {again['added']} added"
            )

    time_queries(index_dir, args)
    if not args.no_cli:
        time_cli(data_dir)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def time_queries(index_dir: Path, args: argparse.Namespace) -> None:
    """Query latency as `intel serve` sees it: its searcher opened and warmed at start-up.

    First run: each typical query on a server just started (a fresh searcher, warmed as
    `intel serve` warms it), so nothing that query needs was cached by another one.
    Repeated: the same query again (a refresh, the next page). Random: distinct queries
    in a row on one started server, CPU time reported too (the box is shared).
    """
    t0, c0 = time.perf_counter(), _cpu()
    forget(index_dir)
    SEGMENT_POSTINGS.clear()
    warm(index_dir)
    print(
        f"server start-up (open the index, load columns, warm): "
        f"{(time.perf_counter() - t0) * 1000:.0f} ms ({(_cpu() - c0) * 1000:.0f} ms CPU)"
    )
    first: list[float] = []
    first_cpu: list[float] = []
    repeated: list[float] = []
    print(f"{'query':58} {'hits':>7} {'first ms':>8} {'(cpu)':>6} {'rep p50':>8} {'rep p95':>8}")
    for req in QUERIES:
        forget(index_dir)  # a server started anew: nothing decoded but its warm-up
        SEGMENT_POSTINGS.clear()
        warm(index_dir)
        t0, c0 = time.perf_counter(), time.process_time()
        res = search(index_dir, req)
        first.append((time.perf_counter() - t0) * 1000)
        first_cpu.append((time.process_time() - c0) * 1000)
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            search(index_dir, req)
            times.append((time.perf_counter() - t0) * 1000)
        repeated += times
        print(
            f"{_label(req)[:58]:58} {res.total:>7,} {first[-1]:>8.1f} {first_cpu[-1]:>6.1f} "
            f"{_pct(times, 50):>8.1f} {_pct(times, 95):>8.1f}"
        )
    print(
        f"typical queries, first run after start-up: p50 {_pct(first, 50):.1f} ms, "
        f"p95 {_pct(first, 95):.1f} ms (CPU p50 {_pct(first_cpu, 50):.1f}, "
        f"p95 {_pct(first_cpu, 95):.1f}); repeated: p50 {_pct(repeated, 50):.1f} ms, "
        f"p95 {_pct(repeated, 95):.1f} ms"
    )
    fresh = _random_queries(args.random)
    if not fresh:
        return
    forget(index_dir)
    SEGMENT_POSTINGS.clear()
    warm(index_dir)
    times, cpus = [], []
    t_all = time.perf_counter()
    for req in fresh:
        t0, c0 = time.perf_counter(), time.process_time()
        search(index_dir, req)
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    print(
        f"{len(fresh)} distinct random queries (1-2 words, random facet filters, all facets "
        f"counted): p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms, "
        f"max {max(times):.1f} ms; CPU p50 {_pct(cpus, 50):.1f}, p95 {_pct(cpus, 95):.1f} ms "
        f"({time.perf_counter() - t_all:.1f} s in all)"
    )
    # The same queries with nothing decoded beforehand: no warm-up, no earlier query's
    # postings (the searcher and its columns stay open, as in a server).
    times, cpus = [], []
    cached = _cached(index_dir)
    for req in fresh:
        SEGMENT_POSTINGS.clear()
        cached.columns.forget_queries()
        t0, c0 = time.perf_counter(), time.process_time()
        search(index_dir, req)
        times.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    print(
        f"  the same, every decoded posting list dropped before each query: "
        f"p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms, max {max(times):.1f} ms; "
        f"CPU p50 {_pct(cpus, 50):.1f}, p95 {_pct(cpus, 95):.1f} ms"
    )


def time_cli(data_dir: Path) -> None:
    """`intel search` as a one-shot command: Python start-up, imports, index check, open."""
    cmd = [sys.executable, "-m", "intel.cli", "search", "--data", str(data_dir), "--json"]
    times = []
    for q in ("sso", "faster dashboards", "type:price_change direction:down plan:team"):
        t0 = time.perf_counter()
        subprocess.run([*cmd, q], check=True, capture_output=True)
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import intel.cli, index.search"], check=True)
    imports = (time.perf_counter() - t0) * 1000
    forget(data_dir / "index")
    t0 = time.perf_counter()
    search(data_dir / "index", SearchRequest(q="sso"))
    opened = (time.perf_counter() - t0) * 1000
    print(
        f"`intel search` one-shot (whole command, 3 queries): "
        f"{', '.join(f'{t:.0f}' for t in times)} ms; of which Python start-up + imports "
        f"~{imports:.0f} ms; in-process open + first query {opened:.0f} ms"
    )


def _label(req: SearchRequest) -> str:
    label = req.q or "(all)"
    opts = {
        k: v
        for k, v in vars(req).items()
        if k not in ("q", "limit", "page", "pages", "facets") and v
    }
    if opts:
        label += " " + " ".join(f"--{k} {v}" for k, v in opts.items())
    return label


def _random_queries(n: int, seed: int = 11) -> list[SearchRequest]:
    """Queries nobody asked before: the cold path, with no per-query cache to help."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        words = " ".join(rnd.sample(WORDS, rnd.choice([1, 1, 2])))
        req = SearchRequest(q=words)
        roll = rnd.random()
        if roll < 0.3:
            req.type = rnd.choice(TYPES)
        elif roll < 0.5:
            req.competitor = f"Rival {rnd.randrange(40):02d}"
        elif roll < 0.6:
            req.since = f"2026-{rnd.randint(1, 11):02d}-01"
        if rnd.random() < 0.3:
            req.sort = "date"
        out.append(req)
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the writer processes)."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _pct(values: list[float], p: int) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else 0.0


if __name__ == "__main__":
    main()
