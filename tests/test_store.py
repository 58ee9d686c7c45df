"""The store keeps every fetch and event, atomically, and opens data dirs of older versions."""

from __future__ import annotations

import sqlite3

import pytest

from intel import store as store_mod
from intel.errors import StoreError
from intel.store import Store
from intel.watchlist import parse_watchlist

WL = parse_watchlist(
    """
crawl: {allow_private_networks: true}
competitors:
  - name: Acme
    pages:
      - {url: http://127.0.0.1:1/pricing, kind: pricing}
"""
)


def test_wal_mode_and_roundtrip_of_a_snapshot(tmp_path):
    with Store.open(tmp_path) as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ids = st.sync_watchlist(WL)
        pid = ids["http://127.0.0.1:1/pricing"]
        run = st.start_run()
        body = b"<html>" + b"x" * 5000 + b"</html>"
        sid = st.add_snapshot(
            run,
            pid,
            url="http://127.0.0.1:1/pricing",
            status=200,
            headers={"ETag": '"v1"'},
            body=body,
            fetched_at="2026-11-20T02:00:00+00:00",
        )
        assert st.snapshot_body(sid) == body
        raw = st.conn.execute("SELECT length(body) FROM snapshots WHERE id=?", (sid,)).fetchone()[0]
        assert raw < len(body) / 10  # stored compressed
        assert st.last_sources()["http://127.0.0.1:1/pricing"] == (
            "http://127.0.0.1:1/pricing",
            "",
            {"etag": '"v1"'},
        )
        failed = st.add_snapshot(
            run,
            pid,
            url="http://127.0.0.1:1/pricing",
            status=None,
            body=None,
            fetched_at="2026-11-21T02:00:00+00:00",
            error="ConnectionRefusedError",
        )
        st.add_snapshot(
            run,
            pid,
            url="http://127.0.0.1:1/pricing",
            status=304,
            body=None,
            not_modified=True,
            fetched_at="2026-11-22T02:00:00+00:00",
        )
        assert st.last_good_snapshot(pid).id == sid
        assert st.latest_good()[pid].id == sid  # neither the failure nor the 304 is a version
        assert st.snapshot(failed).good is False
        assert [s.id for s in st.pending_snapshots()][:2] == [sid, failed]


def test_events_are_stored_once_even_when_processing_is_redone(tmp_path):
    with Store.open(tmp_path) as st:
        pid = st.sync_watchlist(WL)["http://127.0.0.1:1/pricing"]
        sid = st.add_snapshot(None, pid, url="u", status=200, body=b"a", fetched_at="2026-11-20")
        snap = st.snapshot(sid)
        ev = {
            "type": "plan_added",
            "plan": "Team",
            "key": "k1",
            "signal": "threat",
            "tags": ["pricing"],
        }
        assert st.save_processed(snap, outcome="changed", events=[ev]) == 1
        assert st.save_processed(snap, outcome="changed", events=[ev]) == 0
        events = st.events()
        assert len(events) == 1
        assert events[0]["competitor"] == "Acme" and events[0]["plan"] == "Team"
        assert events[0]["tags"] == ["pricing"]


def test_a_data_dir_of_an_older_version_is_migrated(tmp_path):
    # Write a store as version 1 of the schema would have, with data in it.
    db = tmp_path / store_mod.DB_NAME
    conn = sqlite3.connect(db)
    conn.executescript(
        "\n".join(s + ";" for s in store_mod._statements(store_mod.MIGRATIONS[0]))
        + "PRAGMA user_version = 1;"
        "INSERT INTO competitors (name) VALUES ('Old');"
        "INSERT INTO pages (competitor_id, url, kind) VALUES (1, 'http://x/p', 'page');"
    )
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as st:
        assert st.schema_version == store_mod.SCHEMA_VERSION
        assert [p["competitor"] for p in st.pages()] == ["Old"]
        st.set_kv("index", "1")  # a table that only the newer schema has
        assert st.get_kv("index") == "1"


def test_a_store_from_a_newer_version_is_refused(tmp_path):
    Store.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / store_mod.DB_NAME)
    conn.execute(f"PRAGMA user_version = {store_mod.SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        Store.open(tmp_path)


def test_a_garbage_file_is_a_clear_error(tmp_path):
    (tmp_path / store_mod.DB_NAME).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable store"):
        Store.open(tmp_path)
