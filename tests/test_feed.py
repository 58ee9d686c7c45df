"""`intel serve` publishes the events as an Atom feed with the same filters as search."""

from __future__ import annotations

import copy

import feedparser
import httpx

from index.search import forget
from index.web import create_app
from index.writer import rebuild_index
from tests.test_web import EVENTS, serving


def test_atom_feed_is_valid_and_filtered_like_search(tmp_path):
    events = copy.deepcopy(EVENTS)
    events[0]["plan"] = "<script>alert(1)</script>Team"
    events[0]["why"] = "Price cut on <script>alert(1)</script>Team"
    rebuild_index(tmp_path / "index", events)
    try:
        with serving(create_app(tmp_path / "index")) as base:
            everything = httpx.get(f"{base}/feed.atom", timeout=10)
            cuts = httpx.get(f"{base}/feed.atom", params={"type": "price_change"}, timeout=10)
    finally:
        forget(tmp_path / "index")  # the app's cached searcher holds the index files open
    assert everything.status_code == 200
    assert everything.headers["content-type"].startswith("application/atom+xml")
    assert b"<script>" not in everything.content  # escaped by the XML writer
    feed = feedparser.parse(everything.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == min(len(events), 50)
    first = feed.entries[0]
    assert first.id.startswith("urn:intel:event:") and first.link.startswith(f"{base}/event/")
    assert first.title.startswith("[") and first.updated_parsed is not None
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True), "newest first"

    filtered = feedparser.parse(cuts.content)
    expected = sum(1 for e in events if e["type"] == "price_change")
    assert 0 < len(filtered.entries) == expected
    assert all("price_change" in [t.term for t in e.tags] for e in filtered.entries)
    assert any("<script>alert(1)</script>Team" in e.title for e in feed.entries), "shown as text"
