"""SIGKILL inside each stage of `intel run` after the crawl: process, index, briefing.

tests/test_run_e2e.py kills a run mid-crawl; here the kill lands later. One baseline night
of N pages is crawled once and copied for each test. On the second night one sentence
changes on every page: exactly N real moves, one per page. A real `intel run` subprocess
is then killed -9 (its whole process group, extraction workers included) at a point inside
one stage, found by watching what an operator could watch: the store, the index dir, the
outbox and a real SMTP server. Random points are drawn from a seeded RNG; a failure names
the seed (set INTEL_CRASH_SEED to replay it).

What the head of product relies on after such a night, checked in every test:
- the store opens and passes `PRAGMA integrity_check`;
- `intel search` works at once (a half-written index is healed or rebuilt, never a crash);
- the next `intel run` exits 0 and finishes the night's work;
- every real move is reported exactly once, in `intel events` and in the index alike: no
  double from redone work, nothing lost from work the killed run had not finished.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from tests.servers import SmtpSink
from tests.test_briefing import free_port
from tests.test_run_e2e import World, events, intel, write_watchlist

pytestmark = pytest.mark.slow

#: pages per night: at least intel.process.PARALLEL_MIN, so that processing runs its
#: worker pool and the kill also lands on forked extraction workers
N = 36
SEED = int(os.environ.get("INTEL_CRASH_SEED") or random.SystemRandom().randrange(1 << 30))


class Catalogue(World):
    """N product pages; on night 2 one sentence of each page changes (N real moves)."""

    def page(self, path: str) -> str:
        name = path.strip("/")
        word = "alpha" if self.night < 2 else "omega"
        body = "".join(
            f"<p>Section {j} of {name} covers the {word if j == 3 else 'same'} feature set.</p>"
            for j in range(30)
        )
        return (
            f"<html><head><title>Acme {name}</title></head><body><main>"
            f"<h1>Product {name}</h1>{body}</main></body></html>"
        )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """The world after a clean first night (the baseline), and the second night served."""
    world = Catalogue()
    root = tmp_path_factory.mktemp("baseline")
    urls = [world.url(f"/p{i}") for i in range(N)]
    wl = write_watchlist(root, urls)
    first = intel("run", "--watchlist", str(wl), "--data", str(root / "data"))
    assert first.returncode == 0, first.stderr
    world.night = 2
    yield world, root / "data", urls
    world.close()


def night_two(baseline, tmp_path: Path, extra: str = "") -> tuple[Path, Path, list[str]]:
    """A private copy of the baseline data dir and a watchlist, ready for night 2."""
    _, data, urls = baseline
    mine = tmp_path / "data"
    shutil.copytree(data, mine)
    return mine, write_watchlist(tmp_path, urls, extra), urls


def start(wl: Path, data: Path, *extra: str) -> subprocess.Popen:
    """`intel run` in its own process group, so that kill -9 reaches its workers too."""
    with open(data.parent / "killed-run.log", "ab") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "intel.cli", "run", "--watchlist", str(wl), "--data", str(data)]
            + list(extra),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], where: str, *, delay=0.0):
    """SIGKILL the run's process group once `ready()` says it is inside the stage."""
    deadline = time.time() + 90
    try:
        while not ready():
            assert proc.poll() is None, f"the run ended (rc {proc.returncode}) before {where}"
            assert time.time() < deadline, f"never reached {where}"
            time.sleep(0.005)
        if delay:
            time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended by itself before {where}"


def query(data: Path, sql: str, *args) -> list[tuple]:
    """Read the store with plain SQL, read-only (the run under test may be writing)."""
    uri = f"file:{data / 'intel.sqlite3'}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=5)) as db:
        return db.execute(sql, args).fetchall()


def night_state(data: Path, run_id: int = 2) -> tuple[int, int, bool]:
    """(snapshots stored, still pending, run finished) of one run."""
    try:
        stored, pending = query(
            data,
            "SELECT count(*), COALESCE(sum(outcome = 'pending'), 0) FROM snapshots "
            "WHERE run_id = ?",
            run_id,
        )[0]
        finished = query(data, "SELECT finished_at IS NOT NULL FROM runs WHERE id = ?", run_id)
    except sqlite3.OperationalError:  # the run is creating the WAL index: ask again
        return 0, 0, False
    return stored, pending, bool(finished and finished[0][0])


def assert_store_sound(data: Path) -> None:
    with closing(sqlite3.connect(data / "intel.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def search_all(data: Path) -> dict:
    """`intel search --json` for everything, as a user would run it."""
    r = intel("search", "--data", str(data), "--json", "--limit", "500")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def index_keys(data: Path) -> Counter:
    """Live document keys of the index as the last writer left it (no healing on the way)."""
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(data / "index"), indexname="intel")
    try:
        with ix.searcher() as s:
            return Counter(f["key"] for f in s.all_stored_fields())
    finally:
        ix.close()


def assert_each_move_once(data: Path, urls: list[str], seed_note: str) -> list[dict]:
    """N content changes, one per page, in the events and in the index; nothing else."""
    evs = events(data)
    per_page = Counter((e["url"], e["type"]) for e in evs)
    assert per_page == {(u, "content_change"): 1 for u in urls}, (seed_note, per_page)
    assert all("omega" in " ".join(e["added"]) for e in evs), seed_note
    pending = query(data, "SELECT count(*) FROM snapshots WHERE outcome = 'pending'")[0][0]
    assert pending == 0, seed_note
    keys = index_keys(data)
    assert max(keys.values()) == 1, (seed_note, keys.most_common(3))  # no doubled document
    assert {k for k in keys if k.startswith("event:")} == {f"event:{e['id']}" for e in evs}
    hits = search_all(data)
    assert hits["total"] == len(urls), seed_note
    assert sorted(h["url"] for h in hits["hits"]) == sorted(urls), seed_note
    return evs


def next_run_completes(wl: Path, data: Path, *extra: str) -> subprocess.CompletedProcess:
    r = intel("run", "--watchlist", str(wl), "--data", str(data), *extra)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_sigkill_while_processing_redoes_the_rest_without_doubles(baseline, tmp_path):
    """Killed after k of the N changed pages were stored (k drawn at random, 1 <= k < N - 3).

    The k events already stored stay; the N - k snapshots left pending are processed by
    the next run, which re-crawls the same content (so it finds nothing new itself). Right
    after the kill, before any repair, `intel search` must answer and show the k moves
    stored so far (the index is derived: it is brought up to the store, not trusted).
    """
    rng = random.Random(SEED)
    k = rng.randint(1, N - 4)  # a few left, so that the kill lands before the last one
    note = f"INTEL_CRASH_SEED={SEED} k={k}"
    data, wl, urls = night_two(baseline, tmp_path)
    proc = start(wl, data)

    def processed_k() -> bool:
        stored, pending, _ = night_state(data)
        return stored == N and stored - pending >= k

    kill_when(proc, processed_k, f"processing {k} pages")
    stored, pending, finished = night_state(data)
    assert 0 < pending < N and not finished, (note, stored, pending)  # landed mid-process
    assert_store_sound(data)

    done = N - pending
    assert len(events(data)) == done, note  # what was stored is whole: one event per page
    found = search_all(data)
    assert found["total"] == done, note

    next_run_completes(wl, data)
    assert_each_move_once(data, urls, note)
    status = dict(query(data, "SELECT id, status FROM runs"))
    assert status == {1: "ok", 2: "interrupted", 3: "ok"}  # not "running" for ever


@pytest.mark.parametrize("point", ["writing", "rebuilding"])
def test_sigkill_while_indexing_leaves_a_usable_index_and_no_doubles(baseline, tmp_path, point):
    """Killed in the index update, after every event was stored.

    "writing": once the new segment's files are on disk, before its commit. Whoosh commits
    with one rename of its table of contents, so the last good index is still there: the
    next run must add exactly the missing documents (no event indexed twice), and no
    leftover writer lock may block it. "rebuilding": the index was missing (a first
    night, a schema change), the run rebuilds it into a temporary dir and is killed
    before the swap. A random extra delay moves the kill around.
    """
    rng = random.Random(f"{SEED}-{point}")
    delay = rng.uniform(0, 0.03)  # the whole write takes ~0.1-0.4 s
    note = f"INTEL_CRASH_SEED={SEED} point={point} delay={delay:.3f}"
    data, wl, urls = night_two(baseline, tmp_path)
    index = data / "index"
    if point == "rebuilding":
        shutil.rmtree(index)
    before = set(os.listdir(index)) if index.exists() else set()
    proc = start(wl, data)

    def processed() -> bool:
        stored, pending, _ = night_state(data)
        return stored == N and pending == 0

    def writing() -> bool:
        return processed() and any(
            f.endswith((".trm", ".pst", ".col")) for f in set(os.listdir(index)) - before
        )

    def rebuilding() -> bool:
        return processed() and any(p.name.startswith(".index.tmp-") for p in data.iterdir())

    kill_when(proc, writing if point == "writing" else rebuilding, point, delay=delay)
    assert not night_state(data)[2], note  # killed before the run was closed: inside the stage
    assert_store_sound(data)
    assert len(events(data)) == N, note  # the events themselves were all stored
    if point == "rebuilding":  # the state test_a_killed_rebuild_leaves_no_partial_index plants
        assert [p.name for p in data.glob(".index.tmp-*")], note
    half_written = set(os.listdir(index)) - before if point == "writing" else set()
    # `intel search` at once, before any run repaired anything (on a copy: it heals the
    # index, and the next run must cope with the state as the kill left it)
    shutil.copytree(data, tmp_path / "as-killed")
    assert search_all(tmp_path / "as-killed")["total"] == N, note

    next_run_completes(wl, data)
    assert_each_move_once(data, urls, note)
    assert not half_written & set(os.listdir(index)), note  # the dead writer's files are gone
    meta = json.loads((index / "intel-index.json").read_text())
    assert meta["events"] == N, meta


def test_a_killed_rebuild_leaves_no_partial_index_behind(baseline, tmp_path):
    """What a kill mid-rebuild leaves (see the "rebuilding" case above) is cleared later."""
    data, _, _ = night_two(baseline, tmp_path)
    shutil.copytree(data / "index", data / ".index.tmp-999999-0badc0de")  # the dead run's
    shutil.rmtree(data / "index")
    assert search_all(data)["total"] == 0  # rebuilt: the baseline night has no events
    assert list(data.glob(".index.*")) == []


BRIEFING = (
    "smtp: {{host: 127.0.0.1, port: {port}, security: none, from: intel@ourco.example, "
    "timeout: 10}}\nbriefings: {{daily: {{to: [cpo@ourco.example]}}}}\n"
)


def test_sigkill_around_the_briefing_sends_it_once_and_loses_nothing(baseline, tmp_path):
    """Three nights killed at three points of the daily briefing, then a clean one.

    What a head of product expects: the briefing about tonight's moves reaches the inbox
    exactly once, and it holds every move. So:
    1. killed while composing (the night's events are stored, nothing queued): the next
       run composes it, since none was queued;
    2. killed while talking to the SMTP server, before it accepted anything: the queued
       briefing stays in the outbox and the next run sends it, not a second one;
    3. killed after the server accepted it (answered 250) but before the conversation
       ended: it was delivered, so it must not be sent again.
    The last clean run then has nothing left to send. (The one window no client can close
    is a kill between the server's 250 and reading it; the resend would carry the same
    Message-ID, which mail clients use to drop duplicates.)
    """
    port = free_port()
    data, wl, urls = night_two(baseline, tmp_path, BRIEFING.format(port=port))
    outbox, sent = data / "outbox", data / "sent"

    def emls(d: Path) -> list[str]:
        return sorted(p.name for p in d.glob("*.eml")) if d.is_dir() else []

    delivered: list[bytes] = []
    # 1. composing: the night is closed (run finished) and the briefing not yet queued
    with SmtpSink(port) as smtp:
        proc = start(wl, data, "--brief", "daily")
        kill_when(proc, lambda: night_state(data)[2], "the briefing")
        delivered += smtp.delivered
    assert emls(outbox) == [] and emls(sent) == [] and delivered == [], "landed after queueing"
    assert_store_sound(data)
    assert len(events(data)) == N

    # 2. the SMTP server hangs before MAIL FROM is answered: nothing was handed over
    with SmtpSink(port, stall="MAIL") as smtp:
        proc = start(wl, data, "--brief", "daily")
        kill_when(proc, smtp.stalled.is_set, "the SMTP conversation")
        delivered += smtp.delivered
    assert delivered == []
    assert len(emls(outbox)) == 1 and emls(sent) == [], (emls(outbox), emls(sent))
    queued = emls(outbox)[0]

    # 3. the server accepted the message and hangs before answering QUIT
    with SmtpSink(port, stall="QUIT") as smtp:
        proc = start(wl, data, "--brief", "daily")
        kill_when(proc, smtp.stalled.is_set, "the end of the SMTP conversation")
        delivered += smtp.delivered
    assert len(delivered) == 1

    with SmtpSink(port) as smtp:
        r = next_run_completes(wl, data, "--brief", "daily")
        delivered += smtp.delivered
    assert len(delivered) == 1, "the accepted briefing was sent again"
    assert emls(outbox) == [] and emls(sent) == [queued]
    assert "briefing sent" not in r.stdout

    msg = message_from_bytes(delivered[0], policy=policy.default)
    assert msg["X-Intel-Briefing"] == queued.removesuffix(".eml")
    text = msg.get_body(("plain",)).get_content()
    assert f"{N} moves by 1 rival" in text, text[:2000]  # the night's moves, all of them
    assert_each_move_once(data, urls, f"INTEL_CRASH_SEED={SEED}")
