"""Searching page texts (SQLite FTS5) with the events' query language, merged with events."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from index.docs import MARK_START
from index.search import SearchRequest, forget, search
from index.writer import rebuild_index, update_index

EVENTS = json.loads((Path(__file__).parent / "data" / "index" / "events.json").read_text("utf-8"))

PAGES = [
    {
        "url": "https://gamma.example/security",
        "competitor": "Gamma Labs",
        "kind": "page",
        "title": "Security at Gamma",
        "text": "Encryption at rest with customer-managed keys. Hosting in Frankfurt.",
        "fetched_at": "2026-11-02T03:00:00+00:00",
    },
    {
        "url": "https://acme.example/pricing",
        "competitor": "Acme Cloud",
        "kind": "pricing",
        "title": "Acme pricing",
        "text": "Team $25 per user per month. The price of gold is not ours. Encrypted backups.",
        "fetched_at": "2026-10-05T03:00:00+00:00",
    },
    {
        "url": "https://beta.example/changelog",
        "competitor": "Beta Works",
        "kind": "changelog",
        "title": "Changelog",
        "text": "Faster dashboards. Launched webhooks for every plan.",
        "fetched_at": "2026-11-11T03:00:00+00:00",
    },
]


@pytest.fixture
def index_dir(tmp_path: Path):
    path = tmp_path / "data" / "index"
    rebuild_index(path, copy.deepcopy(EVENTS), copy.deepcopy(PAGES))
    yield path
    forget(path)


def keys(index_dir: Path, q: str = "", **kw) -> list[str]:
    return [h.key for h in search(index_dir, SearchRequest(q=q, limit=100, **kw)).hits]


def page_keys(index_dir: Path, q: str = "", **kw) -> set[str]:
    return {k for k in keys(index_dir, q, pages=True, **kw) if k.startswith("page:")}


def test_words_are_stemmed_alike_in_query_and_text(index_dir):
    # "encrypted" and "encryption" share a stem; "launch" finds "Launched"
    assert page_keys(index_dir, "encrypt") == {
        "page:https://gamma.example/security",
        "page:https://acme.example/pricing",
    }
    assert page_keys(index_dir, "launch") == {"page:https://beta.example/changelog"}
    assert page_keys(index_dir, "nowhere") == set()


def test_pages_only_when_asked(index_dir):
    assert not [k for k in keys(index_dir, "frankfurt") if k.startswith("page:")]
    assert keys(index_dir, "doctype:page frankfurt") == ["page:https://gamma.example/security"]
    assert page_keys(index_dir, "doctype:event frankfurt") == set()


def test_phrases_keep_their_stop_words_and_word_order(index_dir):
    assert page_keys(index_dir, '"price of gold"') == {"page:https://acme.example/pricing"}
    assert page_keys(index_dir, '"gold of price"') == set()
    assert page_keys(index_dir, "the") == set()  # a lone stop word finds nothing, as for events


def test_boolean_operators_fields_and_prefixes(index_dir):
    assert page_keys(index_dir, "encrypt NOT frankfurt") == {"page:https://acme.example/pricing"}
    assert page_keys(index_dir, "frankfurt OR webhooks") == {
        "page:https://gamma.example/security",
        "page:https://beta.example/changelog",
    }
    assert page_keys(index_dir, "kind:pricing") == {"page:https://acme.example/pricing"}
    assert page_keys(index_dir, "title:changelog") == {"page:https://beta.example/changelog"}
    assert page_keys(index_dir, "dash*") == {"page:https://beta.example/changelog"}
    # wildcards match the stored (stemmed) words, as they do for events in Whoosh
    assert page_keys(index_dir, "web*k") == {"page:https://beta.example/changelog"}
    assert page_keys(index_dir, "type:price_change") == set()  # pages have no event type


def test_the_options_filter_pages_as_they_filter_events(index_dir):
    assert page_keys(index_dir, competitor="gamma") == {"page:https://gamma.example/security"}
    assert page_keys(index_dir, since="2026-11-01") == {
        "page:https://gamma.example/security",
        "page:https://beta.example/changelog",
    }
    assert page_keys(index_dir, until="2026-10-05") == {"page:https://acme.example/pricing"}
    assert page_keys(index_dir, signal="threat") == set()


def test_pages_and_events_share_one_list_its_total_and_facets(index_dir):
    res = search(index_dir, SearchRequest(q="dashboards", pages=True))
    assert {h.key for h in res.hits} == {"event:8", "page:https://beta.example/changelog"}
    assert res.total == 2 and res.facets["competitor"] == {"Beta Works": 2}
    page = next(h for h in res.hits if h.doctype == "page")
    assert page.competitor == "Beta Works" and page.score and page.score > 0
    assert MARK_START in page.snippet and "dashboards" in page.snippet_text
    by_date = search(index_dir, SearchRequest(q="encrypt OR team", pages=True, sort="date"))
    dates = [h.date for h in by_date.hits]
    assert dates == sorted(dates, reverse=True) and len(dates) == by_date.total


def test_paging_walks_the_merged_list_once(index_dir):
    everything = keys(index_dir, "", pages=True, sort="date")
    assert len(everything) == len(EVENTS) + len(PAGES)
    walked = []
    for n in range(1, 5):
        res = search(index_dir, SearchRequest(pages=True, sort="date", limit=3, page=n))
        assert res.total == len(everything)
        walked += [h.key for h in res.hits]
    assert walked == everything


def test_a_page_fetched_anew_replaces_its_text(index_dir):
    changed = {**PAGES[0], "text": "Now hosted in Oslo", "fetched_at": "2026-12-01T03:00:00"}
    summary = update_index(index_dir, copy.deepcopy(EVENTS), [changed])
    assert summary["added"] == 0 and summary["updated"] == 1
    assert page_keys(index_dir, "oslo") == {"page:https://gamma.example/security"}
    assert page_keys(index_dir, "frankfurt") == set()


def test_query_text_cannot_break_out_of_a_phrase(index_dir):
    for q in ['"', 'NEAR("a" "b")', 'title:"x" OR text:\'', "*", 'a"b*', "{title}:x"]:
        search(index_dir, SearchRequest(q=q, pages=True))  # answers, never raises
