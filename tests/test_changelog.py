"""Changelog extraction and diff on golden pages of our own making, one per page shape.

Each folder of tests/data/changelog holds a page (or feed) seen twice and
expected.json: the events a reader should get (title, date, link when given),
how many entries the newer page has, and the feed it announces.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intel.extract import diff, extract, get
from intel.extract.changelog import entry_key, new_entries
from intel.extract.changelog_dates import find_date, versions
from intel.extract.changelog_html import is_placeholder, split_title
from intel.extract.html import decode

DATA = Path(__file__).parent / "data" / "changelog"
CASES = sorted(p.name for p in DATA.iterdir() if (p / "expected.json").exists())


def _load(case: str) -> tuple[dict, str, str]:
    d = DATA / case
    expected = json.loads((d / "expected.json").read_text())
    before = decode((d / "before.html").read_bytes())
    after = decode((d / "after.html").read_bytes())
    return expected, before, after


@pytest.mark.parametrize("case", CASES)
def test_golden_events(case: str) -> None:
    expected, before, after = _load(case)
    url = expected["url"]
    old = extract("changelog", before, url)
    new = extract("changelog", after, url)
    changes = diff("changelog", old, new, None)
    got = [{"title": c.title, "date": c.date, "link": c.link} for c in changes]
    want = expected["events"]
    assert [(g["title"], g["date"]) for g in got] == [(w["title"], w["date"]) for w in want]
    for g, w in zip(got, want, strict=True):
        if "link" in w:
            assert g["link"] == w["link"]
    for c in changes:
        assert c.type == "changelog_entry"
        assert c.summary is None or len(c.summary) <= 320
        assert c.evidence["after"].startswith(c.title)
    assert len(new["entries"]) == expected["entries_after"]
    if "feed_url" in expected:
        assert new["feed_url"] == expected["feed_url"]
    json.dumps(new)  # stored in SQLite as JSON


@pytest.mark.parametrize("case", CASES)
def test_same_page_twice_is_quiet(case: str) -> None:
    expected, _, after = _load(case)
    data = extract("changelog", after, expected["url"])
    assert diff("changelog", data, data, None) == []


@pytest.mark.parametrize("case", CASES)
def test_going_back_is_quiet(case: str) -> None:
    """What leaves the page (pagination, an older snapshot) is never an event."""
    expected, before, after = _load(case)
    url = expected["url"]
    old, new = extract("changelog", after, url), extract("changelog", before, url)
    gone = {e["key"] for e in old["entries"]} - {e["key"] for e in new["entries"]}
    changes = diff("changelog", old, new, None)
    assert all(entry_key(c.title or "", versions(c.title or "")) not in gone for c in changes)


def test_summary_is_the_body_not_the_heading() -> None:
    expected, _, after = _load("saas-time")
    entries = extract("changelog", after, expected["url"])["entries"]
    top = entries[0]
    assert top["summary"].startswith("Pinecast now drafts a reply")
    assert "AI reply drafts" not in top["summary"]
    assert top["key"] == "t:ai reply drafts"


def test_body_dates_are_not_entry_dates() -> None:
    """A date inside the body ("Deadline ... March 31, 2026") never dates the entry."""
    expected, _, after = _load("saas-time")
    entries = extract("changelog", after, expected["url"])["entries"]
    assert entries[-1]["date"] == "2025-10-21"


def test_feed_discovery_prefers_link_alternate() -> None:
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="feed.xml">'
        "</head><body><main><h2>1.0.0 (2025-01-01)</h2><p>First.</p>"
        "<h2>0.9.0 (2024-12-01)</h2><p>Beta.</p></main></body></html>"
    )
    data = extract("changelog", html, "https://x.example/docs/changelog/")
    assert data["feed_url"] == "https://x.example/docs/changelog/feed.xml"
    assert [e["title"] for e in data["entries"]] == ["1.0.0", "0.9.0"]


def test_hostile_feed_expands_no_entity() -> None:
    feed = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>Release &b;</title>'
        "<description>&xxe;</description></item></channel></rss>"
    )
    data = extract("changelog", feed, "https://x.example/feed.xml")
    text = json.dumps(data)
    assert "root:" not in text
    assert "aaaaaaaaaaaaaaaaaaaa" not in text


def test_empty_and_garbage_pages_give_no_entries() -> None:
    for html in ("", "   ", "<html><body><p>Nothing here</p></body></html>", "\x00\x01"):
        data = extract("changelog", html, "https://x.example/")
        assert data["entries"] == []
        assert diff("changelog", data, data, None) == []


def test_first_sight_of_a_long_history_is_not_news() -> None:
    expected, _, after = _load("backfill")
    new = extract("changelog", after, expected["url"])
    assert new_entries([], new["entries"]) == []
    assert len(new_entries([], new["entries"][:1])) == 1


def test_a_whole_new_page_is_a_redesign_not_news() -> None:
    old = [{"title": f"Old {i}", "date": None, "key": f"t:old {i}"} for i in range(5)]
    new = [{"title": f"New {i}", "date": None, "key": f"t:new {i}"} for i in range(5)]
    assert new_entries(old, new) == []


def test_repeated_titles_are_told_apart_by_date() -> None:
    def e(d: str) -> dict:
        return {"title": "Bug fixes", "date": d, "key": "t:bug fixes"}

    old = [e("2025-11-04"), e("2025-10-28"), e("2025-10-21")]
    new = [e("2025-11-11"), e("2025-11-04"), e("2025-10-28")]  # oldest paged out
    assert [x["date"] for x in new_entries(old, new)] == ["2025-11-11"]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2.31.0 (2023-05-22)", "2023-05-22"),
        ("0.27.0 (21st February, 2024)", "2024-02-21"),
        ("2.4.9 (August 21, 2025)", "2025-08-21"),
        ("Nov 18, 2025", "2025-11-18"),
        ("18. November 2025", "2025-11-18"),
        ("18 novembre 2025", "2025-11-18"),
        ("3 de diciembre de 2025", "2025-12-03"),
        ("le 5 févr. 2025", "2025-02-05"),
        ("2025年11月18日", "2025-11-18"),
        ("18.11.2025", "2025-11-18"),
        ("11/20/2025", "2025-11-20"),  # US order: the day is past 12
        ("20/11/2025", "2025-11-20"),
        ("18-Nov-2025", "2025-11-18"),
        ("2025. november 18.", "2025-11-18"),  # Hungarian: year first
        ("4 days ago", None),
        ("July 2026 roundup", None),
        ("Version 26.5.1", None),
    ],
)
def test_find_date(text: str, iso: str | None) -> None:
    got = find_date(text)
    assert (got[0] if got else None) == iso


@pytest.mark.parametrize(
    ("heading", "title", "iso"),
    [
        ("[1.2.0] - 2024-01-01", "1.2.0", "2024-01-01"),
        ("Announcements: v0.54.0 - 2026-08-06", "Announcements: v0.54.0", "2026-08-06"),
        ("v2.14.0b1 (2026-08-06)", "v2.14.0b1", "2026-08-06"),
        ("Version 26.5.1", "Version 26.5.1", None),
        ("0.27.0 (21st February, 2024)", "0.27.0", "2024-02-21"),
    ],
)
def test_split_title(heading: str, title: str, iso: str | None) -> None:
    assert split_title(heading) == (title, iso)


@pytest.mark.parametrize(
    ("title", "placeholder"),
    [
        ("Unreleased", True),
        ("[Unreleased]", True),
        ("dev", True),
        ("Latest Changes", True),
        ("2.4.10.dev (UNRELEASED)", True),
        ("2.4.9", False),
        ("Developer portal", False),
        ("Version 26.5.1", False),
    ],
)
def test_placeholders(title: str, placeholder: bool) -> None:
    assert is_placeholder(title) is placeholder


def test_version_identity_survives_rewording() -> None:
    assert entry_key("26.3.1", versions("26.3.1")) == entry_key(
        "Version 26.3.1", versions("Version 26.3.1")
    )
    assert entry_key("v2.9.0", ["2.9.0"]) == entry_key("2.9.0", ["2.9.0"])


def test_registered_kind() -> None:
    assert get("changelog").kind == "changelog"


def test_a_blog_feed_is_not_the_changelog_feed() -> None:
    """Docs builders announce the blog feed on every page; its posts are not releases."""
    html = (
        '<html><head><link rel="alternate" type="application/rss+xml" href="/blog/rss.xml"'
        ' title="Blog RSS Feed"></head><body><main><h2>1.0.0</h2><p>x</p><h2>0.9.0</h2>'
        '<p>y</p></main><footer><a href="/blog/rss.xml">RSS</a></footer></body></html>'
    )
    assert extract("changelog", html, "https://x.example/docs/changelog")["feed_url"] is None
    visible = html.replace("<main>", '<main><a href="/docs/changelog/feed.xml">Subscribe</a>')
    got = extract("changelog", visible, "https://x.example/docs/changelog")["feed_url"]
    assert got == "https://x.example/docs/changelog/feed.xml"


def test_summary_keeps_item_boundaries() -> None:
    """A release's list items stay apart in its one-line summary (briefings, search, why)."""
    html = (
        "<html><body><main><h2>2.9.0 (2025-11-18)</h2><h3>Added</h3><ul>"
        "<li>Connector for <code>SAP</code></li><li>Ask questions about your data</li></ul>"
        "<h3>Fixed</h3><ul><li>Use <code>401</code> when credentials are missing. PR"
        " <a href='#1'>#1</a> by <a href='#u'>@ana</a>.<ul><li>Docs updated.</li></ul></li></ul>"
        "<h2>2.8.0 (2025-11-01)</h2><p>Line one<br>Line two</p></main></body></html>"
    )
    entries = extract("changelog", html, "https://x.example/changelog")["entries"]
    assert entries[0]["summary"] == (
        "Added: Connector for SAP; Ask questions about your data; Fixed: Use 401 when"
        " credentials are missing. PR #1 by @ana. Docs updated."
    )
    assert entries[1]["summary"] == "Line one; Line two"


def test_plain_text_notes_split_at_their_bullets() -> None:
    html = (
        "<html><body><main><h2>1.1.0 (2025-11-18)</h2><p><strong>Bugfixes</strong>\n"
        "- Fixed a crash on\n  empty input.\n- Fixed a leak.</p>"
        "<h2>1.0.0 (2025-11-01)</h2><p>First.</p></main></body></html>"
    )
    top = extract("changelog", html, "https://x.example/changelog")["entries"][0]
    assert top["summary"] == "Bugfixes: Fixed a crash on empty input. Fixed a leak."


def test_feed_summary_keeps_item_boundaries() -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        "<title>Release 3.0</title><description><![CDATA[<ul><li>Dark mode</li>"
        "<li>Faster search</li></ul>]]></description></item></channel></rss>"
    )
    [entry] = extract("changelog", feed, "https://x.example/feed.xml")["entries"]
    assert entry["summary"] == "Dark mode; Faster search"


def _then(page: str, added: str, url: str = "https://rival.example/changelog"):
    """The entries of `page` with `{new}` empty, and the changes once `added` fills it."""
    old = extract("changelog", page.format(new=""), url)
    return old["entries"], diff(
        "changelog", old, extract("changelog", page.format(new=added), url), None
    )


def test_a_bold_lead_in_names_an_entry_without_a_heading() -> None:
    # "<p><strong>Bulk export.</strong> Export ...</p>": the bold run is what a reader
    # calls the entry; a one-word label ("New:") is not a name, the line stays whole.
    page = (
        "<html><body><main><h1>Updates</h1><ul>{new}"
        '<li><time datetime="2026-11-20">Nov 20</time><p><strong>Bulk export.</strong>'
        " Export up to 10,000 rows at once.</p></li>"
        '<li><time datetime="2026-11-02">Nov 2</time><p><strong>New:</strong>'
        " Slack alerts for mentions.</p></li></ul></main></body></html>"
    )
    added = '<li><time datetime="2026-12-04">Dec 4</time><p><b>Audit log</b> — who changed what, and when.</p></li>'
    entries, changes = _then(page, added)
    assert [(e["title"], e["summary"]) for e in entries] == [
        ("Bulk export", "Export up to 10,000 rows at once."),
        ("New: Slack alerts for mentions.", ""),
    ]
    assert [(c.title, c.date) for c in changes] == [("Audit log", "2026-12-04")]


def test_a_day_opening_a_line_under_a_month_group_takes_the_groups_year() -> None:
    page = (
        "<html><body><main><h1>Changelog</h1><h2>December 2026</h2>{new}"
        "<h3>Dark mode</h3><p>Step 1: open settings.</p><p>Dec 1 — A new theme.</p>"
        "<h2>November 2026</h2><h3>Bulk export</h3><p>Nov 20 — Export rows.</p>"
        "<h3>Slack alerts</h3><p>Nov 2 — Alerts in Slack.</p></main></body></html>"
    )
    entries, changes = _then(page, "<h3>AI summaries</h3><p>Dec 4 — Summaries.</p>")
    assert [(e["title"], e["date"]) for e in entries] == [
        ("Dark mode", "2026-12-01"),
        ("Bulk export", "2026-11-20"),
        ("Slack alerts", "2026-11-02"),
    ]
    assert [(c.title, c.date) for c in changes] == [("AI summaries", "2026-12-04")]
