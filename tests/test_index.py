"""The intel index: documents, incremental updates without doubles, rebuilds that heal."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from index.docs import MARK_START, event_to_doc
from index.pages import page_row
from index.search import SearchRequest, forget, search
from index.writer import check_index, read_meta, rebuild_index, update_index

EVENTS = json.loads((Path(__file__).parent / "data" / "index" / "events.json").read_text("utf-8"))


@pytest.fixture
def events() -> list[dict]:
    return copy.deepcopy(EVENTS)


@pytest.fixture
def index_dir(tmp_path: Path):
    path = tmp_path / "data" / "index"
    yield path
    forget(path)


def keys(index_dir: Path, **kw) -> list[str]:
    return sorted(h.key for h in search(index_dir, SearchRequest(limit=100, **kw)).hits)


def test_event_to_doc_is_pure_and_complete(events):
    doc = event_to_doc(events[1])
    assert doc == event_to_doc(copy.deepcopy(events[1]))  # same event, same document
    assert doc["key"] == "event:2" and doc["event_id"] == 2
    assert doc["company"] == "Acme Cloud" and doc["type"] == "price_change"
    assert doc["direction"] == "down" and doc["old_price"] == 25.0 and doc["new_price"] == 19.0
    assert "Team $25 per user" in doc["text"]  # evidence is searchable
    assert doc["data"]["evidence"]["after"].startswith("Team $19")
    assert doc["date"].isoformat() == "2026-10-05T03:00:00"  # naive UTC
    events[1]["importance"] = 0.9
    assert event_to_doc(events[1])["fp"] != doc["fp"]


def test_page_text_cannot_forge_highlight_marks():
    row = page_row({"url": "https://x.example/", "competitor": "X", "text": f"a{MARK_START}b"})
    assert MARK_START not in row["text"] and row["key"] == "page:https://x.example/"


def test_update_adds_only_what_is_new_and_never_doubles(index_dir, events):
    first = update_index(index_dir, events[:5])
    assert first["rebuilt"] == "missing" and first["events"] == 5
    again = update_index(index_dir, events)  # the nightly call: every stored event again
    assert (again["added"], again["updated"], again["unchanged"]) == (3, 0, 5)
    events[2]["tags"] = ["ai", "launch"]  # reclassified
    third = update_index(index_dir, events)
    assert (third["added"], third["updated"], third["unchanged"]) == (0, 1, 7)
    assert keys(index_dir) == sorted(f"event:{i}" for i in range(1, 9))
    assert keys(index_dir, tag="launch") == ["event:3"]
    assert read_meta(index_dir)["events"] == 8 and read_meta(index_dir)["max_event_id"] == 8


def test_pages_are_indexed_only_with_their_text(index_dir, events):
    pages = [
        {"url": "https://acme.example/pricing", "competitor": "Acme Cloud", "kind": "pricing"},
        {
            "url": "https://gamma.example/security",
            "competitor": "Gamma Labs",
            "kind": "page",
            "text": "Encryption at rest with customer-managed keys",
            "fetched_at": "2026-11-02T03:00:00+00:00",
        },
    ]
    update_index(index_dir, events, pages)
    assert keys(index_dir, q="encryption") == []  # events only by default
    assert keys(index_dir, q="encryption", pages=True) == ["page:https://gamma.example/security"]


def test_rebuild_drops_what_left_the_store(index_dir, events):
    rebuild_index(index_dir, events)
    summary = rebuild_index(index_dir, events[:2])
    assert summary["events"] == 2
    assert keys(index_dir) == ["event:1", "event:2"]
    leftovers = [p.name for p in index_dir.parent.iterdir() if p.name != "index"]
    assert leftovers == []  # temp and old dirs are gone after the swap


PAGE = {
    "url": "https://gamma.example/security",
    "competitor": "Gamma Labs",
    "kind": "page",
    "text": "Encryption at rest with customer-managed keys",
}


@pytest.mark.parametrize(
    "damage",
    ["missing", "garbage_segments", "stale_schema", "not_a_dir", "no_page_texts", "garbage_pages"],
)
def test_a_broken_index_is_detected_and_rebuilt_by_the_next_update(index_dir, events, damage):
    rebuild_index(index_dir, events[:3], [PAGE])
    forget(index_dir)
    if damage == "no_page_texts":
        (index_dir / "pages.sqlite3").unlink()
    elif damage == "garbage_pages":
        (index_dir / "pages.sqlite3").write_bytes(b"\x00garbage" * 100)
    elif damage == "missing":
        for p in index_dir.iterdir():
            p.unlink()
    elif damage == "garbage_segments":
        for p in index_dir.glob("intel_*.*"):  # every segment file
            p.write_bytes(b"\x00garbage")
    elif damage == "stale_schema":
        meta = read_meta(index_dir)
        meta["schema"] = 0
        (index_dir / "intel-index.json").write_text(json.dumps(meta))
    else:
        for p in index_dir.iterdir():
            p.unlink()
        index_dir.rmdir()
        index_dir.write_text("not an index")
    assert check_index(index_dir) is not None
    summary = update_index(index_dir, events, [PAGE])
    assert summary["rebuilt"] and summary["events"] == 8
    assert check_index(index_dir) is None
    assert len(keys(index_dir)) == 8
    assert keys(index_dir, q="encryption", pages=True) == ["page:" + PAGE["url"]]


# -- the nightly update from a real store -------------------------------------------------


def make_store(data: Path, events: list[dict]) -> None:
    """A store whose watchlist covers `events`' pages, holding those events (ids 1..n)."""
    from intel.store import Store
    from intel.watchlist import parse_watchlist

    pages = sorted({(e["competitor"], e["url"], e["kind"]) for e in EVENTS})
    yaml_text = "crawl: {allow_private_networks: true}\ncompetitors:\n"
    for name in sorted({p[0] for p in pages}):
        yaml_text += f"  - name: {json.dumps(name)}\n    pages:\n"
        for comp, url, kind in pages:
            if comp == name:
                yaml_text += f"      - {{url: {json.dumps(url)}, kind: {kind}}}\n"
    with Store.open(data) as store:
        store.sync_watchlist(parse_watchlist(yaml_text))
    for ev in events:
        store_event(data, ev)


def store_event(data: Path, ev: dict, page_text: str | None = None) -> None:
    """One night's fetch of the event's page, with the event found in it."""
    from intel.store import Store

    with Store.open(data) as store:
        sid = store.add_snapshot(
            None,
            store.page_id(ev["url"]),
            url=ev["url"],
            status=200,
            body=b"<html></html>",
            fetched_at=ev["found_at"],
        )
        stored = {k: v for k, v in ev.items() if k not in ("id", "competitor", "url", "kind")}
        stored["key"] = f"k{ev['id']}"
        extraction = ("page", 1, {"text": page_text}) if page_text is not None else None
        store.save_processed(
            store.snapshot(sid),
            outcome="changed",
            extraction=extraction,
            events=[stored],
            found_at=ev["found_at"],
        )


def sync(data: Path, **kw) -> dict | None:
    from index.writer import sync_from_store
    from intel.store import Store

    with Store.open(data) as store:
        return sync_from_store(data / "index", store, **kw)


@pytest.fixture
def data(tmp_path: Path):
    yield tmp_path / "data"
    forget(tmp_path / "data" / "index")


def test_a_nights_update_indexes_only_the_new_events(data, events):
    make_store(data, events[:5])
    assert sync(data)["reason"] == "missing"  # the first night builds it
    for ev in events[5:]:
        store_event(data, ev)
    summary = sync(data)
    assert (summary["events"], summary["added"], summary["updated"]) == (3, 3, 0)
    assert keys(data / "index") == sorted(f"event:{i}" for i in range(1, 9))
    assert sync(data) is None  # nothing new: nothing read, nothing written
    assert read_meta(data / "index")["max_event_id"] == 8


def test_only_pages_fetched_anew_are_read_again(data, events):
    ev = events[6]  # the security page (kind "page")
    make_store(data, [])
    store_event(data, ev, page_text="Encryption at rest with customer keys")
    sync(data)
    assert keys(data / "index", q="encryption", pages=True)[0].startswith("page:")
    store_event(data, {**ev, "id": 9, "why": "again"}, page_text="Now with Frankfurt hosting")
    summary = sync(data)
    assert summary["pages"] == 1 and summary["events"] == 1
    assert keys(data / "index", q="frankfurt", pages=True) == [
        "event:1",
        "event:2",
        "page:https://gamma.example/security",
    ]
    assert keys(data / "index", q="encryption", pages=True) == []  # the page text was replaced
    store_event(data, {**events[1], "id": 10, "why": "pricing page only"})
    assert sync(data)["pages"] == 0  # the page was not fetched again: not re-read


def test_reclassified_events_reach_the_index_at_the_next_update(data, events):
    from intel.store import Store

    make_store(data, events)
    sync(data)
    with Store.open(data) as store:
        store.update_event_classification(
            3, signal="threat", tags=["ai", "launch"], importance=0.9, why="re-judged"
        )
    summary = sync(data)
    assert summary["updated"] == 1 and summary["added"] == 0
    assert keys(data / "index", tag="launch") == ["event:3"]
    assert sync(data) is None


def test_no_doubles_when_a_run_died_between_index_commit_and_mark(data, events):
    make_store(data, events[:5])
    sync(data)
    meta_before = (data / "index" / "intel-index.json").read_text()
    for ev in events[5:]:
        store_event(data, ev)
    sync(data)
    # As if the run had been killed after the index commit, before the mark was written:
    (data / "index" / "intel-index.json").write_text(meta_before)
    forget(data / "index")
    summary = sync(data)
    assert summary["added"] == 0 and summary["updated"] == 3  # re-sent, replaced in place
    res = search(data / "index", SearchRequest(limit=100))
    assert res.total == 8 and len({h.key for h in res.hits}) == 8


def test_a_run_killed_before_the_index_update_is_caught_up_next_night(data, events):
    make_store(data, events[:4])
    sync(data)
    for ev in events[4:6]:
        store_event(data, ev)  # stored, then killed before the index update
    for ev in events[6:]:
        store_event(data, ev)  # the next night
    assert sync(data)["added"] == 4
    assert keys(data / "index") == sorted(f"event:{i}" for i in range(1, 9))


@pytest.mark.parametrize("damage", ["deleted", "corrupt", "other_store"])
def test_the_nightly_update_rebuilds_a_broken_or_foreign_index(data, events, damage):
    import shutil

    make_store(data, events[:6])
    sync(data)
    forget(data / "index")
    if damage == "deleted":
        shutil.rmtree(data / "index")
    elif damage == "corrupt":
        for seg in (data / "index").glob("intel_*.*"):  # every segment file
            seg.write_bytes(b"\x00garbage")
    else:  # the store was deleted and filled again: same ids, other events
        for p in data.glob("intel.sqlite3*"):
            p.unlink()
        make_store(data, [{**e, "found_at": "2026-11-20T03:00:00+00:00"} for e in events[:6]])
    summary = sync(data)
    assert summary["rebuilt"] and summary["events"] == 6
    assert keys(data / "index") == sorted(f"event:{i}" for i in range(1, 7))
