"""Changelogs: entries of release-notes pages and feeds, and the new ones night to night.

`extract` turns a changelog page (any builder, see `changelog_html`) or an RSS/Atom feed
(`changelog_feed`) into entries {title, date, link, summary, key} plus the feed the page
announces, so the crawler can watch that instead.

`diff` reports one `changelog_entry` per entry that is on the page now and was not
before. An entry is known by its version when its heading names one (so "26.3.1"
reworded to "Version 26.3.1", a corrected date or an edited body is the same release),
else by its normalised title. What leaves the page (a paginated list dropping its oldest
entry) is never an event; an older release backfilled below the top is.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from intel.changes import Change
from intel.extract import Extractor
from intel.extract.changelog_feed import discover, entries_from_feed, looks_like_feed
from intel.extract.changelog_html import Entry, entries_from_html, norm
from intel.extract.html import parse_plain

#: A first sight of a page (or a page that failed to parse last time) reports nothing
#: beyond this many entries: a whole history is not news.
FIRST_SIGHT_MAX = 3


def _norm_title(title: str) -> str:
    return " ".join(re.findall(r"\w+", title.casefold()))


def entry_key(title: str, versions: list[str]) -> str:
    """Identity of an entry across fetches: its version(s) when a short title has one."""
    if versions and len(title.split()) <= 6:
        return "v:" + "|".join(sorted(set(versions)))
    return "t:" + _norm_title(title)


def _as_dict(e: Entry) -> dict[str, Any]:
    return {
        "title": e.title,
        "date": e.date,
        "link": e.link,
        "summary": e.summary,
        "key": entry_key(e.title, e.versions),
    }


class ChangelogExtractor(Extractor):
    """Release notes, changelogs and their RSS/Atom feeds: one event per new entry."""

    kind = "changelog"
    # 3: bold lead-in titles, month-first slashed dates past the 12th
    version = 3

    def extract(self, html: str, url: str) -> dict[str, Any]:
        if looks_like_feed(html):
            entries = entries_from_feed(html, url)
            feed_url = url or None
        else:
            doc = parse_plain(html)
            feed_url = discover(doc, url)
            entries = entries_from_html(doc, url)
        items = [_as_dict(e) for e in entries]
        return {"entries": items, "feed_url": feed_url, "text": _text(items)}

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get("text") or _text(data.get("entries") or []))

    def diff(
        self, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Change]:
        return [_change(e) for e in new_entries(old.get("entries"), new.get("entries"))]


def _text(items: list[dict[str, Any]]) -> str:
    lines = []
    for e in items:
        head = e["title"] + (f" ({e['date']})" if e.get("date") else "")
        lines.append(f"{head}\n{e.get('summary') or ''}".strip())
    return "\n\n".join(lines)


def _key(e: dict[str, Any]) -> str:
    return e.get("key") or "t:" + _norm_title(e.get("title") or "")


def new_entries(
    old: list[dict[str, Any]] | None, new: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """Entries of `new` that `old` did not have, in page order."""
    old, new = list(old or []), list(new or [])
    if not new:
        return []
    if not old:
        return new if len(new) <= FIRST_SIGHT_MAX else []

    old_by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in old:
        old_by_key[_key(e)].append(e)
    new_by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in new:
        new_by_key[_key(e)].append(e)

    fresh_ids: set[int] = set()
    matched_any = False
    for key, group in new_by_key.items():
        before = old_by_key.get(key, [])
        if not before:
            fresh_ids.update(id(e) for e in group)
            continue
        matched_any = True
        if len(group) == 1 and len(before) == 1:
            continue  # the same entry, perhaps re-dated or edited
        # A title used by several entries ("Bug fixes"): tell them apart by date, oldest
        # first, so what is left over is the newest.
        dates = Counter(e.get("date") for e in before)
        for e in reversed(group):
            if dates[e.get("date")] > 0:
                dates[e.get("date")] -= 1
            else:
                fresh_ids.add(id(e))

    old_titles = {_norm_title(e.get("title") or "") for e in old}
    old_links = Counter(e.get("link") for e in old)
    new_links = Counter(e.get("link") for e in new)
    out = []
    for e in new:
        if id(e) not in fresh_ids:
            continue
        if len(new_by_key[_key(e)]) == 1 and _norm_title(e.get("title") or "") in old_titles:
            matched_any = True
            continue  # same title, its version now written differently
        link = e.get("link")
        if link and "#" not in link and old_links[link] == 1 and new_links[link] == 1:
            matched_any = True
            continue  # same permalink, reworded title
        out.append(e)
    if out and not matched_any and len(old) >= 3 and len(new) >= 3:
        return []  # nothing in common: the page was redesigned or re-segmented, not news
    return out


def _change(e: dict[str, Any]) -> Change:
    excerpt = norm(f"{e['title']}" + (f" ({e['date']})" if e.get("date") else ""))
    if e.get("summary"):
        excerpt += ": " + e["summary"]
    return Change(
        type="changelog_entry",
        title=e["title"],
        date=e.get("date"),
        link=e.get("link"),
        summary=e.get("summary") or None,
        evidence={"before": None, "after": excerpt[:500]},
    )
