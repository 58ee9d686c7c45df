"""A page fetched unchanged night after night costs a row, not another copy of its body.

Most pricing pages send no ETag or Last-Modified, so every night brings the same bytes
again. Processing finds them equal (same SHA-256) to the page's last good version and
stores the row without a body; `Store.snapshot_body` still gives the bytes, and the next
real change is still diffed against the right version.
"""

from __future__ import annotations

import sqlite3

from benchmarks import world
from intel import store as store_mod
from intel.process import process_pending
from intel.store import Store
from intel.watchlist import parse_watchlist

URL = "http://127.0.0.1:1/acme/pricing"
WL = parse_watchlist(
    f"""
crawl: {{allow_private_networks: true}}
competitors:
  - name: Acme
    pages:
      - {{url: {URL}, kind: pricing}}
"""
)
NIGHT0 = world.page(3, "pricing", 0).encode()
NIGHT1 = world.page(3, "pricing", 1).encode()  # a price moved


def _fetch(st: Store, page_id: int, body: bytes, day: int) -> int:
    return st.add_snapshot(
        st.start_run(),
        page_id,
        url=URL,
        status=200,
        headers={"Content-Type": "text/html; charset=utf-8"},
        body=body,
        fetched_at=f"2026-12-0{day}T02:00:00+00:00",
    )


def _stored_body_bytes(st: Store, snapshot_id: int) -> int | None:
    return st.conn.execute(
        "SELECT length(body) FROM snapshots WHERE id = ?", (snapshot_id,)
    ).fetchone()[0]


def test_an_unchanged_night_keeps_no_second_copy_and_the_next_change_is_still_found(tmp_path):
    with Store.open(tmp_path) as st:
        page_id = st.sync_watchlist(WL)[URL]
        first = _fetch(st, page_id, NIGHT0, 1)
        process_pending(st, WL)
        same = _fetch(st, page_id, NIGHT0, 2)
        result = process_pending(st, WL)
        assert result.unchanged == 1 and not result.events

        assert _stored_body_bytes(st, first) > 0
        assert _stored_body_bytes(st, same) is None  # no second copy
        assert st.snapshot(same).outcome == "unchanged"
        assert st.snapshot_body(same) == NIGHT0  # the bytes are still there to read

        moved = _fetch(st, page_id, NIGHT1, 3)
        result = process_pending(st, WL)
        assert result.changed == 1
        events = st.events()
        assert events and {e["type"] for e in events} == {"price_change"}
        assert {e["prev_snapshot_id"] for e in events} == {first}
        assert _stored_body_bytes(st, moved) > 0  # a changed page keeps its body


def test_a_store_of_version_4_gives_up_its_copies_of_unchanged_bodies(tmp_path):
    with Store.open(tmp_path) as st:
        page_id = st.sync_watchlist(WL)[URL]
        first = _fetch(st, page_id, NIGHT0, 1)
        same = _fetch(st, page_id, NIGHT0, 2)
        st.save_processed(st.snapshot(first), outcome="baseline")
        st.save_processed(st.snapshot(same), outcome="unchanged")  # as version 4 stored it
        assert _stored_body_bytes(st, same) > 0
    conn = sqlite3.connect(tmp_path / store_mod.DB_NAME)
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    with Store.open(tmp_path) as st:
        assert st.schema_version == store_mod.SCHEMA_VERSION
        assert _stored_body_bytes(st, same) is None
        assert _stored_body_bytes(st, first) > 0
        assert st.snapshot_body(same) == st.snapshot_body(first) == NIGHT0
