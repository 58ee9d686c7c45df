"""RSS and Atom: a watched feed URL, and the feed a changelog page points to.

feedparser reads the feed from memory (a BytesIO: given a str it would try it as a URL
or a file name, which a pure core must never do). Its SAX parser already refuses
external entities; a DOCTYPE with an internal subset is cut off first as well, so no
entity in a hostile feed is ever expanded.
"""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import urlsplit

from intel.extract.changelog_dates import find_date, versions
from intel.extract.changelog_html import (
    Element,
    Entry,
    body_summary,
    clean_link,
    is_placeholder,
    norm,
)

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
_DOCTYPE = re.compile(r"<!DOCTYPE[^\[>]*(\[.*?\]\s*)?>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")
_FEED_HREF = re.compile(r"(^|[/.])(rss|atom|feed)(\.xml)?/?$", re.I)


def looks_like_feed(text: str) -> bool:
    """True for an RSS/Atom document (what a feed URL serves), False for HTML."""
    head = text[:2048].lstrip("\ufeff \t\r\n")
    if head.startswith(("<rss", "<feed", "<rdf:RDF")):
        return True
    if head.startswith("<?xml"):
        return bool(re.search(r"<(rss|feed|rdf:RDF)[\s>]", head))
    return False


def discover(doc: Element, base: str) -> str | None:
    """The feed this changelog announces, absolute; None when there is none.

    `<link rel=alternate>` of an RSS/Atom type first. Site builders (Docusaurus) announce
    the *blog* feed on every page: a feed that says "blog" is skipped unless the page is
    a blog too, since its posts are not release notes. Else a visible RSS/Atom link
    that lives under the page's own path ("/changelog/rss.xml").
    """
    page_is_blog = "blog" in base.lower()
    for link in doc.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        href = link.get("href")
        if "alternate" not in rel or kind not in _FEED_TYPES or not href:
            continue
        says = f"{href} {link.get('title') or ''}".lower()
        if "blog" in says and not page_is_blog:
            continue
        return clean_link(href, base)
    page_path = urlsplit(base).path.rstrip("/")
    for a in doc.xpath(
        "//a[contains(@href,'rss') or contains(@href,'atom') or contains(@href,'feed')]"
    ):
        href = a.get("href") or ""
        if not _FEED_HREF.search(href):
            continue
        absolute = clean_link(href, base)
        if absolute and urlsplit(absolute).path.startswith(page_path + "/"):
            return absolute
    return None


def _html_text(value: str) -> str:
    if "<" not in value:
        return norm(value)
    import lxml.html

    try:
        return norm(lxml.html.fragment_fromstring(value, create_parent="div").text_content())
    except Exception:  # noqa: BLE001 - malformed markup in a feed: fall back to tag stripping
        return norm(_TAGS.sub(" ", value))


def _html_summary(value: str, limit: int = 300) -> str:
    """A feed item's body as one line with its items apart ("Added: A; B; Fixed: C")."""
    if "<" not in value:
        text = norm(value)
        return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    import lxml.html

    try:
        frag = lxml.html.fragment_fromstring(value, create_parent="div")
    except Exception:  # noqa: BLE001 - malformed markup in a feed: fall back to tag stripping
        text = norm(_TAGS.sub(" ", value))
        return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"
    return body_summary(frag, limit)


def _date_of(item: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        st = item.get(key)
        if st:
            return f"{st.tm_year:04d}-{st.tm_mon:02d}-{st.tm_mday:02d}"
    for key in ("published", "updated"):
        if item.get(key):
            found = find_date(item[key])
            if found:
                return found[0]
    return None


_BAD_CHARREF = re.compile(
    r"&#(?:[xX]0*(?:[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF]|[0-9a-fA-F]{7,})|0*(?:5[5-7]\d{3}|\d{8,}));"
)


def entries_from_feed(text: str, base: str, limit: int = 300) -> list[Entry]:
    """The items of an RSS/Atom feed as changelog entries (newest first, as served)."""
    import feedparser

    text = _DOCTYPE.sub("", text, count=1)
    # feedparser's loose parser crashes on character references to code points that
    # cannot be text (surrogates, U+FFFE): a hostile feed must not end the night.
    text = _BAD_CHARREF.sub("", text)
    try:
        parsed = feedparser.parse(io.BytesIO(text.encode("utf-8", "replace")))
    except (UnicodeError, ValueError, OverflowError):
        return []
    out: list[Entry] = []
    for item in parsed.entries:
        title = norm(_html_text(item.get("title", "")))
        body = ""
        if item.get("content"):
            body = item["content"][0].get("value", "")
        body = body or item.get("summary", "") or item.get("description", "")
        summary = _html_summary(body)
        if not title:
            title = _html_text(body)[:80]
        if not title or is_placeholder(title):
            continue
        link = clean_link(item.get("link"), base) if item.get("link") else None
        out.append(Entry(title, _date_of(item), link or base or None, summary, versions(title)))
        if len(out) >= limit:
            break
    return out
