"""The store: one SQLite file (WAL) in the data dir, the source of truth of the product.

Everything else (the Whoosh index, briefings, exports) is derived from it. Each write
that belongs together happens in one transaction, so a run killed at any point leaves
either the whole snapshot/extraction/events of a page or none of it, and the next run
picks up what is still pending. The schema is versioned (`PRAGMA user_version`) and
migrated forward on open, so a data dir written by an older version opens in a newer one.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intel.errors import StoreError

DB_NAME = "intel.sqlite3"

# Each entry moves the schema from version i to i+1. Never edit a released entry: append.
MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',  -- running | ok | partial | failed
        summary TEXT                             -- JSON: pages ok/failed/unchanged, events by type
    );
    CREATE TABLE competitors (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        weight REAL NOT NULL DEFAULT 1.0
    );
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY,
        competitor_id INTEGER NOT NULL REFERENCES competitors(id),
        url TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        render TEXT NOT NULL DEFAULT 'static',
        active INTEGER NOT NULL DEFAULT 1,
        state TEXT                               -- JSON learned about the page (volatile regions)
    );
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        page_id INTEGER NOT NULL REFERENCES pages(id),
        url TEXT NOT NULL,
        final_url TEXT,
        status INTEGER,                          -- HTTP status; NULL when no response at all
        headers TEXT,                            -- JSON
        body BLOB,                               -- zlib-compressed raw bytes; NULL for failures
        size INTEGER,
        content_hash TEXT,                       -- sha256 of the raw bytes
        fetched_at TEXT NOT NULL,
        error TEXT,                              -- why the fetch failed; NULL when it did not
        outcome TEXT NOT NULL DEFAULT 'pending'  -- pending | changed | unchanged | baseline | failed
    );
    CREATE INDEX snapshots_page ON snapshots(page_id, id);
    CREATE INDEX snapshots_pending ON snapshots(outcome) WHERE outcome = 'pending';
    CREATE TABLE extractions (
        snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots(id),
        kind TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL                       -- JSON, what the extractor read
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        page_id INTEGER NOT NULL REFERENCES pages(id),
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
        prev_snapshot_id INTEGER REFERENCES snapshots(id),
        key TEXT NOT NULL,                       -- Change.key(): the same move is stored once
        type TEXT NOT NULL,
        found_at TEXT NOT NULL,
        signal TEXT,
        importance REAL,
        tags TEXT,                               -- JSON list
        why TEXT,
        data TEXT NOT NULL,                      -- JSON: the full event
        UNIQUE (snapshot_id, key)
    );
    CREATE INDEX events_found ON events(found_at);
    CREATE INDEX events_type ON events(type);
    """,
    # 2: index state and outbox bookkeeping used by later stages
    """
    CREATE TABLE kv (
        key TEXT PRIMARY KEY,
        value TEXT
    );
    ALTER TABLE snapshots ADD COLUMN not_modified INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: instant alerts, one row per (event, target), so a failed alert is retried, never doubled
    """
    CREATE TABLE alerts (
        event_id INTEGER NOT NULL REFERENCES events(id),
        target TEXT NOT NULL,                    -- sha1 of the apprise URL (it may hold secrets)
        status TEXT NOT NULL,                    -- sent | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        sent_at TEXT,
        PRIMARY KEY (event_id, target)
    );
    """,
    # 4: probe fetches (a second fetch of a new page, moments after the first)
    """
    ALTER TABLE snapshots ADD COLUMN probe INTEGER NOT NULL DEFAULT 0;
    """,
    # 5: an unchanged 200 keeps no copy of its bytes: they are those of the page's last
    #    good version, same SHA-256 (`Store.snapshot_body` finds them there)
    """
    UPDATE snapshots SET body = NULL
    WHERE outcome = 'unchanged' AND body IS NOT NULL AND content_hash IS NOT NULL;
    """,
    # 6: each page's good versions apart from its 304s and failures, which pile up night
    #    after night: "the latest good version of every page" is read from this alone
    #    (`Store.latest_good`). Its WHERE is `_GOOD`, word for word.
    """
    CREATE INDEX IF NOT EXISTS snapshots_good ON snapshots(page_id, id) WHERE error IS NULL
    AND status BETWEEN 200 AND 299 AND size > 0 AND not_modified = 0
    AND outcome NOT IN ('failed', 'unchanged');
    """,
]
# A usable version of a page (`Snapshot.good`, and not found unchanged or failed later).
_GOOD = (
    "error IS NULL AND status BETWEEN 200 AND 299 AND size > 0 AND not_modified = 0 "
    "AND outcome NOT IN ('failed', 'unchanged')"
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Snapshot:
    """One fetch of one page (a row of `snapshots` with its page's facts)."""

    id: int
    run_id: int | None
    page_id: int
    url: str
    final_url: str | None
    status: int | None
    headers: dict[str, str]
    size: int | None
    content_hash: str | None
    fetched_at: str
    error: str | None
    outcome: str
    not_modified: bool
    kind: str
    competitor: str
    render: str
    probe: bool = False

    @property
    def good(self) -> bool:
        """A usable version of the page: a 2xx with a body and no error."""
        return (
            self.error is None
            and self.status is not None
            and 200 <= self.status < 300
            and bool(self.size)
            and not self.not_modified
        )


_SNAPSHOT_COLS = (
    "s.id, s.run_id, s.page_id, s.url, s.final_url, s.status, s.headers, s.size, "
    "s.content_hash, s.fetched_at, s.error, s.outcome, s.not_modified, p.kind, c.name, p.render, "
    "s.probe"
)


def _snapshot(row: sqlite3.Row | tuple) -> Snapshot:
    r = tuple(row)
    return Snapshot(
        id=r[0],
        run_id=r[1],
        page_id=r[2],
        url=r[3],
        final_url=r[4],
        status=r[5],
        headers=json.loads(r[6]) if r[6] else {},
        size=r[7],
        content_hash=r[8],
        fetched_at=r[9],
        error=r[10],
        outcome=r[11],
        not_modified=bool(r[12]),
        kind=r[13],
        competitor=r[14],
        render=r[15],
        probe=bool(r[16]),
    )


class Store:
    """The SQLite store of one data dir."""

    def __init__(self, conn: sqlite3.Connection, data_dir: Path) -> None:
        self.conn = conn
        self.data_dir = data_dir

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, data_dir: str | Path) -> Store:
        """Open (creating and migrating as needed) the store of `data_dir`."""
        data_dir = Path(data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(data_dir / DB_NAME, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the data dir {data_dir}: {exc}") from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            store = cls(conn, data_dir)
            store._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"{data_dir / DB_NAME} is not a usable store: {exc}") from None
        return store

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.data_dir / DB_NAME} was written by a newer version (schema {current}, "
                f"this one knows {SCHEMA_VERSION}); upgrade intel-crawler"
            )
        for version in range(current, SCHEMA_VERSION):
            with self.transaction():
                for statement in _statements(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work: all of it is stored, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- runs ----------------------------------------------------------------------------

    def start_run(self, started_at: str | None = None) -> int:
        """A new run; a run still 'running' is marked 'interrupted' (see below).

        Runs start under the run lock (`intel.lock`), which dies with its holder: a run
        still 'running' when the next one starts was killed, and would otherwise show as
        running in `intel runs` forever. Its snapshots are processed by the new run.
        """
        with self.transaction() as c:
            c.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
            cur = c.execute("INSERT INTO runs (started_at) VALUES (?)", (started_at or now_iso(),))
            return int(cur.lastrowid)

    def finish_run(self, run_id: int, summary: dict[str, Any], status: str = "ok") -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                (now_iso(), status, json.dumps(summary, default=str), run_id),
            )

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, started_at, finished_at, status, summary FROM runs ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {
                "id": r[0],
                "started_at": r[1],
                "finished_at": r[2],
                "status": r[3],
                "summary": json.loads(r[4]) if r[4] else None,
            }
            for r in rows
        ]

    # -- watchlist -----------------------------------------------------------------------

    def sync_watchlist(self, watchlist: Any) -> dict[str, int]:
        """Upsert competitors and pages; pages no longer listed are kept but marked inactive.

        Read first: on most nights the store already matches the watchlist (and `intel
        run` syncs before the crawl, whose store pipeline syncs again for `scrapy crawl`),
        and then nothing is written.
        """
        wanted = {
            (comp.name, comp.weight, page.url, page.kind, page.render)
            for comp in watchlist.competitors
            for page in comp.pages
        }
        rows = self.conn.execute(
            "SELECT c.name, c.weight, p.url, p.kind, p.render, p.id FROM pages p "
            "JOIN competitors c ON c.id = p.competitor_id WHERE p.active = 1"
        ).fetchall()
        if {tuple(r[:5]) for r in rows} == wanted and len(rows) == len(wanted):
            return {r[2]: r[5] for r in rows}
        ids: dict[str, int] = {}
        with self.transaction() as c:
            c.execute("UPDATE pages SET active = 0")
            for comp in watchlist.competitors:
                c.execute(
                    "INSERT INTO competitors (name, weight) VALUES (?, ?) "
                    "ON CONFLICT(name) DO UPDATE SET weight = excluded.weight",
                    (comp.name, comp.weight),
                )
                cid = c.execute(
                    "SELECT id FROM competitors WHERE name = ?", (comp.name,)
                ).fetchone()[0]
                for page in comp.pages:
                    c.execute(
                        "INSERT INTO pages (competitor_id, url, kind, render, active) "
                        "VALUES (?, ?, ?, ?, 1) ON CONFLICT(url) DO UPDATE SET "
                        "competitor_id = excluded.competitor_id, kind = excluded.kind, "
                        "render = excluded.render, active = 1",
                        (cid, page.url, page.kind, page.render),
                    )
                    ids[page.url] = c.execute(
                        "SELECT id FROM pages WHERE url = ?", (page.url,)
                    ).fetchone()[0]
        return ids

    def page_id(self, url: str) -> int | None:
        row = self.conn.execute("SELECT id FROM pages WHERE url = ?", (url,)).fetchone()
        return row[0] if row else None

    def pages(self, active_only: bool = True) -> list[dict[str, Any]]:
        sql = (
            "SELECT p.id, c.name, p.url, p.kind, p.render, p.active, c.weight FROM pages p "
            "JOIN competitors c ON c.id = p.competitor_id"
        )
        if active_only:
            sql += " WHERE p.active = 1"
        rows = self.conn.execute(sql + " ORDER BY c.name, p.url").fetchall()
        return [
            {
                "id": r[0],
                "competitor": r[1],
                "url": r[2],
                "kind": r[3],
                "render": r[4],
                "active": bool(r[5]),
                "weight": r[6],
            }
            for r in rows
        ]

    def page_state(self, page_id: int) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT state FROM pages WHERE id = ?", (page_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    # -- snapshots -----------------------------------------------------------------------

    def add_snapshot(self, run_id: int | None, page_id: int, **fields: Any) -> int:
        """Record one fetch (its fields: `_snapshot_row`). A failed fetch has no body and
        says why in `error`."""
        with self.transaction() as c:
            return int(
                c.execute(_INSERT_SNAPSHOT, _snapshot_row(run_id, page_id, **fields)).lastrowid
            )

    def add_snapshots(self, run_id: int | None, fetches: list[tuple[int, dict[str, Any]]]) -> None:
        """Record many fetches, (page_id, fields of `add_snapshot`) each, in one transaction:
        the revalidation pass stores a night of 304s at once (a kill keeps all or none)."""
        with self.transaction() as c:
            c.executemany(
                _INSERT_SNAPSHOT, [_snapshot_row(run_id, pid, **fields) for pid, fields in fetches]
            )

    def snapshot(self, snapshot_id: int) -> Snapshot | None:
        row = self.conn.execute(
            f"SELECT {_SNAPSHOT_COLS} FROM snapshots s JOIN pages p ON p.id = s.page_id "
            "JOIN competitors c ON c.id = p.competitor_id WHERE s.id = ?",
            (snapshot_id,),
        ).fetchone()
        return _snapshot(row) if row else None

    def snapshot_body(self, snapshot_id: int) -> bytes | None:
        """The bytes fetched (None for a failure or a 304).

        A fetch found unchanged keeps no copy of its own (`save_processed(drop_body=True)`):
        its bytes are those of the page's earlier fetch with the same SHA-256.
        """
        row = self.conn.execute(
            "SELECT body, page_id, content_hash FROM snapshots WHERE id = ?", (snapshot_id,)
        ).fetchone()
        if row is None:
            return None
        body, page_id, digest = row
        if body is None and digest is not None:
            same = self.conn.execute(
                "SELECT body FROM snapshots WHERE page_id = ? AND content_hash = ? "
                "AND body IS NOT NULL AND id < ? ORDER BY id DESC LIMIT 1",
                (page_id, digest, snapshot_id),
            ).fetchone()
            body = same[0] if same else None
        return zlib.decompress(body) if body is not None else None

    def pending_snapshots(self) -> list[Snapshot]:
        """Snapshots not yet processed, oldest first (a killed run leaves them here)."""
        rows = self.conn.execute(
            f"SELECT {_SNAPSHOT_COLS} FROM snapshots s JOIN pages p ON p.id = s.page_id "
            "JOIN competitors c ON c.id = p.competitor_id WHERE s.outcome = 'pending' ORDER BY s.id"
        ).fetchall()
        return [_snapshot(r) for r in rows]

    def last_good_snapshot(self, page_id: int, before: int | None = None) -> Snapshot | None:
        """The latest usable version of a page before snapshot `before` (all if None)."""
        sql = f"SELECT id FROM snapshots WHERE page_id = ? AND {_GOOD}"
        args: list[Any] = [page_id]
        if before is not None:
            sql += " AND id < ?"
            args.append(before)
        row = self.conn.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return self.snapshot(row[0]) if row else None

    def latest_good(self) -> dict[int, Snapshot]:
        """page id -> its latest good version (`last_good_snapshot`), every page at once:
        one query over the `snapshots_good` index, however many 304s the pages have."""
        rows = self.conn.execute(
            f"SELECT {_SNAPSHOT_COLS} FROM snapshots s JOIN pages p ON p.id = s.page_id "
            "JOIN competitors c ON c.id = p.competitor_id WHERE s.id IN "
            f"(SELECT max(id) FROM snapshots WHERE {_GOOD} GROUP BY page_id)"
        ).fetchall()
        return {snap.page_id: snap for snap in map(_snapshot, rows)}

    def last_sources(self) -> dict[str, tuple[str, str, dict[str, str]]]:
        """Where the last good version of each page was read from, by watched URL: (that
        URL, its Content-Type, its ETag / Last-Modified). Pages never fetched are absent.

        Not always the watched URL itself: a redirect's target, or the feed a changelog
        page advertises. Validators belong to the URL that sent them.
        """
        out = {}
        for snap in self.latest_good().values():
            headers = {k.lower(): v for k, v in snap.headers.items()}
            source = snap.final_url or snap.url
            out[snap.url] = (source, headers.get("content-type", ""), _validators(headers))
        return out

    def revalidation_candidates(self) -> dict[str, tuple[int, str | None, dict[str, str]]]:
        """Static pages a conditional GET alone may settle: URL -> (page id, the URL their
        last good version came from, its ETag / Last-Modified).

        The caller checks that URL is the watched one (not a redirect target, not the feed
        a changelog advertises). A page qualifies when that version had validators and
        its latest fetch was a 304 (the server honours them) or its first good version (no
        evidence yet either way: tried once). A page whose latest fetch was a 200 to our
        validators (it moved, or its server answers every request anew), failed or is not
        yet processed goes straight to the crawl, so asking first cannot double its
        requests night after night; a 304 there makes it a candidate again.
        """
        rows = self.conn.execute(
            "SELECT p.id, p.url FROM pages p JOIN snapshots s ON s.id = "
            "(SELECT MAX(id) FROM snapshots WHERE page_id = p.id AND probe = 0) "
            "WHERE p.active = 1 AND p.render = 'static' AND s.error IS NULL AND "
            "(s.not_modified = 1 OR (s.status BETWEEN 200 AND 299 AND s.outcome = 'baseline'))"
        ).fetchall()
        out: dict[str, tuple[int, str | None, dict[str, str]]] = {}
        latest = self.latest_good()
        for page_id, url in rows:
            snap = latest.get(page_id)
            validators = _validators(snap.headers) if snap is not None else None
            if validators:
                out[url] = (page_id, snap.final_url, validators)
        return out

    def recent_failures(self, page_id: int, limit: int = 30) -> int:
        """How many of the latest fetches of a page failed in a row."""
        rows = self.conn.execute(
            "SELECT error IS NOT NULL OR status IS NULL OR status >= 400 OR outcome = 'failed' "
            "FROM snapshots WHERE page_id = ? ORDER BY id DESC LIMIT ?",
            (page_id, limit),
        ).fetchall()
        n = 0
        for (failed,) in rows:
            if not failed:
                break
            n += 1
        return n

    def coverage(self, failing_nights: int = 3) -> dict[str, Any]:
        """How well the watchlist is covered: pages watched, and those whose last fetch failed."""
        pages = self.pages()
        failed = []
        for page in pages:
            row = self.conn.execute(
                "SELECT status, error, fetched_at FROM snapshots WHERE page_id = ? "
                "ORDER BY id DESC LIMIT 1",
                (page["id"],),
            ).fetchone()
            if row is None:
                continue
            status, error, fetched_at = row
            if error is not None or status is None or status >= 400:
                streak = self.recent_failures(page["id"])
                failed.append(
                    {
                        "competitor": page["competitor"],
                        "url": page["url"],
                        "error": error or f"HTTP {status}",
                        "fetched_at": fetched_at,
                        "nights": streak,
                        "flagged": streak >= failing_nights,
                    }
                )
        return {"watched": len(pages), "failed": failed}

    # -- processing ----------------------------------------------------------------------

    def extraction(self, snapshot_id: int) -> tuple[int, dict[str, Any]] | None:
        """(extractor version, data) stored for a snapshot, if any."""
        row = self.conn.execute(
            "SELECT version, data FROM extractions WHERE snapshot_id = ?", (snapshot_id,)
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def set_outcomes(self, snapshot_ids: list[int], outcome: str) -> None:
        """Mark snapshots processed with nothing else to store (a night of 304s), at once."""
        if not snapshot_ids:
            return
        with self.transaction() as c:
            c.executemany(
                "UPDATE snapshots SET outcome = ? WHERE id = ?",
                [(outcome, i) for i in snapshot_ids],
            )

    def save_processed(
        self,
        snap: Snapshot,
        *,
        outcome: str,
        extraction: tuple[str, int, dict[str, Any]] | None = None,
        prev_snapshot_id: int | None = None,
        events: Iterable[dict[str, Any]] = (),
        state: dict[str, Any] | None = None,
        found_at: str | None = None,
        drop_body: bool = False,
    ) -> int:
        """Store what processing one snapshot produced, atomically; returns new events stored.

        `drop_body`: the fetch is byte for byte an earlier one of the page (same SHA-256),
        whose copy is kept: a page that never changes costs a row a night, not a body.
        """
        found_at = found_at or now_iso()
        added = 0
        with self.transaction() as c:
            if extraction is not None:
                kind, version, data = extraction
                c.execute(
                    "INSERT OR REPLACE INTO extractions (snapshot_id, kind, version, data) "
                    "VALUES (?, ?, ?, ?)",
                    (snap.id, kind, version, json.dumps(data, ensure_ascii=False, default=str)),
                )
            for ev in events:
                cur = c.execute(
                    "INSERT OR IGNORE INTO events (page_id, snapshot_id, prev_snapshot_id, key, type, "
                    "found_at, signal, importance, tags, why, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        snap.page_id,
                        snap.id,
                        prev_snapshot_id,
                        ev["key"],
                        ev["type"],
                        found_at,
                        ev.get("signal"),
                        ev.get("importance"),
                        json.dumps(ev.get("tags") or []),
                        ev.get("why"),
                        json.dumps(ev, ensure_ascii=False, default=str),
                    ),
                )
                added += cur.rowcount
            if state is not None:
                c.execute(
                    "UPDATE pages SET state = ? WHERE id = ?", (json.dumps(state), snap.page_id)
                )
            if drop_body:
                c.execute(
                    "UPDATE snapshots SET outcome = ?, body = NULL WHERE id = ?", (outcome, snap.id)
                )
            else:
                c.execute("UPDATE snapshots SET outcome = ? WHERE id = ?", (outcome, snap.id))
        return added

    # -- events --------------------------------------------------------------------------

    def events(
        self,
        since: str | None = None,
        until: str | None = None,
        competitor: str | None = None,
        type: str | None = None,  # noqa: A002 - mirrors the CLI option
        signal: str | None = None,
        min_importance: float | None = None,
        run_id: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Stored events, newest first, each the full event dict plus where it came from."""
        sql = (
            "SELECT e.id, e.data, e.found_at, e.signal, e.importance, e.tags, e.why, "
            "e.snapshot_id, e.prev_snapshot_id, p.url, p.kind, c.name, s.run_id "
            "FROM events e JOIN pages p ON p.id = e.page_id "
            "JOIN competitors c ON c.id = p.competitor_id JOIN snapshots s ON s.id = e.snapshot_id "
            "WHERE 1=1"
        )
        args: list[Any] = []
        if since:
            sql += " AND e.found_at >= ?"
            args.append(since)
        if until:
            sql += " AND e.found_at < ?"
            args.append(until)
        if competitor:
            sql += " AND lower(c.name) = lower(?)"
            args.append(competitor)
        if type:
            sql += " AND e.type = ?"
            args.append(type)
        if signal:
            sql += " AND e.signal = ?"
            args.append(signal)
        if min_importance is not None:
            sql += " AND COALESCE(e.importance, 0) >= ?"
            args.append(min_importance)
        if run_id is not None:
            sql += " AND s.run_id = ?"
            args.append(run_id)
        sql += " ORDER BY e.found_at DESC, e.id DESC"
        if limit:
            sql += " LIMIT ?"
            args.append(limit)
        out = []
        for r in self.conn.execute(sql, args).fetchall():
            ev = json.loads(r[1])
            ev.update(
                id=r[0],
                found_at=r[2],
                signal=r[3],
                importance=r[4],
                tags=json.loads(r[5]) if r[5] else [],
                why=r[6],
                snapshot_id=r[7],
                prev_snapshot_id=r[8],
                url=r[9],
                kind=r[10],
                competitor=r[11],
                run_id=r[12],
            )
            out.append(ev)
        return out

    def update_event_classification(
        self,
        event_id: int,
        *,
        signal: str | None,
        tags: list[str],
        importance: float,
        why: str,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Replace an event's judgement (used by `intel reclassify`); its facts never change."""
        row = self.conn.execute("SELECT data FROM events WHERE id = ?", (event_id,)).fetchone()
        if not row:
            return
        data = json.loads(row[0])
        data.update(signal=signal, tags=tags, importance=importance, why=why, **(extra or {}))
        self.conn.execute(
            "UPDATE events SET signal = ?, tags = ?, importance = ?, why = ?, data = ? WHERE id = ?",
            (signal, json.dumps(tags), importance, why, json.dumps(data, default=str), event_id),
        )

    # -- pricing history -----------------------------------------------------------------

    def plan_observations(self, competitor: str | None = None) -> list[dict[str, Any]]:
        """Every good pricing extraction: (competitor, url, fetched_at, plans), oldest first."""
        sql = (
            "SELECT c.name, p.url, s.fetched_at, x.data FROM extractions x "
            "JOIN snapshots s ON s.id = x.snapshot_id JOIN pages p ON p.id = s.page_id "
            "JOIN competitors c ON c.id = p.competitor_id WHERE x.kind = 'pricing'"
        )
        args: list[Any] = []
        if competitor:
            sql += " AND lower(c.name) = lower(?)"
            args.append(competitor)
        out = []
        for name, url, fetched_at, data in self.conn.execute(sql + " ORDER BY s.id", args):
            out.append(
                {
                    "competitor": name,
                    "url": url,
                    "fetched_at": fetched_at,
                    "plans": json.loads(data).get("plans", []),
                }
            )
        return out

    # -- alerts ---------------------------------------------------------------------------

    def alert_status(self, event_id: int, target: str) -> str | None:
        row = self.conn.execute(
            "SELECT status FROM alerts WHERE event_id = ? AND target = ?", (event_id, target)
        ).fetchone()
        return row[0] if row else None

    def record_alert(self, event_id: int, target: str, ok: bool, error: str | None = None) -> None:
        self.conn.execute(
            "INSERT INTO alerts (event_id, target, status, attempts, last_error, sent_at) "
            "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(event_id, target) DO UPDATE SET "
            "status = excluded.status, attempts = alerts.attempts + 1, "
            "last_error = excluded.last_error, sent_at = excluded.sent_at",
            (event_id, target, "sent" if ok else "failed", error, now_iso() if ok else None),
        )

    # -- small key/value state (index watermark, outbox bookkeeping) ----------------------

    def get_kv(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_kv(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


_INSERT_SNAPSHOT = (
    "INSERT INTO snapshots (run_id, page_id, url, final_url, status, headers, body, "
    "size, content_hash, fetched_at, error, not_modified, probe) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


# zlib level of stored bodies: 3, not 6. The crawl's process packs every body it stores;
# on real pages (~200 KB of HTML) level 6 took 5.5 ms a body for 21% of its size, level 3
# 2.3 ms for 23%. Any level reads back the same.
_BODY_LEVEL = 3


def _snapshot_row(
    run_id: int | None,
    page_id: int,
    *,
    url: str,
    final_url: str | None = None,
    status: int | None,
    headers: dict[str, str] | None = None,
    body: bytes | None,
    fetched_at: str,
    error: str | None = None,
    not_modified: bool = False,
    probe: bool = False,
) -> tuple:
    """The values of one snapshots row: the body zlib-packed, its size and SHA-256."""
    return (
        run_id,
        page_id,
        url,
        final_url,
        status,
        json.dumps(headers or {}),
        zlib.compress(body, _BODY_LEVEL) if body is not None else None,
        len(body) if body is not None else None,
        hashlib.sha256(body).hexdigest() if body is not None else None,
        fetched_at,
        error,
        int(not_modified),
        int(probe),
    )


def _validators(headers: dict[str, str]) -> dict[str, str]:
    """The ETag / Last-Modified a response carried (header names in any case)."""
    h = {k.lower(): v for k, v in headers.items()}
    return {k: h[k] for k in ("etag", "last-modified") if h.get(k)}


def _statements(script: str) -> list[str]:
    """Split a migration into statements: comments dropped first (they may hold `;`)."""
    text = "\n".join(ln.split("--", 1)[0] for ln in script.splitlines())
    return [stmt.strip() for stmt in text.split(";") if stmt.strip()]


def now_iso() -> str:
    """Now, as every time column of the store holds it (UTC, to the second)."""
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")
