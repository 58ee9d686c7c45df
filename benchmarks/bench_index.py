"""Benchmark: index 100,000 synthetic events, then time typical searches with facets.

    python benchmarks/bench_index.py [--events 100000] [--procs 2] [--keep DIR] [--reuse DIR]

Reports indexing throughput (events/s) for a full rebuild and for an incremental nightly
update, then p50/p95 latency of typical queries (facet counts included) on the warm,
cached searcher that `intel search` and `intel serve` use. Target: p95 <= 50 ms.
Not a test: it takes minutes and its figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from index import writer
from index.search import SearchRequest, forget, search

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--random", type=int, default=200, help="distinct random queries to time")
    ap.add_argument("--reuse", type=Path, help="query an index built earlier (skip indexing)")
    ap.add_argument("--keep", type=Path, help="build the index here and keep it")
    args = ap.parse_args()

    events = synthetic_events(args.events)
    if args.reuse:
        index_dir = args.reuse
    else:
        index_dir = args.keep or Path(tempfile.mkdtemp(prefix="bench-index-")) / "index"
        t0, c0 = time.perf_counter(), _cpu()
        writer.rebuild_index(index_dir, events, [], procs=args.procs)
        secs, cpu = time.perf_counter() - t0, _cpu() - c0
        print(
            f"rebuild: {len(events):,} events in {secs:.1f} s = {len(events) / secs:,.0f} events/s "
            f"(procs={args.procs}, multisegment={args.procs > 1}; {cpu:.0f} CPU-s in all "
            f"processes = {len(events) / cpu:,.0f} events per CPU-second)"
        )
        nightly = synthetic_events(200, seed=99)
        for j, ev in enumerate(nightly):
            ev["id"] = args.events + 1 + j
        t0 = time.perf_counter()
        summary = writer.update_index(index_dir, events + nightly, [])
        secs = time.perf_counter() - t0
        print(
            f"nightly update: {summary['added']} new of {len(events) + 200:,} given in {secs:.2f} s"
        )

    forget(index_dir)
    t0 = time.perf_counter()
    search(index_dir, SearchRequest(q="warmup"))
    print(f"first search (opens the index): {(time.perf_counter() - t0) * 1000:.0f} ms")
    warm: list[float] = []
    cold: list[float] = []
    print(f"{'query':58} {'hits':>7} {'cold ms':>8} {'warm p50':>8} {'warm p95':>8}")
    for req in QUERIES:
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            res = search(index_dir, req)
            times.append((time.perf_counter() - t0) * 1000)
        cold.append(times[0])  # first run: nothing of this query cached yet
        warm += times[1:]  # repeats: a facet click, the next page, a refresh
        label = req.q or "(all)"
        opts = {
            k: v
            for k, v in vars(req).items()
            if k not in ("q", "limit", "page", "pages", "facets") and v
        }
        if opts:
            label += " " + " ".join(f"--{k} {v}" for k, v in opts.items())
        print(
            f"{label[:58]:58} {res.total:>7,} {times[0]:>8.1f} {_pct(times[1:], 50):>8.1f} "
            f"{_pct(times[1:], 95):>8.1f}"
        )
    print(
        f"typical queries, first run: p50 {_pct(cold, 50):.1f} ms, p95 {_pct(cold, 95):.1f} ms; "
        f"repeated: p50 {_pct(warm, 50):.1f} ms, p95 {_pct(warm, 95):.1f} ms"
    )
    fresh = _random_queries(args.random)
    if not fresh:
        return
    times = []
    t_all = time.perf_counter()
    for req in fresh:
        t0 = time.perf_counter()
        search(index_dir, req)
        times.append((time.perf_counter() - t0) * 1000)
    print(
        f"{len(fresh)} distinct random queries (1-2 words, random facet filters, all facets "
        f"counted): p50 {_pct(times, 50):.1f} ms, p95 {_pct(times, 95):.1f} ms, "
        f"max {max(times):.1f} ms ({time.perf_counter() - t_all:.1f} s in all)"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


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
