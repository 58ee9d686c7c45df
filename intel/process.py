"""Process: turn pending snapshots into extractions and events.

Each snapshot is compared with the last good snapshot of the same page. A failed fetch,
a 304, an empty body or an identical content hash never reaches the diff: no event can
be invented from a failure, and an unchanged page costs one hash comparison. Everything
one snapshot produces is stored in one transaction, so a run killed here leaves that
snapshot pending and the next run redoes it, without doubles.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import Counter, deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from intel import extract as core
from intel.classify import classify_many, load_rules
from intel.extract.html import decode
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

    def summary(self) -> dict[str, Any]:
        return {
            "processed": self.processed,
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
    rules = load_rules(watchlist.directory if watchlist is not None else None)
    us = watchlist.us.model_dump() if watchlist is not None and watchlist.us else None
    weights = {p["competitor"]: p["weight"] for p in store.pages(active_only=False)}
    result = ProcessResult()
    pending = store.pending_snapshots()
    # Extracted while the crawl ran (ExtractDuringCrawl): read back, never redone.
    done = store.pending_extractions()
    ahead = _Ahead.start(store, [s for s in pending if s.id not in done], workers)
    try:
        for snap in pending:
            try:
                _process_one(
                    store, snap, rules, us, weights.get(snap.competitor, 1.0), result, ahead, done
                )
            except Exception as exc:  # one broken page never ends the night
                log.exception("processing snapshot %s of %s failed", snap.id, snap.url)
                result.errors.append(f"{snap.url}: {type(exc).__name__}: {exc}")
                store.save_processed(snap, outcome="failed")
                result.failed += 1
            result.processed += 1
    finally:
        if ahead is not None:
            ahead.close()
    result.seconds = time.perf_counter() - started
    return result


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
        core.kinds()  # import every extractor once, before forking: workers inherit them
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
    done: dict[int, int] | None = None,
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
        store.save_processed(snap, outcome="unchanged")
        result.unchanged += 1
        return

    future = ahead.take(snap.id) if ahead is not None else None
    stored = store.extraction(snap.id) if done and done.get(snap.id) == extractor.version else None
    if stored is not None:
        new = stored[1]
    elif future is not None:
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


class ExtractDuringCrawl:
    """Scrapy extension: extract fetched pages in worker processes while the crawl runs.

    The crawl keeps one core busy and leaves the other mostly idle; extraction is the bulk
    of the CPU of a night with new content. Each page whose content differs from its last
    good snapshot is extracted by a forked worker as soon as it is stored, and the result
    is saved next to the (still pending) snapshot; the process stage reads it back instead
    of extracting again. Nothing else changes: diff, events and outcomes are the process
    stage's, in snapshot order. Whatever is not finished when the crawl closes is left to
    the process stage. Settings: INTEL_EXTRACT_DURING_CRAWL (on), INTEL_EXTRACT_WORKERS
    (default: CPUs - 1, the crawl keeps one).
    """

    #: pages waiting for a worker at most; beyond, the process stage extracts them later
    MAX_IN_FLIGHT = 256

    def __init__(self, data_dir: str, pool: ProcessPoolExecutor) -> None:
        self.data_dir = data_dir
        self.pool = pool
        self.store: Store | None = None
        self.hashes: dict[str, str] = {}
        self.in_flight: list[tuple[int, str, Future]] = []
        self.saved = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractDuringCrawl:
        import threading

        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        workers = settings.getint("INTEL_EXTRACT_WORKERS") or (os.cpu_count() or 1) - 1
        if not settings.getbool("INTEL_EXTRACT_DURING_CRAWL") or workers < 1:
            raise NotConfigured
        if threading.active_count() > 1:
            raise NotConfigured  # forking a threaded process is unsafe; process does it all
        core.kinds()  # every extractor imported before forking: the workers inherit them
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        pool.submit(int).result()  # fork every worker now, while we are single-threaded
        ext = cls(settings["INTEL_DATA"], pool)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.scraped, signal=signals.item_scraped)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Any = None) -> None:
        self.store = Store.open(self.data_dir)
        self.hashes = self.store.latest_good_hashes()

    def scraped(self, item: Any, **_: Any) -> None:
        body = getattr(item, "body", None)
        if self.store is None or not body or getattr(item, "not_modified", False):
            return
        if not (item.status and 200 <= item.status < 300) or item.error:
            return
        import hashlib

        digest = hashlib.sha256(body).hexdigest()
        if self.hashes.get(item.url) == digest:
            return  # unchanged: the process stage only compares hashes
        self.hashes[item.url] = digest
        self._harvest()
        if len(self.in_flight) >= self.MAX_IN_FLIGHT:
            return
        sid = self.store.pending_snapshot_id(item.url, digest)
        if sid is None:
            return
        ctype = item.headers.get("content-type") or item.headers.get("Content-Type")
        future = self.pool.submit(_extract_body, item.kind, body, ctype, item.final_url or item.url)
        self.in_flight.append((sid, item.kind, future))

    def _harvest(self, wait: bool = False) -> None:
        """Save the extractions that are done (all of them, waiting, when `wait`)."""
        keep = []
        for sid, kind, future in self.in_flight:
            if not future.done() and not wait:
                keep.append((sid, kind, future))
                continue
            try:
                data = future.result()
            except Exception:  # noqa: BLE001 - the process stage retries it and reports
                continue
            assert self.store is not None
            self.store.save_extraction(sid, kind, core.get(kind).version, data)
            self.saved += 1
        self.in_flight = keep

    def closed(self, spider: Any = None) -> None:
        try:
            # Pages not started yet are left to the process stage (which uses every CPU);
            # those running are waited for and saved.
            for _, _, future in self.in_flight:
                future.cancel()
            self.in_flight = [t for t in self.in_flight if not t[2].cancelled()]
            if self.store is not None:
                self._harvest(wait=True)
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)
            if self.store is not None:
                self.store.close()
                self.store = None
        log.info("extracted %d pages during the crawl", self.saved)
