"""Writing the index: incremental nightly updates and full rebuilds.

The index is derived from the store, so it is never precious: anything wrong with it
(missing, built by another schema version, corrupt) is answered by rebuilding it. A
rebuild goes into a temporary dir next to the index and is swapped in with renames, so
readers see the old index or the new one, never half of one.

`update_index` is what `intel run` calls with every stored event: documents whose
fingerprint is already in the index are skipped, the rest go in with ONE writer commit
(a run killed mid-update leaves the previous commit intact).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
import uuid
import warnings
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from index.docs import event_to_doc, page_to_doc
from index.engine import column
from index.schema import SCHEMA, SCHEMA_VERSION
from intel.errors import IndexError_

META_NAME = "intel-index.json"
INDEX_NAME = "intel"
# Above this many documents a rebuild uses two writer processes (about 2x faster).
PARALLEL_FROM = 20_000


def read_meta(index_dir: str | Path) -> dict[str, Any]:
    """What we wrote about the index (schema version, build id, event count); {} if none."""
    try:
        return json.loads((Path(index_dir) / META_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


def check_index(index_dir: str | Path) -> str | None:
    """Why the index cannot be used as it is ("missing", "stale: ...", "corrupt: ..."), or None."""
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
            reader = searcher.reader()
            for docnum in reader.all_doc_ids():
                reader.stored_fields(docnum)
                column(reader, "key")
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
) -> dict[str, Any]:
    """Add new and changed events/pages in one commit; rebuild instead if the index is unusable.

    Pages without a "text" key are skipped (their text is not known to the caller; see
    `pages_with_text`). Nothing is deleted here: `rebuild_index` drops what left the store.
    """
    started = time.perf_counter()
    events, pages = list(events), list(pages)
    problem = check_index(index_dir)
    if problem:
        summary = rebuild_index(index_dir, events, pages)
        summary["rebuilt"] = problem
        return summary
    ix = whoosh_index.open_dir(str(index_dir), indexname=INDEX_NAME)
    known = _fingerprints(ix)
    docs = [event_to_doc(e) for e in events]
    docs += [page_to_doc(p) for p in pages if p.get("text") is not None]
    changed = [d for d in docs if known.get(d["key"]) != d["fp"]]
    added = sum(1 for d in changed if d["key"] not in known)
    if changed:
        writer = ix.writer(timeout=60.0)
        try:
            for doc in changed:
                if doc["key"] in known:
                    writer.update_document(**doc)
                else:
                    writer.add_document(**doc)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        for doc in changed:
            known[doc["key"]] = doc["fp"]
    meta = read_meta(index_dir)
    _write_meta(Path(index_dir), known, build=meta.get("build"))
    return {
        "added": added,
        "updated": len(changed) - added,
        "unchanged": len(docs) - len(changed),
        "seconds": round(time.perf_counter() - started, 3),
    }


def rebuild_index(
    index_dir: str | Path,
    events: Iterable[dict[str, Any]],
    pages: Iterable[dict[str, Any]] = (),
    *,
    procs: int | None = None,
) -> dict[str, Any]:
    """Build a fresh index from scratch in a temp dir, then swap it in place of `index_dir`."""
    started = time.perf_counter()
    index_dir = Path(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    docs = [event_to_doc(e) for e in events]
    docs += [page_to_doc(p) for p in pages if p.get("text") is not None]
    tmp = index_dir.with_name(f".{index_dir.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        ix = whoosh_index.create_in(str(tmp), SCHEMA, indexname=INDEX_NAME)
        if procs is None:
            procs = 2 if len(docs) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1 else 1
        if procs > 1:
            writer = ix.writer(procs=procs, multisegment=True, limitmb=128)
        else:
            writer = ix.writer(limitmb=128)
        seen: set[str] = set()
        for doc in docs:
            if doc["key"] in seen:  # the same event given twice: keep the first
                continue
            seen.add(doc["key"])
            writer.add_document(**doc)
        writer.commit()
        _write_meta(tmp, {d["key"]: d["fp"] for d in docs}, build=uuid.uuid4().hex)
        _swap(tmp, index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "rebuilt": True,
        "documents": len(seen),
        "events": sum(1 for k in seen if k.startswith("event:")),
        "seconds": round(time.perf_counter() - started, 3),
    }


def pages_with_text(store: Any) -> list[dict[str, Any]]:
    """Each watched page with the main text of its latest good version, read from the store."""
    from intel import extract

    out = []
    for page in store.pages():
        snap = store.last_good_snapshot(page["id"])
        if snap is None:
            continue
        stored = store.extraction(snap.id)
        if stored is None:
            continue
        try:
            text = extract.get(page["kind"]).text(stored[1])
        except Exception:  # an unknown kind or odd data: the page just has no text doc
            continue
        out.append(
            {
                "url": page["url"],
                "competitor": page["competitor"],
                "kind": page["kind"],
                "fetched_at": snap.fetched_at,
                "snapshot_id": snap.id,
                "text": text,
            }
        )
    return out


def index_is_behind(index_dir: str | Path, store: Any) -> bool:
    """True when the store holds events the index does not (by count and newest id)."""
    meta = read_meta(index_dir)
    row = store.conn.execute("SELECT count(*), COALESCE(max(id), 0) FROM events").fetchone()
    return (row[0], row[1]) != (meta.get("events"), meta.get("max_event_id"))


def sync_from_store(index_dir: str | Path, store: Any, *, force: bool = False) -> dict | None:
    """Make the index match the store: rebuild when forced or unusable, update when behind."""
    problem = None if force else check_index(index_dir)
    if force or problem:
        summary = rebuild_index(index_dir, store.events(), pages_with_text(store))
        summary["reason"] = "asked" if force else problem
        return summary
    if index_is_behind(index_dir, store):
        return update_index(index_dir, store.events(), pages_with_text(store))
    return None


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


def _write_meta(index_dir: Path, known: dict[str, str], build: str | None) -> None:
    event_ids = [k[6:] for k in known if k.startswith("event:")]
    numeric = [int(i) for i in event_ids if i.isdigit()]
    meta = {
        "schema": SCHEMA_VERSION,
        "build": build or uuid.uuid4().hex,
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": len(event_ids),
        "max_event_id": max(numeric) if numeric else 0,
        "pages": sum(1 for k in known if k.startswith("page:")),
    }
    tmp = index_dir / (META_NAME + ".tmp")
    tmp.write_text(json.dumps(meta, indent=1), "utf-8")
    os.replace(tmp, index_dir / META_NAME)


def _swap(new: Path, target: Path) -> None:
    """Put `new` where `target` is; the old index (or whatever junk was there) is removed."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.rename(target, old)
    os.rename(new, target)
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink(missing_ok=True)
