"""The intel index: documents, incremental updates without doubles, rebuilds that heal."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from index.docs import MARK_START, event_to_doc, page_to_doc
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
    doc = page_to_doc({"url": "https://x.example/", "competitor": "X", "text": f"a{MARK_START}b"})
    assert MARK_START not in doc["text"] and doc["doctype"] == "page"


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


@pytest.mark.parametrize("damage", ["missing", "garbage_segments", "stale_schema", "not_a_dir"])
def test_a_broken_index_is_detected_and_rebuilt_by_the_next_update(index_dir, events, damage):
    rebuild_index(index_dir, events[:3])
    forget(index_dir)
    if damage == "missing":
        for p in index_dir.iterdir():
            p.unlink()
    elif damage == "garbage_segments":
        for p in index_dir.glob("*.seg"):
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
    summary = update_index(index_dir, events)
    assert summary["rebuilt"] and summary["events"] == 8
    assert check_index(index_dir) is None
    assert len(keys(index_dir)) == 8
