"""Benchmark: render a briefing over 1,000 events with charts (target <= 2 s)."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path

from briefings.compose import compose
from intel.store import Store
from intel.watchlist import parse_watchlist

TYPES = ["price_change", "plan_added", "feature_added", "changelog_entry", "content_change"]


def build_store(data: Path, n_events: int = 1000) -> None:
    rnd = random.Random(7)
    comps = [f"Rival {i}" for i in range(8)]
    wl = parse_watchlist(
        "crawl: {allow_private_networks: true}\ncompetitors:\n"
        + "".join(
            f"  - name: {c}\n    pages:\n      - {{url: http://127.0.0.1/{i}/pricing, kind: pricing}}\n"
            for i, c in enumerate(comps)
        )
    )
    with Store.open(data) as st:
        ids = st.sync_watchlist(wl)
        for url in ids:
            for day in range(1, 15):
                sid = st.add_snapshot(
                    None,
                    ids[url],
                    url=url,
                    status=200,
                    body=b"x",
                    fetched_at=f"2026-11-{day:02d}T02:00:00+00:00",
                )
                plans = [
                    {
                        "name": n,
                        "prices": [{"amount": 10 + day + j, "currency": "USD", "period": "month"}],
                    }
                    for j, n in enumerate(["Starter", "Team", "Business"])
                ]
                evs = []
                for k in range(n_events // (len(ids) * 14) + 1):
                    t = rnd.choice(TYPES)
                    evs.append(
                        {
                            "type": t,
                            "plan": "Team",
                            "old_price": 20.0,
                            "new_price": 24.0,
                            "currency": "USD",
                            "period": "month",
                            "title": f"Release {day}.{k}",
                            "signal": rnd.choice(["threat", "opportunity", "neutral"]),
                            "importance": rnd.random(),
                            "tags": [rnd.choice(["ai", "security", "bugfix"])],
                            "why": f"Something moved {k}",
                            "key": f"{day}-{k}",
                        }
                    )
                st.save_processed(
                    st.snapshot(sid),
                    outcome="changed",
                    extraction=("pricing", 1, {"plans": plans}),
                    events=evs,
                    found_at=f"2026-11-{day:02d}T02:00:00+00:00",
                )


def run(repeats: int = 5) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        build_store(data)
        times = []
        with Store.open(data) as st:
            n = len(st.events())
            for _ in range(repeats):
                t0 = time.perf_counter()
                b = compose(st, None, since="2026-11-01", until="2026-12-01")
                times.append(time.perf_counter() - t0)
        return {
            "events": n,
            "charts": len(b.images),
            "render_s_median": statistics.median(times),
            "render_s_min": min(times),
            "render_s_max": max(times),
        }


if __name__ == "__main__":
    r = run()
    print(
        f"briefing over {r['events']} events with {r['charts']} charts: "
        f"median {r['render_s_median']:.3f}s (min {r['render_s_min']:.3f}, max {r['render_s_max']:.3f}); target <= 2 s"
    )
