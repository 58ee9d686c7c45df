"""Process: turn pending snapshots into extractions and events.

Each snapshot is compared with the last good snapshot of the same page. A failed fetch,
a 304, an empty body or an identical content hash never reaches the diff: no event can
be invented from a failure, and an unchanged page costs one hash comparison. Everything
one snapshot produces is stored in one transaction, so a run killed here leaves that
snapshot pending and the next run redoes it, without doubles.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
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


def process_pending(store: Store, watchlist: Any = None) -> ProcessResult:
    """Process every pending snapshot, oldest first."""
    started = time.perf_counter()
    rules = load_rules(watchlist.directory if watchlist is not None else None)
    us = watchlist.us.model_dump() if watchlist is not None and watchlist.us else None
    weights = {p["competitor"]: p["weight"] for p in store.pages(active_only=False)}
    result = ProcessResult()
    for snap in store.pending_snapshots():
        try:
            _process_one(store, snap, rules, us, weights.get(snap.competitor, 1.0), result)
        except Exception as exc:  # one broken page never ends the night
            log.exception("processing snapshot %s of %s failed", snap.id, snap.url)
            result.errors.append(f"{snap.url}: {type(exc).__name__}: {exc}")
            store.save_processed(snap, outcome="failed")
            result.failed += 1
        result.processed += 1
    result.seconds = time.perf_counter() - started
    return result


def _process_one(
    store: Store, snap: Snapshot, rules: Any, us: dict | None, weight: float, result: ProcessResult
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

    body = store.snapshot_body(snap.id) or b""
    html = decode(body, snap.headers.get("content-type") or snap.headers.get("Content-Type"))
    new = extractor.extract(html, snap.final_url or snap.url)
    new["_format"] = body_format(html)
    extraction = (snap.kind, extractor.version, new)
    if prev is None:
        store.save_processed(snap, outcome="baseline", extraction=extraction)
        result.baseline += 1
        return

    old = _extraction_of(store, prev, extractor)
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
    html = decode(body, snap.headers.get("content-type") or snap.headers.get("Content-Type"))
    data = extractor.extract(html, snap.final_url or snap.url)
    data["_format"] = body_format(html)
    return data
