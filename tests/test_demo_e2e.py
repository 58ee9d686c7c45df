"""`intel demo` end to end: four nights crawled by the real nightly job, checked against the truth.

The demo world knows every move it made (`intel.demo.MOVES`); the product must report each
on its night, nothing on the baseline night, and nothing for the noise on any night
(night 4 is noise only).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intel.cli_demo import move_matches
from intel.demo import MOVES, SITES
from intel.store import Store

pytestmark = pytest.mark.slow

NAMES = {s.slug: s.name for s in SITES}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("demo") / "intel-data"
    env = {k: v for k, v in os.environ.items() if k not in ("INTEL_DATA", "INTEL_WATCHLIST")}
    env["COLUMNS"] = "200"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "intel.cli", "demo", "--data", str(data), "--days", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    seconds = time.perf_counter() - started
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    with Store.open(data) as store:
        runs = sorted(store.runs(), key=lambda r: r["id"])
        nights = {i + 1: store.events(run_id=r["id"]) for i, r in enumerate(runs)}
    return {"data": data, "out": proc.stdout, "nights": nights, "runs": runs, "seconds": seconds}


def test_demo_runs_four_nights_fetching_every_page(demo):
    assert len(demo["runs"]) == 4
    for run in demo["runs"]:
        crawl = run["summary"]["crawl"]
        assert crawl["fetched"] == crawl["pages"] == 16, crawl
        assert not run["summary"]["process"].get("errors"), run["summary"]["process"]
    print(f"intel demo --days 4 took {demo['seconds']:.1f}s")
    assert demo["seconds"] < 180


def test_demo_tells_the_user_how_to_explore(demo):
    out = demo["out"]
    assert "baseline" in out
    assert f"intel events --data {demo['data']}" in out
    assert f"intel plans --data {demo['data']}" in out
    for site in SITES:
        assert site.name in out


def test_night_one_is_a_baseline_with_no_events(demo):
    assert demo["nights"][1] == []


@pytest.mark.parametrize("move", MOVES, ids=[f"night{m.day}-{m.site}-{m.type}" for m in MOVES])
def test_each_planned_move_is_reported_on_its_night(demo, move):
    events = demo["nights"][move.day]
    assert any(move_matches(move, NAMES[move.site], e) for e in events), (
        f"missed: {move.note}; reported that night: "
        + "; ".join(f"{e['competitor']} {e['type']} {e.get('why')}" for e in events)
    )


@pytest.mark.parametrize("night", [2, 3, 4])
def test_nothing_but_the_planned_moves_is_reported(demo, night):
    moves = [m for m in MOVES if m.day == night]
    false_alarms = [
        f"{e['competitor']} {e['url']} {e['type']}: {e.get('why')}"
        for e in demo["nights"][night]
        if not any(move_matches(m, NAMES[m.site], e) for m in moves)
    ]
    assert false_alarms == []


def test_the_javascript_pricing_page_was_rendered_in_a_browser(demo):
    with Store.open(demo["data"]) as store:
        page = next(p for p in store.pages() if p["render"] == "browser")
        snap = store.last_good_snapshot(page["id"])
        body = store.snapshot_body(snap.id) or b""
    assert b"plan-card" in body, "the stored DOM is the rendered one, with the plan cards"


def test_a_second_demo_run_starts_afresh_in_its_own_data_dir(demo):
    data: Path = demo["data"]
    assert (data / ".intel-demo").exists()
    assert (data / "demo-watchlist.yaml").read_text().count("url:") == 16


def test_every_command_the_demo_suggests_works_on_its_data(demo, tmp_path):
    """The closing 'explore' lines are promises to the user: each must run and say something."""
    import shlex

    from intel.cli_demo import WATCHLIST_NAME, explore_commands

    data = demo["data"]
    for command, _ in explore_commands(data, data / WATCHLIST_NAME):
        args = shlex.split(command)
        assert args[0] == "intel"
        if args[1] == "serve":  # a long-running server; tested by the index's own tests
            continue
        args = [a.replace(str(data / "briefing"), str(tmp_path / "briefing")) for a in args]
        proc = subprocess.run(
            [sys.executable, "-m", "intel.cli", *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, f"{command}: {proc.stderr[-1500:]}"
        assert proc.stdout.strip(), command
