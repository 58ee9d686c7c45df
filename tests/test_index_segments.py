"""The index across nightly segments: facets and updates stay right whatever each night added."""

from __future__ import annotations

from index.search import SearchRequest, search
from index.writer import update_index


def event(i: int, type_: str, signal: str) -> dict:
    return {
        "id": i,
        "type": type_,
        "signal": signal,
        "competitor": "Acme",
        "url": "https://acme.example/p",
        "kind": "pricing",
        "found_at": f"2026-11-{10 + i:02d}T02:00:00+00:00",
        "importance": 0.5,
        "tags": ["pricing"],
        "why": f"move {i}",
        "plan": "Team",
        "evidence": {},
    }


def page(n: int) -> dict:
    return {
        "url": f"https://acme.example/{n}",
        "competitor": "Acme",
        "kind": "page",
        "fetched_at": "2026-11-10T02:00:00+00:00",
        "snapshot_id": n,
        "text": f"page {n} text",
    }


def test_facets_are_right_when_the_first_night_indexed_only_pages(tmp_path):
    ix = tmp_path / "index"
    update_index(ix, [], [page(1), page(2), page(3)])  # night 1: the baseline, no events
    update_index(ix, [event(1, "price_change", "threat")], [])
    update_index(
        ix, [event(2, "plan_added", "threat"), event(3, "price_change", "opportunity")], []
    )
    result = search(ix, SearchRequest())
    assert result.facets["type"] == {"price_change": 2, "plan_added": 1}
    assert result.facets["signal"] == {"threat": 2, "opportunity": 1}
    assert result.total == 3


def test_an_empty_index_takes_updates(tmp_path):
    ix = tmp_path / "index"
    update_index(ix, [], [])  # a first night where nothing could be fetched
    summary = update_index(ix, [event(1, "price_change", "threat")], [])
    assert summary["added"] == 1
