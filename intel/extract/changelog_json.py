"""Changelog entries that a single-page app ships as JSON in a script.

Some changelogs are an empty shell (a spinner) in HTML; the entries travel as
server-rendered state: `<script id="__NEXT_DATA__" type="application/json">`,
`<script type="application/json">` islands, JSON-LD `BlogPosting`s. Whatever the
framework, what marks them is the data's shape, not its path: a list of objects that
each carry a title and a date. The longest such list wins.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin

from intel.extract.changelog_dates import find_date, parse_datetime_attr, versions
from intel.extract.changelog_html import Element, Entry, clean_link, is_placeholder, norm

_JSON_TYPES = ("application/json", "application/ld+json")
_MAX_CHARS = 3_000_000
_TITLE_KEYS = ("title", "name", "headline", "heading", "version", "tag_name")
_DATE_KEYS = (
    "date", "publishedAt", "published_at", "datePublished", "releasedAt", "released_at",
    "releaseDate", "release_date", "publishDate", "publish_date", "createdAt", "created_at",
    "pubDate", "postedAt", "posted_at",
)  # fmt: skip
_LINK_KEYS = ("url", "href", "permalink", "link", "html_url", "slug", "path")
_BODY_KEYS = ("summary", "excerpt", "description", "subtitle", "body", "content", "text")
_TAGS = re.compile(r"<[^>]+>")


def entries_from_scripts(doc: Element, base: str) -> list[Entry]:
    """Entries found in the page's JSON scripts (empty when there are none)."""
    best: list[Entry] = []
    for script in doc.iter("script"):
        kind = (script.get("type") or "").lower().strip()
        if kind not in _JSON_TYPES:
            continue
        text = script.text or ""
        if not text.strip() or len(text) > _MAX_CHARS:
            continue
        try:
            data = json.loads(text)
        except ValueError:
            continue
        for items in _lists(data, 0):
            got = [e for e in (_entry(item, base) for item in items) if e is not None]
            if len(got) >= 2 and len(got) * 2 >= len(items) and len(got) > len(best):
                best = got
    return best


def _lists(node: Any, depth: int):
    """Every list of objects inside `node` (depth-limited: state can be deep but not endless)."""
    if depth > 12:
        return
    if isinstance(node, list):
        if sum(isinstance(x, dict) for x in node) >= 2:
            yield [x for x in node if isinstance(x, dict)]
        for x in node:
            yield from _lists(x, depth + 1)
    elif isinstance(node, dict):
        for v in node.values():
            yield from _lists(v, depth + 1)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return norm(_TAGS.sub(" ", value))
    if isinstance(value, dict):  # rich text: {"html": ...} / {"text": ...}
        for key in ("text", "html", "plain", "value"):
            if isinstance(value.get(key), str):
                return norm(_TAGS.sub(" ", value[key]))
    return ""


def _entry(item: dict[str, Any], base: str) -> Entry | None:
    title = next((_text(item[k]) for k in _TITLE_KEYS if _text(item.get(k))), "")
    if not title or len(title) > 200 or is_placeholder(title):
        return None
    date = None
    for key in _DATE_KEYS:
        value = item.get(key)
        if isinstance(value, str):
            date = parse_datetime_attr(value) or (find_date(value) or (None,))[0]
            if date:
                break
    if date is None:
        return None  # an undated list of things is navigation, not releases
    link = None
    for key in _LINK_KEYS:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            href = value.strip()
            if key == "slug" and "/" not in href:
                href = base.rstrip("/") + "/" + href
            link = clean_link(urljoin(base, href) if base else href, base)
            break
    body = next((_text(item[k]) for k in _BODY_KEYS if _text(item.get(k))), "")
    if len(body) > 300:
        body = body[:300].rsplit(" ", 1)[0] + "…"
    return Entry(title, date, link, body, versions(title))
