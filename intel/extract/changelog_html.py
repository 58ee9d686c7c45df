"""Cut an HTML changelog page into entries, whatever builder made it.

Three ways a page marks its entries, tried in this order:

1. **Release headings**: headings at one level that carry a version or a date
   (Keep a Changelog, Sphinx/mkdocs/Docusaurus release notes, "Version 26.5.1",
   GitHub-releases-like lists). The level with the most of them wins, so sub-headings
   ("Added", "Fixes", "What's Changed") are never entries.
2. **Dated blocks**: headings or repeated sibling blocks (cards, list items,
   label/description blocks of Mintlify-like docs) whose first lines hold a date
   (`<time datetime>`, or a line that is just a date). SaaS changelogs look like this.
3. **Undated lists**: the most repeated heading level ("What's new" pages).

An entry's extent is found without class names: from its heading we climb to the
largest ancestor that holds no other entry heading (an `<article>` card); when the
markup is flat (rendered Markdown) the entry is the heading plus the siblings up to the
next heading of the same or a higher level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from lxml import etree

from intel.extract.changelog_dates import _month_of, find_date, parse_datetime_attr, versions

Element = etree._Element

# An element's text, all of it (lxml.html's `text_content()`, for plain elements too).
_STRING = etree.XPath("string()", smart_strings=False)


def text_of(el: Element) -> str:
    return _STRING(el)


def drop_tree(el: Element) -> None:
    """Remove `el` and what it holds, keeping the text that follows it (lxml.html's `drop_tree`)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LEVEL = {t: i + 1 for i, t in enumerate(HEADING_TAGS)}

_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "iframe", "form", "button",
    "nav", "aside", "footer", "select", "input", "dialog", "canvas", "video", "audio",
)  # fmt: skip
_DROP_ROLES = {"navigation", "dialog", "alertdialog", "banner", "contentinfo", "search"}
# Class/id words of page chrome that is never an entry (checked per dash/underscore part).
_CHROME_WORDS = {
    "cookie", "cookies", "consent", "gdpr", "sidebar", "toc", "breadcrumb", "breadcrumbs",
    "navbar", "ads", "ad", "advert", "advertisement", "sponsor", "sponsored", "carbon",
    "banner", "announcement", "announcementbar", "skip", "pagination", "pager",
}  # fmt: skip
_BLOCK_TAGS = frozenset(
    {
        "div", "p", "ul", "ol", "li", "section", "article", "header", "main", "table",
        "thead", "tbody", "tr", "td", "th", "dl", "dt", "dd", "blockquote", "pre",
        "figure", "figcaption", "details", "summary", "hr", *HEADING_TAGS,
    }
)  # fmt: skip
# Class words of badges inside headings ("New", "Beta", "Latest"), which come and go.
_BADGE_WORDS = {"badge", "tag", "tags", "pill", "chip", "label", "labels", "status"}
_SYMBOLS_ONLY = re.compile(r"^[\s#¶§🔗\u200b\ufeff\-–—:|]*$")
_DIGIT = re.compile(r"\d")
# Lines that are not the body: relative times ("4 days ago") and commit ids.
_NOT_BODY = re.compile(
    r"^(?:(?:posted|updated|published|released|shipped|added|edited)\s+)?"
    r"(\d+\s+\w+\s+ago|an?\s+\w+\s+ago|just now|[0-9a-f]{7,40})$",
    re.I,
)
_MORE = re.compile(r"^(read|learn|see|view|more|details)\b")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|ref_src|_hsenc|_hsmi|mkt_tok)$")

# Sections that hold what is not released yet: never entries.
_PLACEHOLDER = re.compile(
    r"^\W*(unreleased|upcoming|upcoming release|next|next release|next version|dev|"
    r"development|in development|in progress|work in progress|wip|tbd|tba|latest changes|"
    r"latest|main|master|head|coming soon|pending|draft|unveröffentlicht|non publié|"
    r"sin publicar)\W*$",
    re.I,
)
_PLACEHOLDER_ANY = re.compile(r"\b(unreleased|not yet released|not released yet)\b", re.I)


@dataclass
class Entry:
    """One changelog entry as the page shows it."""

    title: str
    date: str | None
    link: str | None
    summary: str
    versions: list[str] = field(default_factory=list)
    # Summary and link are the costly part of an entry and only the winning strategy's
    # entries keep theirs: strategies leave this to fill them in (see `complete`).
    pending: Callable[[Entry], None] | None = field(default=None, repr=False, compare=False)


def complete(entries: list[Entry]) -> list[Entry]:
    """Fill in the summary and link of entries a strategy left pending."""
    for e in entries:
        if e.pending is not None:
            fill, e.pending = e.pending, None
            fill(e)
    return entries


def norm(text: str | None) -> str:
    # str.split() and the regex \s agree on every code point; split/join is ~5x faster
    return " ".join(text.split()) if text else ""


@lru_cache(maxsize=8192)
def is_placeholder(title: str) -> bool:
    """Unreleased / dev / Latest Changes sections: not a release yet."""
    t = norm(title).strip("[]() ")
    if not t:
        return True
    if _PLACEHOLDER.match(t) or _PLACEHOLDER_ANY.search(t):
        return True
    vs = versions(t)
    # "2.5.0.dev" alone on a heading is work in progress too
    return bool(vs) and all(v.endswith("dev") or ".dev" in v for v in vs)


def clean_link(href: str | None, base: str) -> str | None:
    """Absolute link without tracking parameters (they change on every fetch)."""
    if not href or href.startswith(("javascript:", "mailto:")):
        return None
    absolute = urljoin(base, href.strip()) if base else href.strip()
    parts = urlsplit(absolute)
    if parts.query:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        kept = [(k, v) for k, v in query if not _TRACKING.match(k)]
        if len(kept) != len(query):
            parts = parts._replace(query=urlencode(kept))
    return urlunsplit(parts)


# --------------------------------------------------------------------------- cleaning


@lru_cache(maxsize=8192)
def _chrome_words(words: str) -> bool:
    for token in words.lower().split():
        if any(p in _CHROME_WORDS for p in re.split(r"[-_]+", token)):
            return True
    return False


def _is_chrome(el: Element) -> bool:
    role = (el.get("role") or "").lower()
    if role in _DROP_ROLES:
        return True
    if el.get("hidden") is not None or el.get("aria-modal") == "true":
        return True
    style = (el.get("style") or "").replace(" ", "").lower()
    if "display:none" in style or "visibility:hidden" in style:
        return True
    words = f"{el.get('class') or ''} {el.get('id') or ''}"
    return bool(words.strip()) and _chrome_words(words)


def clean(doc: Element) -> None:
    """Drop page chrome in place: scripts, navigation, sidebars, banners, ads, forms."""
    etree.strip_elements(doc, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    drop: list[Element] = [
        el
        for el in doc.iter(*_DROP_TAGS)
        # some frameworks wrap the whole page in one <form>: keep a form that holds content
        if el.tag != "form" or next(el.iter(*HEADING_TAGS), None) is None
    ]
    for el in doc.iter("header"):
        # a site header, not the header of an article card
        if not any(a.tag in ("main", "article", "section") for a in el.iterancestors()):
            drop.append(el)
    for el in doc.xpath("//*[@class or @id or @role or @style or @hidden or @aria-modal]"):
        if el.tag not in ("html", "body", "main") and _is_chrome(el):
            drop.append(el)
    for el in drop:
        if el.getparent() is not None:
            drop_tree(el)


def main_root(doc: Element) -> Element:
    """The element that holds the page's main content (falls back to <body>)."""
    for xp in ("//main", "//*[@role='main']", "//article", "//*[@id='content']"):
        found = doc.xpath(xp)
        if found:
            return max(found, key=lambda e: len(text_of(e)))
    body = doc.find("body")
    return body if body is not None else doc


# --------------------------------------------------------------------------- text


def _is_badge(el: Element) -> bool:
    words = el.get("class")
    if not words or not _badge_words(words):
        return False
    text = text_of(el)
    return len(text) <= 20 and not _DIGIT.search(text)  # never a version or a date


@lru_cache(maxsize=4096)
def _badge_words(words: str) -> bool:
    return any(
        p in _BADGE_WORDS for token in words.lower().split() for p in re.split(r"[-_]+", token)
    )


def _heading_parts(el: Element, parts: list[str], br: str = " ") -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        if child.tag == "br":
            parts.append(br)  # a space in a title; a line break in a summary
        elif isinstance(child.tag, str):
            skip = (child.tag == "a" and _SYMBOLS_ONLY.match(text_of(child))) or (
                child.tag != "a" and _is_badge(child)
            )
            if not skip:
                _heading_parts(child, parts, br)
        if child.tail:
            parts.append(child.tail)


def heading_text(h: Element) -> str:
    """Heading text without permalink symbols (¶, #) and "New"/"Beta" badges (they come and go)."""
    parts: list[str] = []
    _heading_parts(h, parts)
    return norm(" ".join(parts).replace("\u200b", ""))


def heading_link(h: Element, base: str) -> str | None:
    for a in h.iter("a"):
        if a.get("href") and not _SYMBOLS_ONLY.match(text_of(a)):
            return clean_link(a.get("href"), base)
    return None


# Words left dangling once a date is cut out of a heading ("Version 3.9.0 (released )").
_DANGLING = re.compile(
    r"\b(?:released|release date|published|shipped|updated|deployed|dated)(?:\s+on)?\s*(?=[)\]]|$)",
    re.I,
)
# A heading that is a date and these words only ("Week of November 16, 2026") is titled
# by the whole heading: "Week of" alone names nothing.
_PERIOD_WORDS = frozenset(
    "week weeks of the beginning starting ending commencing wc w/c month".split()
)
# Calendar versions (2026.11.3) read like dates written with dots: cut out, they leave
# an empty title, so a heading that is one of them keeps it and its date is only a hint.
_DOTTED = re.compile(r"^(?:19|20)\d\d\.\d{1,2}\.\d{1,2}$")


def split_title(raw: str) -> tuple[str, str | None]:
    """("[2.9.0] - 2025-11-18") -> ("2.9.0", "2025-11-18"): the heading without its date."""
    title, iso, _ = split_title_ex(raw)
    return title, iso


@lru_cache(maxsize=8192)
def split_title_ex(raw: str) -> tuple[str, str | None, bool]:
    """split_title, plus whether the date is only a guess (a calendar version)."""
    found = find_date(raw)
    title = raw
    iso = None
    weak = False
    if found:
        iso, (a, b) = found
        if _DOTTED.match(raw[a:b]):
            weak = True  # "2026.11.3": a version first; the entry's own date wins
        else:
            title = raw[:a] + raw[b:]
            title = _DANGLING.sub(" ", title)
    title = re.sub(r"\(\s*\)|\[\s*\]", " ", title)
    title = re.sub(r"\[([^\]]*)\]", r"\1", title)  # Keep a Changelog link brackets
    title = norm(title)
    title = re.sub(r"^[\s\-–—:|·•,]+|[\s\-–—:|·•,(]+$", "", title)
    words = re.findall(r"[\w/]+", title.casefold())
    if iso and words and not weak and all(w in _PERIOD_WORDS for w in words):
        return norm(raw), iso, False
    return norm(title), iso, weak


def _is_block(el: Element) -> bool:
    return isinstance(el.tag, str) and el.tag in _BLOCK_TAGS


def leaves(el: Element) -> Iterator[Element]:
    """Text blocks in document order: elements without block children (lines)."""
    if not isinstance(el.tag, str):
        return
    if not any(_is_block(c) for c in el):
        yield el
        return
    for child in el:
        if not isinstance(child.tag, str):
            continue
        if _is_block(child):
            yield from leaves(child)
        else:
            yield child


def _datetime_in(el: Element) -> str | None:
    if el.get("datetime"):
        return parse_datetime_attr(el.get("datetime"))
    for t in el.iterfind(".//*[@datetime]"):
        got = parse_datetime_attr(t.get("datetime"))
        if got:
            return got
    return None


@lru_cache(maxsize=8192)
def pure_date(text: str) -> str | None:
    """A line that is a date and little else ("Published Nov 18, 2025 · API")."""
    if len(text) > 60:
        return None
    found = find_date(text)
    if not found:
        return None
    iso, (a, b) = found
    rest = re.findall(r"[^\W\d_]{2,}", text[:a] + text[b:])
    return iso if len(rest) <= 3 else None


def _leaf_date(leaf: Element) -> str | None:
    return _datetime_in(leaf) or pure_date(norm(text_of(leaf)))


# --------------------------------------------------------------------------- sections


@dataclass
class _Section:
    heading: Element | None
    nodes: list[Element]
    anchor: Element  # the element the entry hangs on (for id links)


def _ancestors_of(els: list[Element], stop: Element) -> dict[Element, int]:
    """How many of `els` each element (self included) contains, below `stop`."""
    counts: dict[Element, int] = {}
    for e in els:
        node: Element | None = e
        while node is not None and node is not stop:
            counts[node] = counts.get(node, 0) + 1
            node = node.getparent()
    return counts


def sections_for(heads: list[Element], blockers: list[Element], root: Element) -> list[_Section]:
    """The extent of each heading's entry; `blockers` are the headings that end one."""
    per_entry = _ancestors_of(heads, root)
    boundary = set(_ancestors_of(blockers, root))
    out: list[_Section] = []
    for h in heads:
        node = h
        parent = node.getparent()
        while parent is not None and parent is not root and per_entry.get(parent, 0) == 1:
            node = parent
            parent = node.getparent()
        nodes = [node]
        own = len(norm(text_of(node)))
        if node is h or own <= len(heading_text(h)) + 12:
            # flat markup: the heading, then siblings up to the next boundary
            sib = node.getnext()
            while sib is not None and sib not in boundary:
                if isinstance(sib.tag, str):
                    nodes.append(sib)
                sib = sib.getnext()
        out.append(_Section(h, nodes, node))
    return out


def _section_leaves(sec: _Section) -> Iterator[Element]:
    for n in sec.nodes:
        yield from leaves(n)


def section_date(sec: _Section) -> str | None:
    """The entry's date from its first lines: a datetime attribute or a date-only line."""
    seen_title = sec.heading is None
    after = 0
    for leaf in _section_leaves(sec):
        if sec.heading is not None and (leaf is sec.heading or sec.heading in leaf.iterancestors()):
            seen_title = True
            continue
        if sec.heading is not None and leaf in sec.heading.iterancestors():
            continue
        text = norm(text_of(leaf))
        if len(text) > 140:
            return None
        got = _leaf_date(leaf)
        if got:
            return got
        if seen_title:
            after += 1
            if after >= 3:
                return None
    return None


_BR = "\x00"  # never in parsed text: marks a <br> while a block's text is read
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
_SPACE_PUNCT = re.compile(r" (?=[.,;:!?](?:\s|$))")


def _leaf_lines(leaf: Element) -> list[str]:
    """A text block's lines, each read as `heading_text` reads a heading.

    Lines end at `<br>`; in plain text (a `<pre>` of release notes) a line that opens with
    a bullet ("- Fixed ...") starts an item and the lines after it continue that item.
    """
    parts: list[str] = []
    _heading_parts(leaf, parts, _BR)
    text = " ".join(parts).replace("\u200b", "").replace("¶", "")
    lines = text.split(_BR) if _BR in text else [text]
    out: list[str] = []
    for line in lines:
        if "\n" in line:
            raw = line.split("\n")
            if any(_BULLET.match(r) for r in raw):
                item: list[str] = []
                for r in raw:
                    if _BULLET.match(r) and item:
                        text = _tidy(" ".join(item))
                        # "Bugfixes" above its bullets names them
                        out.append(text + ":" if not out and _is_label(text) else text)
                        item = []
                    item.append(_BULLET.sub("", r, count=1))
                out.append(_tidy(" ".join(item)))
                continue
        out.append(_tidy(line))
    return out


def _is_label(text: str) -> bool:
    """A short line that names what follows ("Bug fixes", "New features")."""
    return 0 < len(text) <= 40 and len(text.split()) <= 4 and not text.endswith(_ENDED)


def _tidy(text: str) -> str:
    """Whitespace collapsed, and none before a full stop or comma ("by @ana ." -> "by @ana.")."""
    return _SPACE_PUNCT.sub("", norm(text))


# Blocks that name the items below them ("Added", "Bug fixes") inside an entry.
_SUBHEAD_TAGS = frozenset({*HEADING_TAGS, "dt"})
# A chunk ending so already reads as finished; the next one follows after a space.
_ENDED = tuple(".!?…:;")


def join_items(items: list[tuple[str, bool]]) -> str:
    """One line from an entry's items, their boundaries kept: "Added: A; B; Fixed: C".

    Items are (text, is_subheading). A list item or line break would otherwise run into
    the next one ("Connector for SAP Ask questions ..."); a sentence already ends with
    its full stop, and a subheading is followed by a colon. One line, not newlines: the
    summary is shown in table cells, e-mail and terminals, which all keep "; ".
    """
    out: list[str] = []
    for text, head in items:
        if not text:
            continue
        if head and not text.endswith(_ENDED):
            text += ":"
        if out:
            out.append(" " if out[-1].endswith(_ENDED) else "; ")
        out.append(text)
    return "".join(out)


def section_summary(sec: _Section, skip: set[Element], limit: int = 300) -> str:
    """The entry body's first items, cut at a word boundary near `limit` characters."""
    title_like = {norm(heading_text(h)) for h in skip if h.tag in HEADING_TAGS}
    title_like |= {t.rsplit(" ", 1)[0] for t in title_like}
    lines = _SummaryLines(skip, title_like, limit)
    for n in sec.nodes:
        if not any(a in skip for a in n.iterancestors()):
            lines.walk(n)
        if lines.full:
            break
    body = join_items(lines.items)
    if len(body) <= limit:
        return body
    cut = body[:limit].rsplit(" ", 1)[0].rstrip(",;:-–— ")
    return cut + "…"


def body_summary(el: Element, limit: int = 300) -> str:
    """`section_summary` of a whole element (a feed item's HTML body)."""
    return section_summary(_Section(None, [el], el), set(), limit)


class _SummaryLines:
    """The lines of an entry's body in reading order, for `join_items`.

    A block without block children is one line (or several, split at `<br>`). A block
    that mixes text with blocks ("<li>Use <code>401</code> ... <ul><li>...") gives its own
    words, inline elements included, as one line before and between its blocks: read
    element by element, its text ran apart or was lost.
    """

    def __init__(self, skip: set[Element], title_like: set[str], budget: int) -> None:
        self.skip = skip
        self.title_like = title_like
        self.budget = budget
        self.items: list[tuple[str, bool]] = []
        self.total = 0
        self.last_ended = False

    @property
    def full(self) -> bool:
        return self.total > self.budget

    def _noise(self, text: str) -> bool:
        return (
            not text
            or bool(_SYMBOLS_ONLY.match(text))
            or bool(_NOT_BODY.match(text))
            or pure_date(text) is not None
            or _is_month_day(text)
            or text in self.title_like
        )

    def _skipped(self, el: Element) -> bool:
        return el in self.skip or el.get("datetime") is not None or _is_badge(el)

    def _add(self, text: str, head: bool) -> None:
        # the exact length `join_items` will give: once past the limit, the rest is cut
        if self.items:
            self.total += 1 if self.last_ended else 2
        shown = text if not head or text.endswith(_ENDED) else text + ":"
        self.total += len(shown)
        self.last_ended = shown.endswith(_ENDED)
        self.items.append((text, head))

    def walk(self, el: Element) -> None:
        if not isinstance(el.tag, str) or self._skipped(el) or self.full:
            return
        head = el.tag in _SUBHEAD_TAGS
        if not any(_is_block(c) for c in el):
            lines = _leaf_lines(el)
            if not head and len(lines) == 1 and _is_label(lines[0]):
                # "<p><strong>Improvements</strong></p><ul>...": a label of the list below
                nxt = el.getnext()
                head = nxt is not None and nxt.tag in ("ul", "ol", "dl", "pre")
            for text in lines:
                if not self._noise(text):
                    self._add(text, head)
            return
        run: list[str] = [el.text or ""]
        for child in el:
            if _is_block(child):
                self._flush(run, head)
                self.walk(child)
                run = []
            elif child.tag == "br":
                self._flush(run, head)
                run = []
            elif isinstance(child.tag, str) and not self._skipped(child):
                # an inline element alone is filtered as a line of its own would be
                parts = _leaf_lines(child)
                run.extend(t for t in parts if not self._noise(t))
            if child.tail:
                run.append(child.tail)
            if self.full:
                return
        self._flush(run, head)

    def _flush(self, run: list[str], head: bool) -> None:
        text = _tidy(" ".join(run).replace("\u200b", "").replace("¶", ""))
        if not self._noise(text):
            self._add(text, head)


def section_link(sec: _Section, base: str) -> str | None:
    if sec.heading is not None:
        link = heading_link(sec.heading, base)
        if link:
            return link
    for n in sec.nodes[:8]:
        for a in n.iter("a"):
            text = (a.text or "").strip().lower()
            if a.get("href") and _MORE.match(text):
                return clean_link(a.get("href"), base)
    for el in ([sec.heading] if sec.heading is not None else []) + [sec.anchor]:
        if el is not None and el.get("id"):
            return clean_link("#" + el.get("id"), base)
    return base or None


# --------------------------------------------------------------------------- strategies


def _headings(root: Element) -> dict[int, list[Element]]:
    by_level: dict[int, list[Element]] = {}
    for h in root.iter(*HEADING_TAGS):
        by_level.setdefault(_LEVEL[h.tag], []).append(h)
    return by_level


@lru_cache(maxsize=8192)
def _is_release_heading(raw: str) -> bool:
    """A heading that names a release by itself: a version or a date, in few words."""
    title, iso = split_title(raw)
    if is_placeholder(title) and not iso:
        return False
    if iso:
        return True
    vs = versions(title)
    return bool(vs) and len(title.split()) <= 6


def _entry_from_heading(sec: _Section, base: str, date_in_section: bool) -> Entry | None:
    assert sec.heading is not None
    raw = heading_text(sec.heading)
    title, iso, weak = split_title_ex(raw)
    if not title or is_placeholder(title):
        return None
    if (iso is None or weak) and date_in_section:
        iso = section_date(sec) or iso or _yearless_date(sec)

    def fill(e: Entry) -> None:
        summary = section_summary(sec, {sec.heading})
        # the date found here, not one a caller sets on the entry later
        e.summary = _strip_leading_date(summary) if iso else summary
        e.link = section_link(sec, base)

    return Entry(
        title=title, date=iso, link=None, summary="", versions=versions(title), pending=fill
    )


_MONTH_DAY = re.compile(r"^(?:([^\W\d_]{3,}\.?)\s+([0-3]?\d)|([0-3]?\d)\.?\s+([^\W\d_]{3,}\.?))$")
#: ... or opening a line, set off by a dash, a dot or a colon: "Dec 1 — A new theme."
_MONTH_DAY_LEAD = re.compile(_MONTH_DAY.pattern[:-1] + r"(?:\s*[-–—·|:]\s.*)?$")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def _yearless_date(sec: _Section) -> str | None:
    """ "Nov 18" under a "November 2026" group heading (alone on its line, or opening it:
    "Nov 18 — Export rows."): the group gives the year."""
    assert sec.heading is not None
    for i, leaf in enumerate(_section_leaves(sec)):
        if i >= 4:
            return None
        m = _MONTH_DAY_LEAD.match(norm(text_of(leaf)))
        if not m:
            continue
        word, day = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        month = _month_of(word)
        if not month:
            continue  # "Step 1: install", not a date
        level = _LEVEL[sec.heading.tag]
        for h in sec.heading.itersiblings(*HEADING_TAGS, preceding=True):
            if _LEVEL[h.tag] < level:
                y = _YEAR.search(heading_text(h))
                return _iso(int(y.group(1)), month, int(day)) if y else None
        for h in sec.heading.iterancestors():
            for prev in h.itersiblings(*HEADING_TAGS, preceding=True):
                if _LEVEL[prev.tag] < level:
                    y = _YEAR.search(heading_text(prev))
                    return _iso(int(y.group(1)), month, int(day)) if y else None
        return None
    return None


def _is_month_day(text: str) -> bool:
    """ "Nov 18" alone on a line: a date without its year, not body text."""
    m = _MONTH_DAY.match(text) if len(text) <= 16 else None
    return m is not None and _month_of(m.group(1) or m.group(4)) is not None


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _strip_leading_date(summary: str) -> str:
    found = find_date(summary[:60])
    if found and found[1][0] <= 2:
        return norm(summary[found[1][1] :].lstrip(" ·•|-–—,;:"))
    return summary


def _release_headings(root: Element, by_level: dict[int, list[Element]], base: str):
    """Strategy 1: the heading level with the most version/date headings."""
    best: tuple[int, int] | None = None
    strong_by_level: dict[int, list[Element]] = {}
    for level, hs in by_level.items():
        strong = [h for h in hs if _is_release_heading(heading_text(h))]
        strong_by_level[level] = strong
        if strong and (best is None or len(strong) > best[1]):
            best = (level, len(strong))
    if best is None or best[1] < 2:
        return None
    level = best[0]
    strong = strong_by_level[level]
    all_at_level = by_level[level]
    blockers = [h for lv, hs in by_level.items() if lv <= level for h in hs]
    sections = sections_for(strong, blockers, root)
    found: list[tuple[Element, Entry]] = []
    inside: set[Element] = set()
    for sec in sections:
        for n in sec.nodes:
            inside.update(n.iter(*HEADING_TAGS))
        e = _entry_from_heading(sec, base, date_in_section=True)
        if e:
            found.append((sec.heading, e))
        else:
            found.extend(_date_group(sec, level, base))
    # Undated, unversioned headings among mostly-dated ones are entries too (SaaS pages);
    # on a versioned page they are structure ("Deprecation policy") and stay out.
    first = all_at_level.index(strong[0])
    others = [h for h in all_at_level[first:] if h not in inside and h not in strong]
    if others and len(strong) / (len(strong) + len(others)) < 0.8:
        for sec in sections_for(others, blockers, root):
            e = _entry_from_heading(sec, base, date_in_section=True)
            if e:
                found.append((sec.heading, e))
        order = {h: i for i, h in enumerate(all_at_level)}
        found.sort(key=lambda pair: order[pair[0]])
    entries = [e for _, e in found]
    return entries


def _date_group(sec: _Section, level: int, base: str) -> list[tuple[Element, Entry]]:
    """A heading that is only a date ("## Nov 18, 2025") groups the entries below it."""
    assert sec.heading is not None
    title, iso = split_title(heading_text(sec.heading))
    if title or iso is None:
        return []
    subs = [h for n in sec.nodes for h in n.iter(*HEADING_TAGS) if _LEVEL[h.tag] > level]
    if subs:
        top = min(_LEVEL[h.tag] for h in subs)
        subs = [h for h in subs if _LEVEL[h.tag] == top]
        out = []
        scope = sec.nodes[0].getparent() if len(sec.nodes) > 1 else sec.nodes[0]
        stops = subs + [h for h in scope.iter(*HEADING_TAGS) if _LEVEL[h.tag] <= level]
        for sub in sections_for(subs, stops, scope):
            e = _entry_from_heading(sub, base, date_in_section=False)
            if e:
                e.date = e.date or iso
                out.append((sub.heading, e))
        return out
    body = section_summary(sec, {sec.heading}, limit=120)
    if not body:
        return []
    first = re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0].rstrip("…")
    return [(sec.heading, Entry(first, iso, section_link(sec, base), body, versions(first)))]


def _dated_headings(root: Element, by_level: dict[int, list[Element]], base: str):
    """Strategy 2a: headings whose entry block starts with a date."""
    best: tuple[int, list[Entry]] | None = None
    for level, hs in sorted(by_level.items()):
        if len(hs) < 2:
            continue
        blockers = [h for lv, hhs in by_level.items() if lv <= level for h in hhs]
        entries = []
        dated = 0
        for sec in sections_for(hs, blockers, root):
            e = _entry_from_heading(sec, base, date_in_section=True)
            if e:
                entries.append(e)
                dated += e.date is not None
        if dated and (best is None or dated > best[0]):
            best = (dated, entries)
    return best


def _signature(el: Element) -> tuple[str, str]:
    classes = sorted(c for c in (el.get("class") or "").split() if not re.search(r"\d{3}", c))
    return el.tag, " ".join(classes)


def _dated_blocks(root: Element, base: str):
    """Strategy 2b: repeated sibling blocks (cards, label/description blocks) with dates."""
    best: tuple[int, list[Element]] | None = None
    for parent in root.iter():
        if not isinstance(parent.tag, str) or len(parent) < 2:
            continue
        groups: dict[tuple[str, str], list[Element]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag not in HEADING_TAGS and len(child) >= 2:
                groups.setdefault(_signature(child), []).append(child)
        for members in groups.values():
            if len(members) < 2:
                continue
            dated = sum(1 for m in members if _block_head_date(m))
            if dated and (best is None or dated > best[0]):
                best = (dated, members)
    if best is None:
        return None
    entries = []
    for m in best[1]:
        if m.tag == "tr" and m.find("td") is None:
            continue  # a table's header row
        e = _entry_from_block(m, base)
        if e:
            entries.append(e)
    return best[0], entries


def _block_head_date(block: Element) -> str | None:
    for i, leaf in enumerate(leaves(block)):
        if i >= 4:
            break
        text = norm(text_of(leaf))
        if len(text) > 140:
            break
        got = _leaf_date(leaf)
        if got:
            return got
    return None


def _entry_from_block(block: Element, base: str) -> Entry | None:
    """An entry from a card-like block: its leading heading, else its first non-date line."""
    iso = None
    title_leaf = None
    version_line: tuple[Element, str] | None = None
    candidates: list[Element] = []
    for i, leaf in enumerate(leaves(block)):
        if i >= 6:
            break
        text = norm(text_of(leaf))
        if not text:
            continue
        got = _leaf_date(leaf)
        if got and iso is None:
            iso = got
            # "v4.2.0 · November 18, 2026" (a <summary>, a card's first line): the
            # version beside the date names the entry
            rest = split_title(text)[0]
            if not candidates and rest and versions(rest) and len(rest.split()) <= 4:
                version_line = (leaf, rest)
            continue
        if 2 <= len(text) <= 200:
            candidates.append(leaf)
    for leaf in candidates[:3]:
        head = leaf if leaf.tag in HEADING_TAGS else None
        if head is None:
            head = next((a for a in leaf.iterancestors(*HEADING_TAGS)), None)
        if head is not None and block in head.iterancestors():
            e = _entry_from_heading(_Section(head, [block], block), base, date_in_section=False)
            if e and e.date is None:
                e.date = iso
            return e
    if version_line is not None:
        leaf, title = version_line
        sec = _Section(None, [block], block)

        def fill_version(e: Entry) -> None:
            e.summary = section_summary(sec, {leaf})
            e.link = section_link(sec, base)

        return Entry(title, iso, None, "", versions(title), fill_version)
    if candidates:
        title_leaf = candidates[0]
    if title_leaf is None:
        return None
    title, iso2 = split_title(norm(text_of(title_leaf)))
    if not title or is_placeholder(title):
        return None
    sec = _Section(None, [block], block)
    lead = title_leaf
    # "<p><strong>Bulk export.</strong> Export up to 10,000 rows.</p>": the bold run
    # names the entry, the sentence after it is its summary.
    named = _bold_lead_in(title_leaf)
    rest = ""
    if named is not None and title.startswith(named[0]):
        title, rest = named

    def fill_block(e: Entry) -> None:
        dated = {leaf for leaf in leaves(block) if _leaf_date(leaf) == iso} if iso else set()
        e.summary = "; ".join(p for p in (rest, section_summary(sec, {lead, *dated})) if p)
        link = None
        for a in lead.iter("a"):
            link = clean_link(a.get("href"), base)
            break
        e.link = link if link is not None else section_link(sec, base)

    return Entry(title, iso or iso2, None, "", versions(title), fill_block)


_LEAD_END = re.compile(r"\s*(?:[.!]|\s[-–—])\s*$")


def _bold_lead_in(leaf: Element) -> tuple[str, str] | None:
    """(name, the rest) when `leaf` opens with a bold run ended by a full stop or a dash and
    followed by a sentence: a name in bold, not a one-word label ("New:", "Fixed")."""
    if (leaf.text or "").strip() or not len(leaf):
        return None
    first = leaf[0]
    if not isinstance(first.tag, str) or first.tag not in _LEAD_TAGS:
        return None
    bold = norm(text_of(first))
    after = norm(text_of(leaf))[len(bold) :].strip()  # as promote_pseudo_headings reads it
    if not (bold.endswith((".", "!")) or re.match(r"[-–—]\s", after)):
        return None
    name = _LEAD_END.sub("", bold).strip()
    rest = re.sub(r"^[-–—]\s*", "", after).strip()
    if not 2 <= len(name.split()) <= 8 or len(rest.split()) < 3:
        return None
    return name, rest


def _undated_headings(root: Element, by_level: dict[int, list[Element]], base: str):
    """Strategy 3: the most repeated heading level, entries without dates."""
    candidates = [(len(hs), -lv, lv) for lv, hs in by_level.items() if len(hs) >= 2]
    if not candidates:
        return []
    level = max(candidates)[2]
    blockers = [h for lv, hs in by_level.items() if lv <= level for h in hs]
    entries = []
    for sec in sections_for(by_level[level], blockers, root):
        e = _entry_from_heading(sec, base, date_in_section=True)
        if e:
            entries.append(e)
    return entries


def entries_from_html(doc: Element, base: str) -> list[Entry]:
    """All entries of a (parsed) changelog page, newest first as the page lists them.

    Pages without heading markup get two more tries: bold lead lines and `<summary>`
    elements read as headings (hand-written pages, accordions), then the entries a
    single-page app ships as JSON in a script (the HTML being an empty shell).
    """
    from intel.extract.changelog_json import entries_from_scripts

    scripts = entries_from_scripts(doc, base)
    clean(doc)
    root = main_root(doc)
    got = _entries(root, base)
    if len(got) < 2:
        complete(got)  # before the page is re-read with bold lines as headings
        if promote_pseudo_headings(root):
            got = _entries(root, base) or got
    if len(got) < 2 and len(scripts) > len(got):
        got = scripts
    return complete(got)


_PSEUDO_TAG = "h6"
_LEAD_TAGS = ("strong", "b")


def promote_pseudo_headings(root: Element) -> bool:
    """Read bold lead lines and `<summary>` elements as headings, in place.

    A paragraph whose text opens with a short bold run and holds nothing else but a
    date ("<p><strong>WhatsApp channel</strong><br>Nov 18, 2026</p>") titles what
    follows it, as does the `<summary>` of a `<details>` accordion. True if any.
    """
    found = False
    for el in list(root.iter("p", "div", "summary")):
        if el.tag == "summary":
            if el.getparent() is not None and el.getparent().tag == "details":
                el.tag = _PSEUDO_TAG
                found = True
            continue
        if (el.text or "").strip() or not len(el):
            continue
        lead = el[0]
        if not isinstance(lead.tag, str) or lead.tag not in _LEAD_TAGS:
            continue
        if any(isinstance(c.tag, str) and c.tag in _BLOCK_TAGS for c in el):
            continue
        name = norm(text_of(lead))
        if not name or len(name.split()) > 12:
            continue
        rest = norm(text_of(el))[len(name) :]
        if re.search(r"[^\W\d_]", rest) and not pure_date(rest):
            continue  # a bold lead-in of a running paragraph
        el.tag = _PSEUDO_TAG
        found = True
    return found


def _entries(root: Element, base: str) -> list[Entry]:
    by_level = _headings(root)
    got = _release_headings(root, by_level, base)
    if got and len(got) >= 10:
        return got
    # A few version-like sub-headings must not beat a page of dated cards.
    dated_h = _dated_headings(root, by_level, base)
    dated_b = _dated_blocks(root, base)
    best_dated: list[Entry] | None = None
    if dated_h or dated_b:
        if dated_b and (not dated_h or dated_b[0] > dated_h[0]):
            best_dated = dated_b[1]
        else:
            assert dated_h is not None
            best_dated = dated_h[1]
    if got and (best_dated is None or _n_dated(best_dated) <= len(got)):
        return got
    if best_dated:
        return best_dated
    return _undated_headings(root, by_level, base)


def _n_dated(entries: list[Entry]) -> int:
    return sum(1 for e in entries if e.date)
