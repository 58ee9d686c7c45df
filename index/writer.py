"""Writing the index: incremental nightly updates and full rebuilds.

The index is derived from the store, so it is never precious: anything wrong with it
(missing, built by another schema version, corrupt) is answered by rebuilding it. A
rebuild goes into a temporary dir next to the index and is swapped in with renames, so
readers see the old index or the new one, never half of one.

`sync_from_store` is what `intel run` calls at the end of a night. It is incremental:
the index's meta file records the highest event id indexed, a digest of the judgement
(signal, tags, importance, why) of every event up to it, and the snapshot each page text
came from. A night then reads only the events above that mark and the pages with a newer
snapshot, and adds them with ONE writer commit for the events (Whoosh) and one for the
page texts (`index.pages`, SQLite FTS5). Every event goes in keyed by its unique `key`
(update_document when the key is already there) and every page text by its URL, so a
run killed between those commits and the meta write re-sends a few events and pages
next time without doubling them; a run killed before them leaves the mark where it
was. When the digest differs (`intel reclassify` re-judged events) every event is
compared by fingerprint (`update_index`), and when the store no longer holds the marked
event as indexed (a replaced store) the index is rebuilt.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index import pages as page_texts
from index.docs import event_to_doc
from index.schema import SCHEMA, SCHEMA_VERSION
from index.segments import column, leaves
from intel.errors import IndexError_

META_NAME = "intel-index.json"
INDEX_NAME = "intel"
# Segments as separate files, not one compound file: whoosh reads a sub-file of a
# compound segment by copying it whole into memory (the stored fields: ~30 MB per 50k
# events) each time an index is opened, which dominated `intel search`'s own time.
COMPOUND = False
# Above this many events a rebuild uses two writer processes: the fork and the merge of
# two segments pay for themselves early (1,000 long documents: 1.48 s with one writer,
# 0.95-1.06 s with two).
PARALLEL_FROM = 500


def read_meta(index_dir: str | Path) -> dict[str, Any]:
    """What we wrote about the index (schema version, build id, event count); {} if none."""
    try:
        return json.loads((Path(index_dir) / META_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def check_index(index_dir: str | Path, *, probe: bool = True) -> str | None:
    """Why the index cannot be used as it is ("missing", "stale: ...", "corrupt: ..."), or None.

    `probe=False` skips reading a document of every segment (a searcher that was just
    checked by its caller finds damage anyway, when it reads).
    """
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return "missing"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            if not whoosh_index.exists_in(str(index_dir), INDEX_NAME):
                return "missing"
        except Exception as exc:  # a damaged table of contents fails already here
            gc.collect()  # close the file whoosh left open, quietly
            return f"corrupt: {type(exc).__name__}: {exc}"
    meta = read_meta(index_dir)
    if meta.get("schema") != SCHEMA_VERSION:
        return f"stale: built with schema {meta.get('schema')}, this version uses {SCHEMA_VERSION}"
    problem = page_texts.problem(index_dir)
    if problem:
        return problem
    if not probe:
        return None
    # Whoosh leaves the files of a segment it failed to read open; they are closed here,
    # quietly, rather than warned about at some random later moment.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        problem = _probe(index_dir)
        if problem:
            gc.collect()
    return problem


def _probe(index_dir: Path) -> str | None:
    """Open the index and read one document through every layer."""
    try:
        ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
        if set(ix.schema.names()) != set(SCHEMA.names()):
            return "stale: its fields differ from this version's schema"
        with ix.searcher() as searcher:
            # One document of each segment, through its stored fields and key column
            # (reading whole columns here cost ~0.1 s per search at 100k events).
            for sub, _offset in leaves(searcher.reader()):
                for docnum in sub.all_doc_ids():
                    sub.stored_fields(docnum)
                    if sub.has_column("key"):
                        sub.column_reader("key")[docnum]
                    break
    except Exception as exc:  # whoosh raises many kinds on a damaged index
        return f"corrupt: {type(exc).__name__}: {exc}"
    return None


def open_index(index_dir: str | Path):
    """The whoosh Index of `index_dir`; IndexError_ saying why when it cannot be used."""
    problem = check_index(index_dir)
    if problem:
        raise IndexError_(f"the search index at {index_dir} is {problem}")
    return whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)


def update_index(
    index_dir: str | Path,
    events: Iterable[dict[str, Any]],
    pages: Iterable[dict[str, Any]] = (),
    *,
    digest: str | None = None,
) -> dict[str, Any]:
    """Add new and changed events and pages; rebuild instead if the index is unusable.

    Every event given is compared with the index by fingerprint: the thorough path,
    for a few events or after events were re-judged; every page text given replaces
    the page's (callers give those fetched anew). Pages without a "text" key are
    skipped (their text is not known to the caller; see `pages_with_text`). Nothing is
    deleted here: `rebuild_index` drops what left the store. `digest`: the store's
    judgement digest these events reflect (see `judgement_digest`), kept in the meta file.
    """
    started = time.perf_counter()
    events, pages = list(events), [p for p in pages if p.get("text") is not None]
    clear_leftovers(index_dir)
    problem = check_index(index_dir)
    if problem:
        summary = rebuild_index(index_dir, events, pages, digest=digest)
        summary["rebuilt"] = problem
        return summary
    ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    known = _fingerprints(ix)
    docs = [event_to_doc(e) for e in events]
    changed = [d for d in docs if known.get(d["key"]) != d["fp"]]
    added = len(_commit(ix, changed, known))
    for doc in changed:
        known[doc["key"]] = doc["fp"]
    # Page texts given here are the ones fetched since they were indexed: all replaced.
    pages_added, pages_replaced = page_texts.write(index_dir, pages)
    meta = read_meta(index_dir)
    event_ids = [_event_id(k) for k in known if k.startswith("event:")]
    _write_meta(
        Path(index_dir),
        build=meta.get("build"),
        events=len(event_ids),
        max_event_id=max(event_ids, default=0),
        page_snapshots=_page_snapshots(meta, pages),
        digest=digest,
        anchor=_anchor(events, max(event_ids, default=0)) or meta.get("anchor"),
    )
    return {
        "added": added + pages_added,
        "updated": len(changed) - added + pages_replaced,
        "unchanged": len(docs) - len(changed),
        "seconds": round(time.perf_counter() - started, 3),
    }


def add_documents(
    index_dir: str | Path,
    events: Iterable[dict[str, Any]],
    pages: Iterable[dict[str, Any]] = (),
    *,
    digest: str | None = None,
) -> dict[str, Any]:
    """The nightly fast path: index these new events (one commit) and page texts (one).

    Nothing already in the index is read or compared; a document whose key is already
    there (re-sent after an interrupted update) replaces it instead of doubling.
    The index must be usable (callers check first).
    """
    started = time.perf_counter()
    events, pages = list(events), [p for p in pages if p.get("text") is not None]
    docs = [event_to_doc(e) for e in events]
    ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    new_keys = _commit(ix, docs, None)
    pages_added, pages_replaced = page_texts.write(index_dir, pages)
    added = len(new_keys) + pages_added
    meta = read_meta(index_dir)
    ids = [_event_id(d["key"]) for d in docs]
    max_id = max([meta.get("max_event_id") or 0, *ids])
    _write_meta(
        Path(index_dir),
        build=meta.get("build"),
        events=(meta.get("events") or 0) + sum(1 for k in new_keys if k.startswith("event:")),
        max_event_id=max_id,
        page_snapshots=_page_snapshots(meta, pages),
        digest=digest,
        anchor=_anchor(events, max_id) or meta.get("anchor"),
    )
    return {
        "added": added,
        "updated": len(docs) - len(new_keys) + pages_replaced,
        "events": len(events),
        "pages": len(pages),
        "seconds": round(time.perf_counter() - started, 3),
    }


def rebuild_index(
    index_dir: str | Path,
    events: Iterable[dict[str, Any]],
    pages: Iterable[dict[str, Any]] = (),
    *,
    procs: int | None = None,
    digest: str | None = None,
) -> dict[str, Any]:
    """Build a fresh index from scratch in a temp dir, then swap it in place of `index_dir`.

    Events go to Whoosh, with two writer processes from PARALLEL_FROM events on; page
    texts (`pages` may be lazy: `pages_with_text`) to `index.pages`, in the same dir.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    events = list(events)
    indexed_pages: list[dict[str, Any]] = []

    def with_text() -> Iterator[dict[str, Any]]:
        for p in pages:
            if p.get("text") is not None:
                indexed_pages.append({"url": p.get("url"), "snapshot_id": p.get("snapshot_id")})
                yield p

    clear_leftovers(index_dir)
    tmp = index_dir.with_name(f".{index_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        ix = whoosh_index.create_in(str(tmp), SCHEMA, indexname=INDEX_NAME)
        if procs is None:
            procs = 2 if len(events) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=128, compound=COMPOUND)
        else:
            writer = ix.writer(limitmb=128, compound=COMPOUND)
        seen: set[str] = set()
        for doc in map(event_to_doc, events):
            if doc["key"] in seen:  # the same event given twice: keep the first
                continue
            seen.add(doc["key"])
            writer.add_document(**doc)
        writer.commit()
        page_count, _ = page_texts.write(tmp, with_text())
        event_ids = [_event_id(k) for k in seen]
        _write_meta(
            tmp,
            build=uuid.uuid4().hex,
            events=len(event_ids),
            max_event_id=max(event_ids, default=0),
            page_snapshots=_page_snapshots({}, indexed_pages),
            digest=digest,
            anchor=_anchor(events, max(event_ids, default=0)),
        )
        _swap(tmp, index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "rebuilt": True,
        "documents": len(seen) + page_count,
        "events": len(seen),
        "seconds": round(time.perf_counter() - started, 3),
    }


def pages_with_text(store: Any, known: dict[str, int] | None = None) -> PageTexts:
    """Each watched page with the main text of its latest good version, read from the store.

    `known`: url -> snapshot id already indexed; those pages are skipped unread (the
    nightly update only re-reads pages fetched anew). Read lazily, while `store` is open.
    """
    return PageTexts(store, known)


class PageTexts:
    """The pages of `pages_with_text`, read as they are iterated (one at a time into
    `index.pages`, not all of them held first)."""

    def __init__(self, store: Any, known: dict[str, int] | None) -> None:
        self.store, self.known = store, known
        self.pages = store.pages()

    def __iter__(self) -> Iterator[dict[str, Any]]:
        from intel import extract

        store, known = self.store, self.known or {}
        latest = store.latest_good()
        for page in self.pages:
            snap = latest.get(page["id"])
            if snap is None or known.get(page["url"]) == snap.id:
                continue
            stored = store.extraction(snap.id)
            if stored is None:
                continue
            try:
                text = extract.get(page["kind"]).text(stored[1])
            except Exception:  # an unknown kind or odd data: the page just has no text doc
                continue
            yield {
                "url": page["url"],
                "competitor": page["competitor"],
                "kind": page["kind"],
                "fetched_at": snap.fetched_at,
                "snapshot_id": snap.id,
                "text": text,
            }


def index_is_behind(index_dir: str | Path, store: Any) -> bool:
    """True when the store holds events the index does not (by count and newest id)."""
    meta = read_meta(index_dir)
    row = store.conn.execute("SELECT count(*), COALESCE(max(id), 0) FROM events").fetchone()
    return (row[0], row[1]) != (meta.get("events"), meta.get("max_event_id"))


def judgement_digests(store: Any, mark: int) -> tuple[str, str]:
    """Digests of every event's judgement (id, signal, importance, tags, why): (up to id
    `mark`, all), in one pass over four short columns (~0.3 s at 100k events).

    `intel reclassify` rewrites judgements in place; a digest up to the mark that differs
    from the one kept at the last update is how the nightly update knows old events
    need comparing again. Hashed row by row, so both digests come from one pass.
    """
    rows = store.conn.execute(
        "SELECT id, signal, importance, tags, why FROM events ORDER BY id"
    ).fetchall()
    h = hashlib.sha1()
    upto = None
    for row in rows:
        if upto is None and row[0] > mark:
            upto = h.hexdigest()
        h.update(marshal.dumps(row))
    full = h.hexdigest()
    return (upto if upto is not None else full), full


def judgement_digest(store: Any) -> str:
    """The digest of every event's judgement (see `judgement_digests`)."""
    return judgement_digests(store, 0)[1]


def sync_from_store(
    index_dir: str | Path, store: Any, *, force: bool = False, thorough: bool = True
) -> dict | None:
    """Make the index match the store; returns what was done (None: already current).

    Rebuilds when forced or when the index is unusable (missing, stale, corrupt, or made
    from another store). Otherwise adds only the events above the index's mark and the
    pages fetched anew; when events were re-judged since (`thorough`, the nightly call),
    compares every event instead. `thorough=False` (before a search) skips the judgement
    digest and the per-page check when the event count and newest id already match.
    """
    index_dir = Path(index_dir)
    # A killed rebuild's partial copy (or a killed swap's old index) goes first; a swap
    # killed between its two renames leaves no index at all, which the check below
    # answers with a rebuild from the store (the old copy might be why it was rebuilt).
    clear_leftovers(index_dir)
    problem = None if force else (check_index(index_dir) or _store_mismatch(index_dir, store))
    if force or problem:
        summary = rebuild_index(
            index_dir, store.events(), pages_with_text(store), digest=judgement_digest(store)
        )
        summary["reason"] = "asked" if force else problem
        return summary
    if not thorough and not index_is_behind(index_dir, store):
        return None
    meta = read_meta(index_dir)
    mark = int(meta.get("max_event_id") or 0)
    digest, digest_now = judgement_digests(store, mark)
    known_pages = meta.get("page_snapshots") or {}
    if digest != meta.get("digest"):  # re-judged events (or a mark from an older version)
        summary = update_index(
            index_dir, store.events(), pages_with_text(store, known_pages), digest=digest_now
        )
        summary["compared"] = "all events (judgements changed since the last update)"
        return summary
    events = _events_after(store, mark)
    pages = list(pages_with_text(store, known_pages))
    if not events and not pages:
        return None
    # Every event above the mark is in `events`: the new mark is the store's newest id.
    return add_documents(index_dir, events, pages, digest=digest_now)


def _events_after(store: Any, mark: int) -> list[dict[str, Any]]:
    """The stored events with an id above `mark`, through `Store.events`.

    Events carry their found_at, not their id, as a filter: the earliest found_at above
    the mark bounds them all, and the id check drops the older ones that share it.
    """
    row = store.conn.execute(
        "SELECT count(*), min(found_at) FROM events WHERE id > ?", (mark,)
    ).fetchone()
    if not row[0]:
        return []
    return [e for e in store.events(since=row[1]) if int(e["id"]) > mark]


def _store_mismatch(index_dir: Path, store: Any) -> str | None:
    """Why the index describes another store than this one, or None.

    The marked event must still be in the store, found when the index says it was (a
    store that was deleted and filled again reuses the ids).
    """
    meta = read_meta(index_dir)
    mark = int(meta.get("max_event_id") or 0)
    if not mark:
        return None
    row = store.conn.execute("SELECT found_at FROM events WHERE id = ?", (mark,)).fetchone()
    if row is None:
        return f"stale: event {mark} is indexed but not in the store"
    if meta.get("anchor") and row[0] != meta["anchor"]:
        return f"stale: event {mark} in the store is not the one indexed"
    return None


def _commit(ix: Any, docs: list[dict[str, Any]], known: dict[str, str] | None) -> list[str]:
    """Write `docs` in ONE commit; returns the keys that were not in the index before.

    `known`: key -> fingerprint of the whole index; None: look each key up (the nightly
    path, which does not read the whole index). A key already there is replaced.
    """
    if not docs:
        return []
    if known is None:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            present = {d["key"] for d in docs if ("key", d["key"]) in reader}
    else:
        present = {d["key"] for d in docs if d["key"] in known}
    writer = ix.writer(timeout=60.0, compound=COMPOUND)
    new: list[str] = []
    try:
        for doc in docs:
            if doc["key"] in present:
                writer.update_document(**doc)
            else:
                writer.add_document(**doc)
                present.add(doc["key"])
                new.append(doc["key"])
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return new


def _fingerprints(ix: Any) -> dict[str, str]:
    """key -> fingerprint of every live document, read from the columns (no unpickling)."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        if reader.doc_count_all() == 0:  # whoosh's empty reader has no columns at all
            return {}
        # whole columns (far faster than per doc), read per segment at the right offsets
        keys = column(reader, "key")
        fps = column(reader, "fp")
        live = reader.all_doc_ids() if reader.has_deletions() else range(len(keys))
        return {keys[n]: fps[n] for n in live if keys[n] is not None}


def _event_id(key: str) -> int:
    ident = key[6:]
    return int(ident) if ident.isdigit() else 0


def _anchor(events: list[dict[str, Any]], event_id: int) -> str | None:
    """The found_at of event `event_id` among `events` (what `_store_mismatch` checks)."""
    for e in events:
        if str(e.get("id")) == str(event_id):
            return e.get("found_at")
    return None


def _page_snapshots(meta: dict[str, Any], pages: list[dict[str, Any]]) -> dict[str, int]:
    known = dict(meta.get("page_snapshots") or {})
    for p in pages:
        if p.get("url") and p.get("snapshot_id") is not None:
            known[p["url"]] = p["snapshot_id"]
    return known


def _set_digest(index_dir: Path, digest: str) -> None:
    meta = read_meta(index_dir)
    meta["digest"] = digest
    _dump_meta(index_dir, meta)


def _write_meta(
    index_dir: Path,
    *,
    build: str | None,
    events: int,
    max_event_id: int,
    page_snapshots: dict[str, int],
    digest: str | None,
    anchor: str | None,
) -> None:
    meta = {
        "schema": SCHEMA_VERSION,
        "build": build or uuid.uuid4().hex,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": events,
        "max_event_id": max_event_id,
        # The found_at of event `max_event_id`: tells this store from a refilled one.
        "anchor": anchor,
        # Digest of the judgements of events up to `max_event_id` (judgement_digest).
        "digest": digest,
        "pages": len(page_snapshots),
        # url -> snapshot id of each indexed page text: the pages to re-read are the rest.
        "page_snapshots": page_snapshots,
    }
    _dump_meta(index_dir, meta)


def _dump_meta(index_dir: Path, meta: dict[str, Any]) -> None:
    tmp = index_dir / (META_NAME + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1), "utf-8")
    os.replace(tmp, index_dir / META_NAME)


def _swap(new: Path, target: Path) -> None:
    """Put `new` where `target` is; the old index (or whatever junk was there) is removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)


# A rebuild left unfinished for this long is dead whatever its pid says (a rebuild of
# 100k events takes minutes); only used where a process's start time cannot be read.
LEFTOVER_MAX_AGE = 24 * 3600.0


def clear_leftovers(index_dir: str | Path) -> list[Path]:
    """Remove what killed rebuilds left next to `index_dir`; returns the paths removed.

    A rebuild writes `.<name>.tmp-<pid>-<id>` (a whole partial index) and its swap parks
    the old index as `.<name>.old-<pid>-<id>` for a moment; a kill leaves either behind
    for good, one index-sized copy per kill. Such a dir is removed when its pid no longer
    runs, or runs but started after the dir was last written (the pid was reused).
    `intel search` can rebuild outside the run lock, so the dir of a live rebuild in
    another process, or in this one, is left alone. Old dirs without a pid (written
    by earlier versions) are removed: nothing ever reads them.
    """
    index_dir = Path(index_dir)
    try:
        entries = list(index_dir.parent.iterdir())
    except OSError:
        return []
    removed = []
    for path in entries:
        owner = _leftover_owner(path.name, index_dir.name)
        if owner is None:
            continue
        if owner and _owner_alive(owner, path):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                path.unlink()
            except OSError:
                continue
        if not path.exists():
            removed.append(path)
    return removed


def _leftover_owner(name: str, index_name: str) -> int | None:
    """The pid in a leftover's name, 0 for one without a pid, None if `name` is no leftover."""
    for kind in ("tmp", "old"):
        prefix = f".{index_name}.{kind}-"
        if name.startswith(prefix):
            parts = name[len(prefix) :].split("-")
            if len(parts) == 2 and parts[0].isdigit():
                return int(parts[0])
            return 0 if kind == "old" and len(parts) == 1 else None
    return None


def _owner_alive(pid: int, path: Path) -> bool:
    """Whether process `pid` may still be writing `path` (True when in doubt)."""
    if pid == os.getpid():
        return True  # another thread of this process (intel serve) may be rebuilding
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    except OSError:
        return True
    try:
        written = path.lstat().st_mtime
    except OSError:
        return True  # already gone: nothing to remove
    started = _process_start(pid)
    if started is not None:
        # The dir was made (and last written) by its owner after the owner started; a
        # dir last written before this process started belongs to a dead one.
        return written >= started - 1.0
    return time.time() - written < LEFTOVER_MAX_AGE


def _process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), from /proc; None where there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
        with open("/proc/stat") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None
