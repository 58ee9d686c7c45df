"""Process: turn pending snapshots into extractions and events.

Each snapshot is compared with the last good snapshot of the same page. A failed fetch,
a 304, an empty body or an identical content hash never reaches the diff: no event can
be invented from a failure, and an unchanged page costs one hash comparison. Everything
one snapshot produces is stored in one transaction, so a run killed here leaves that
snapshot pending and the next run redoes it, without doubles.

During `intel run`'s crawl, a forked child can process the night's good snapshots as
the crawl stores them (`Alongside`), on the core the crawl leaves idle: the crawl is
one busy thread, extraction is pure CPU. It takes them in snapshot order, exactly as the
loop after the crawl would, and leaves 304s and failed fetches (nothing to extract) to
that loop. When the crawl ends, `process_pending` asks it to finish: the child, already
warm, forks once and the two split the good snapshots still pending by page (a page's
snapshots stay in one process, in order; pages do not depend on each other), on both
cores; then the 304s, the failures and anything left are done here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from intel import extract as core
from intel.classify import classify_many, load_rules
from intel.extract.html import decode
from intel.heap import settle
from intel.store import Snapshot, Store

log = logging.getLogger(__name__)


@dataclass
class ProcessResult:
    """What processing did, for the run summary."""

    processed: int = 0
    changed: int = 0
    unchanged: int = 0
    baseline: int = 0
    failed: int = 0
    events: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    #: of `processed`, how many were processed during the crawl (`Alongside`)
    during_crawl: int = 0

    def add(self, other: ProcessResult) -> None:
        """Count in what the child processed (its time ran alongside ours)."""
        self.processed += other.processed
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.baseline += other.baseline
        self.failed += other.failed
        self.events.update(other.events)
        self.errors = other.errors + self.errors
        self.during_crawl += other.during_crawl

    def summary(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
            "during_crawl": self.during_crawl,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "baseline": self.baseline,
            "failed": self.failed,
            "events": dict(self.events),
            "errors": self.errors[:20],
            "seconds": round(self.seconds, 3),
        }


#: below this many pages to extract, forking workers costs more than it saves
PARALLEL_MIN = 32
#: how many extractions may be in flight ahead of the snapshot being stored
WINDOW = 64


def process_pending(
    store: Store, watchlist: Any = None, *, workers: int | None = None
) -> ProcessResult:
    """Process every pending snapshot, oldest first.

    Extraction (decode + parse + read, pure and the bulk of the CPU of a cold night) runs
    ahead in a pool of `workers` processes (default: one per CPU) when many pages need it;
    everything that touches the store (previous snapshot, diff, events) stays here, in
    snapshot order, so the outcome is exactly that of the one-by-one loop.
    """
    started = time.perf_counter()
    result = ProcessResult()
    # The child processing alongside the crawl, if any, does the good snapshots left.
    during = Alongside.take(store.data_dir, finish=True)
    if during is not None:
        result.add(during)
    # 304s and failed fetches, or everything when no child ran or it died (its
    # snapshots are whole, processed or still pending).
    pending = store.pending_snapshots()
    # A 304 only records that the page is unchanged (no later diff reads it): a night of
    # them is one transaction, and needs no tag rules.
    not_modified = [s.id for s in pending if s.not_modified]
    store.set_outcomes(not_modified, "unchanged")
    result.unchanged += len(not_modified)
    result.processed += len(not_modified)
    pending = [s for s in pending if not s.not_modified]
    if not pending:
        result.seconds = time.perf_counter() - started
        return result
    rules, us, weights = _context(store, watchlist)
    ahead = _Ahead.start(store, pending, workers)
    try:
        for snap in pending:
            _process_safely(store, snap, rules, us, weights, result, ahead)
    finally:
        if ahead is not None:
            ahead.close()
    result.seconds = time.perf_counter() - started
    return result


def _context(store: Store, watchlist: Any) -> tuple[Any, dict | None, dict[str, float]]:
    """Tag rules, our own company, each competitor's weight: what classification needs."""
    rules = load_rules(watchlist.directory if watchlist is not None else None)
    us = watchlist.us.model_dump() if watchlist is not None and watchlist.us else None
    weights = {p["competitor"]: p["weight"] for p in store.pages(active_only=False)}
    return rules, us, weights


def _process_safely(
    store: Store,
    snap: Snapshot,
    rules: Any,
    us: dict | None,
    weights: dict[str, float],
    result: ProcessResult,
    ahead: _Ahead | None = None,
) -> None:
    try:
        _process_one(store, snap, rules, us, weights.get(snap.competitor, 1.0), result, ahead)
    except Exception as exc:  # one broken page never ends the night
        log.exception("processing snapshot %s of %s failed", snap.id, snap.url)
        result.errors.append(f"{snap.url}: {type(exc).__name__}: {exc}")
        store.save_processed(snap, outcome="failed")
        result.failed += 1
    result.processed += 1


class Alongside:
    """A child process that processes the good snapshots the crawl stores, as it stores them.

    `start` forks it before the crawl. After the crawl, `process_pending` calls `take`
    with `finish=True`: the child finishes the good snapshots still pending (forking once
    to use both cores when there are many), then returns its tally. `take` alone stops
    it after the snapshot at hand. Each snapshot is processed in its own transaction, as
    always, so a kill at any point leaves whole snapshots, processed or pending, and the
    next run completes the pending ones.
    """

    _running: dict[str, Alongside] = {}
    #: how long the child sleeps when no new snapshot is there (it backs off to the max)
    POLL_MIN, POLL_MAX = 0.02, 0.05

    def __init__(self, proc: Any, conn: Any) -> None:
        self.proc = proc
        self.conn = conn

    @classmethod
    def start(cls, data_dir: str | os.PathLike, watchlist: Any) -> Alongside | None:
        """Fork the child (None with a single CPU: it would only compete with the crawl)."""
        if (os.cpu_count() or 1) < 2:
            return None
        ctx = multiprocessing.get_context("fork")
        conn, child_conn = ctx.Pipe()
        proc = ctx.Process(
            target=_alongside_main,
            args=(str(data_dir), watchlist, child_conn),
            name="intel-process-alongside",
            daemon=True,
        )
        proc.start()
        child_conn.close()
        handle = cls(proc, conn)
        cls._running[_key(data_dir)] = handle
        return handle

    @classmethod
    def take(cls, data_dir: str | os.PathLike, *, finish: bool = False) -> ProcessResult | None:
        """Stop the child of `data_dir`, if any; what it processed (None: nothing known).

        `finish`: first let it process every good snapshot still pending."""
        handle = cls._running.pop(_key(data_dir), None)
        return handle.stop(finish) if handle is not None else None

    def stop(self, finish: bool = False) -> ProcessResult | None:
        result = None
        try:
            self.conn.send("finish" if finish else "stop")
            # Finishing can take a while: it is the night's tail of extraction.
            if self.conn.poll(3600 if finish else 120):
                result = self.conn.recv()
        except (EOFError, OSError):
            result = None  # it died: its snapshots are whole, processed or still pending
        self.conn.close()
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()
        return result


def _key(data_dir: str | os.PathLike) -> str:
    return os.path.realpath(data_dir)


def _alongside_main(data_dir: str, watchlist: Any, conn: Any) -> None:
    """The child: process each new good snapshot in order until told to stop."""
    result = ProcessResult()
    try:
        with Store.open(data_dir) as store:
            _alongside_loop(store, watchlist, conn, result)
    except Exception:  # whatever it did is stored; the loop after the crawl does the rest
        log.exception("processing alongside the crawl stopped")
    try:
        conn.send(result)
    except OSError:
        pass  # the parent is gone


def _alongside_loop(store: Store, watchlist: Any, conn: Any, result: ProcessResult) -> None:
    # Lowest priority: the crawl (and anything else on the machine) comes first; the
    # child only uses a core nobody else wants, and finishes (with a second process)
    # what it has not done by the end of the crawl.
    os.nice(10)
    started = time.perf_counter()
    rules, us, weights = _context(store, watchlist)
    # Now, while the parent imports and starts Scrapy (~1 s before the first page is
    # stored): the child exists only when pages are left to fetch after revalidation.
    _warm_up()
    settle()  # the parent's heap as forked, and the warmed extractors, live until exit
    done = 0  # highest snapshot id handled: later polls look past it only
    wait = Alongside.POLL_MIN
    while True:
        found = False
        message = None
        for snap in store.pending_snapshots():
            if snap.id <= done:
                continue
            if not snap.good:
                continue  # a 304 or a failure: nothing to extract, the loop after does it
            message = _message(conn, 0)
            if message is not None:
                break
            _process_safely(store, snap, rules, us, weights, result)
            done = snap.id
            found = True
        if message is None:
            wait = Alongside.POLL_MIN if found else min(wait * 2, Alongside.POLL_MAX)
            message = _message(conn, wait)
        if message is None:
            continue
        result.during_crawl = result.processed
        if message == "finish":
            todo = [s for s in store.pending_snapshots() if s.good]
            _finish(store, todo, rules, us, weights, result)
        result.seconds = time.perf_counter() - started
        return


def _finish(
    store: Store,
    todo: list[Snapshot],
    rules: Any,
    us: dict | None,
    weights: dict[str, float],
    result: ProcessResult,
) -> None:
    """Process `todo` in snapshot order; with many, in two processes sharing the pages.

    The fork is of this warm process (extractors loaded), so the second process starts
    at once. Each side claims the next page not yet claimed (all of its snapshots, in
    order) until none is left, so a side that drew costly pages (a long changelog) does
    not leave the other idle at the end. The forked side opens its own store connection
    and leaves by `os._exit`, never touching (nor closing) the one it inherited.
    """
    if len(todo) < PARALLEL_MIN or (os.cpu_count() or 1) < 2:
        for snap in todo:
            _process_safely(store, snap, rules, us, weights, result)
        return
    by_page: dict[int, list[Snapshot]] = {}
    for snap in todo:
        by_page.setdefault(snap.page_id, []).append(snap)
    pages = list(by_page.values())
    claimed = multiprocessing.Value("i", 0)  # shared memory: the fork sees the same counter

    def claim() -> Iterator[Snapshot]:
        while True:
            with claimed.get_lock():
                i = claimed.value
                claimed.value = i + 1
            if i >= len(pages):
                return
            yield from pages[i]

    receive, send = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the second process
        code = 1
        try:
            receive.close()
            other = ProcessResult()
            with Store.open(store.data_dir) as own:
                for snap in claim():
                    _process_safely(own, snap, rules, us, weights, other)
            send.send(other)
            code = 0
        finally:
            os._exit(code)
    send.close()
    for snap in claim():
        _process_safely(store, snap, rules, us, weights, result)
    try:
        other = receive.recv()
    except (EOFError, OSError):
        other = None  # it died: its snapshots are whole, processed or still pending
    receive.close()
    os.waitpid(pid, 0)
    if other is not None:
        result.add(other)  # its during_crawl is 0: all of its work came after the crawl


def _message(conn: Any, timeout: float) -> Any:
    """What the parent says, if anything within `timeout`; "stop" when it is gone."""
    ready, _, _ = select.select([conn], [], [], timeout)
    if not ready:
        return None
    try:
        return conn.recv()
    except (EOFError, OSError):
        return "stop"


class _Ahead:
    """Extractions computed in worker processes, a window ahead of the processing loop."""

    def __init__(self, store: Store, todo: list[Snapshot], pool: ProcessPoolExecutor) -> None:
        self.store = store
        self.todo = deque(todo)
        self.pool = pool
        self.futures: dict[int, Future] = {}
        self._fill()

    @classmethod
    def start(cls, store: Store, pending: list[Snapshot], workers: int | None) -> _Ahead | None:
        """A pool when enough pages need extracting and there is more than one CPU; else None."""
        workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
        if workers < 2:
            return None
        todo = [s for s in pending if s.good and _needs_extraction(store, s)]
        if len(todo) < PARALLEL_MIN:
            return None
        _warm_up()  # every extractor imported and warmed once, before forking
        # fork: workers start in milliseconds with the extractors loaded (spawn would
        # re-import lxml, babel and dateparser in each, ~1 s apiece).
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        return cls(store, todo, pool)

    def _fill(self) -> None:
        while self.todo and len(self.futures) < WINDOW:
            snap = self.todo.popleft()
            body = self.store.snapshot_body(snap.id) or b""
            self.futures[snap.id] = self.pool.submit(
                _extract_body, snap.kind, body, _content_type(snap), snap.final_url or snap.url
            )

    def take(self, snap_id: int) -> Future | None:
        """The extraction of `snap_id` if it was sent ahead (its result may raise)."""
        future = self.futures.pop(snap_id, None)
        self._fill()
        return future

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


_WARM_UP = (
    "<html><head><title>Pricing</title></head><body><h1>Pricing and changelog</h1>"
    '<div class="plan"><h2>Pro</h2><p>$10 per user / month, billed annually</p><ul><li>SSO</li>'
    '</ul></div><article><h2>v1.2.0</h2><time datetime="2026-03-03">March 3, 2026</time>'
    "<p>Fixed the export.</p></article></body></html>"
)


def _warm_up() -> None:
    """Run every extractor once before forking, so that the lazily loaded data (locale
    and date-language tables, compiled patterns) is loaded once and shared by the workers
    instead of being loaded again in each of them."""
    for kind in core.kinds():
        try:
            _extract_body(kind, _WARM_UP.encode(), "text/html; charset=utf-8", "http://x/")
        except Exception:  # noqa: BLE001, S110 - a warm-up only
            pass


def _needs_extraction(store: Store, snap: Snapshot) -> bool:
    prev = store.last_good_snapshot(snap.page_id, before=snap.id)
    return prev is None or prev.content_hash != snap.content_hash


def _content_type(snap: Snapshot) -> str | None:
    return snap.headers.get("content-type") or snap.headers.get("Content-Type")


def _extract_body(kind: str, body: bytes, content_type: str | None, url: str) -> dict[str, Any]:
    """What the page says, plus whether it was read as a feed or as HTML (pure)."""
    html = decode(body, content_type)
    data = core.get(kind).extract(html, url)
    data["_format"] = body_format(html)
    return data


def _process_one(
    store: Store,
    snap: Snapshot,
    rules: Any,
    us: dict | None,
    weight: float,
    result: ProcessResult,
    ahead: _Ahead | None = None,
) -> None:
    if snap.not_modified:
        store.save_processed(snap, outcome="unchanged")
        result.unchanged += 1
        return
    if not snap.good:
        store.save_processed(snap, outcome="failed")
        result.failed += 1
        return
    extractor = core.get(snap.kind)
    prev = store.last_good_snapshot(snap.page_id, before=snap.id)
    if prev is not None and prev.content_hash == snap.content_hash:
        store.save_processed(snap, outcome="unchanged", drop_body=True)
        result.unchanged += 1
        return

    future = ahead.take(snap.id) if ahead is not None else None
    if future is not None:
        new = future.result()
    else:
        body = store.snapshot_body(snap.id) or b""
        new = _extract_body(snap.kind, body, _content_type(snap), snap.final_url or snap.url)
    extraction = (snap.kind, extractor.version, new)
    if prev is None:
        store.save_processed(snap, outcome="baseline", extraction=extraction)
        result.baseline += 1
        return

    old = _extraction_of(store, prev, extractor)
    if snap.probe:
        # A second look moments after the first: it teaches noise, it never reports.
        gap = _seconds_between(prev.fetched_at, snap.fetched_at)
        state = store.page_state(snap.page_id)
        learned = extractor.learn(old, new, state, seconds_apart=gap)
        store.save_processed(
            snap, outcome="baseline", extraction=extraction,
            state=learned if learned != state else None,
        )  # fmt: skip
        return
    if old.get("_format", new["_format"]) != new["_format"]:
        # Read through its feed one night and its HTML the next (the feed failed): the two
        # are not comparable, and comparing them would invent entries. Start afresh.
        store.save_processed(snap, outcome="baseline", extraction=extraction)
        result.baseline += 1
        return
    state = store.page_state(snap.page_id)
    changes = extractor.diff(old, new, state)
    new_state = extractor.learn(old, new, state)
    # Judged together: a rename or a feature moving between plans reads differently as a pair.
    events = classify_many(changes, rules=rules, us=us, competitor=snap.competitor, weight=weight)
    for change, event in zip(changes, events, strict=True):
        event["key"] = change.key()
    store.save_processed(
        snap,
        outcome="changed",
        extraction=extraction,
        prev_snapshot_id=prev.id,
        events=events,
        state=new_state if new_state != state else None,
        found_at=snap.fetched_at,
    )
    result.changed += 1
    for e in events:
        result.events[e["type"]] += 1


def _seconds_between(a: str, b: str) -> float | None:
    from datetime import datetime

    try:
        return abs((datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds())
    except ValueError:
        return None


def body_format(text: str) -> str:
    """`feed` for an RSS/Atom document, else `html`: the two are never diffed together."""
    head = text[:512].lstrip("\ufeff \t\r\n").lower()
    if head.startswith("<?xml"):
        head = head[head.find("?>") + 2 :].lstrip()
        while head.startswith("<!--") or head.startswith("<?"):
            head = head[head.find(">") + 1 :].lstrip()
    return "feed" if head.startswith(("<rss", "<feed", "<rdf")) else "html"


def _extraction_of(store: Store, snap: Snapshot, extractor: core.Extractor) -> dict[str, Any]:
    """The stored extraction of a snapshot, redone when the extractor has changed since."""
    stored = store.extraction(snap.id)
    if stored and stored[0] == extractor.version:
        return stored[1]
    body = store.snapshot_body(snap.id) or b""
    return _extract_body(snap.kind, body, _content_type(snap), snap.final_url or snap.url)
