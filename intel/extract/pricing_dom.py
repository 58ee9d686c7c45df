"""Plans as a page shows them: plan cards in a grid and comparison tables.

How a card is found without knowing the page's class names: every price on the page
(a currency next to a number, however it is split across elements) and every "Contact
sales"/"Custom" label is located; an element whose children hold prices for two or more
*differently named* siblings is a grid, and those children are the plan cards. Grids are
taken deepest first, so a card's own monthly/annual pair never looks like a grid, and a
section that merely contains the grid next to a testimonial never becomes a card.

Inside a card, text is read in lines (block elements break lines, inline ones such as
`<span>$</span>12<sup>.99</sup>` join), so split prices read as written. Toggles that keep
both prices in data attributes (`data-monthly="$10" data-annually="$8"`) are expanded into
one line per billing before reading, which makes the visible default irrelevant.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import accumulate
from typing import Any

from lxml import etree

from intel.extract.pricing_money import (
    CURRENCY_TOKEN,
    CUSTOM_RE,
    FREE_RE,
    billing_of,
    billing_of_token,
    find_prices,
    has_price,
    is_per_seat,
    period_of,
)

INLINE = frozenset(
    "a abbr b bdi bdo cite code data dfn em font i kbd mark q samp small span strong sub sup "
    "time u var label img input select button output wbr".split()
)
SKIP_TEXT = frozenset(
    "script style noscript template svg del s strike title head iframe object".split()
)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_WS = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_NOISE_ATTR = re.compile(
    r"cookie|consent|gdpr|onetrust|\bcky-|cc-window|cc-banner|truste|didomi|usercentrics", re.I
)
_BADGE = re.compile(
    r"^(?:most popular|popular|best value|recommended|best deal|new|limited offer|our pick|"
    r"beliebt(?:este wahl)?|empfohlen|人気|おすすめ|save \d+\s?%|-?\d+\s?% off)$",
    re.I,
)
_NAME_CLASS = re.compile(r"(?:^|[-_])(?:name|title|heading|headline)(?:$|[-_])", re.I)
_BILLING_WORD = re.compile(
    r"^(?:monthly|annual(?:ly)?|yearly|billed (?:monthly|annually|yearly)|pay (?:monthly|yearly|annually))$",
    re.I,
)
_INHERIT = re.compile(
    r"^(?:everything|all(?: features)?|all the features) (?:in|from|of|on)\b|^alles (?:aus|in|von)\b"
    r"|^tout (?:ce qu|dans|de)\b|^todo (?:lo )?(?:de|en)\b|^(?:[\w\s]+)の(?:全機能|すべて)",
    re.I,
)
_NOT_INCLUDED_TEXT = re.compile(
    r"\bnot (?:included|available)\b|\bunavailable\b|\bnicht (?:enthalten|verfügbar)\b|^(?:no|nein|non|—|–|-|✗|✕|✖|✘|❌|×|x)$",
    re.I,
)
_INCLUDED_TEXT = re.compile(
    r"^[✓✔☑✅]\ufe0f?$|^(?:yes|ja|oui|sí|included|available)\b|\bincluded\b", re.I
)
_ICON_NO = re.compile(
    r"cross|close|times|minus|dash|x-?mark|(?:^|[-_ ])x(?:$|[-_ ])|(?:^|[-_ ])no(?:$|[-_ ])|not-?included|unavailable|excluded|disabled",
    re.I,
)
_ICON_YES = re.compile(r"check|tick|(?:^|[-_ ])yes(?:$|[-_ ])|included|available|success", re.I)
_LEAD_MARK = re.compile(r"^[\s✓✔☑✅•·\-–—*+]+")
#: an element's text with its descendants' (lxml.html's `text_content()`, for plain elements)
#: (the same string as XPath's string(); serialising as text costs a quarter of the XPath call)
_string = partial(etree.tostring, method="text", encoding="unicode", with_tail=False)
#: an element's markup, without its tail: equal markup, equal text and attributes
_markup = partial(etree.tostring, with_tail=False)


@dataclass(slots=True)
class Line:
    """One visual line of text with the billing hinted by the elements it came from."""

    text: str
    hints: list[tuple[int, str | None]] = field(default_factory=list)
    in_li: bool = False

    def hint_at(self, pos: int) -> str | None:
        current = None
        for off, hint in self.hints:
            if off > pos:
                break
            current = hint
        return current


def clean(text: str | None) -> str:
    """Whitespace runs as one space, none at the ends (str.split's whitespace is regex \\s)."""
    return " ".join(text.split()) if text else ""


_NOISE_TAGS = ("script", "style", "noscript", "template", "head", "nav", "iframe", "object")
# Attribute values, read by libxml2 in one go (a Python loop over every element of a
# large page costs more than parsing it). Regex words hold no spaces, so an element's
# "id class" matches exactly when its id or its class does.
_ID_CLASS = etree.XPath("//@id|//@class")
_ID_CLASS_VALUES = etree.XPath("//@id|//@class", smart_strings=False)
# The words of `_NOISE_ATTR` as plain substrings of lower-cased text: a fast test that no
# id or class can match it. Lower-casing is folded the way re.I folds: the only non-ASCII
# letters re.I matches to ASCII ones are İ ı ſ K (the last lower-cases to k by itself).
_NOISE_WORDS = (
    "cookie",
    "consent",
    "gdpr",
    "onetrust",
    "cky-",
    "cc-window",
    "cc-banner",
    "truste",
    "didomi",
    "usercentrics",
)


def _noise_candidates(values: list[str]) -> set[int]:
    """Indexes of the values that may match `_NOISE_ATTR`: one lower-cased blob, searched
    for each word with `str.find`, instead of the case-blind regex on every value."""
    blob = "\n".join(values).replace("\u0130", "i").lower()
    blob = blob.replace("\u0131", "i").replace("\u017f", "s")
    if len(blob) != len("\n".join(values)):
        return set(range(len(values)))  # a letter that lower-cases to two: read them all
    starts: list[int] = []
    size = 0
    for v in values:
        starts.append(size)
        size += len(v) + 1
    hits: set[int] = set()
    for w in _NOISE_WORDS:
        at = blob.find(w)
        while at != -1:
            hits.add(bisect_right(starts, at) - 1)
            at = blob.find(w, at + 1)
    return hits


_ROLES = etree.XPath("//@role")


def strip_noise(root: etree._Element) -> list[etree._Element]:
    """Drop what is never pricing: scripts, navigation, cookie banners, consent dialogs,
    tooltips (a feature's hover note is not part of its name).

    Returns the elements that say they are tables (`role="table"`/`"grid"`), found on the
    same scan of roles, for `aria_tables`.
    """
    # Found by lxml's own tag matching (no Python loop over every element); removed below
    # with their tail text kept and joined to the text before it, so "Contact<!-- -->
    # sales" stays one text node.
    doomed: dict[etree._Element, None] = dict.fromkeys(
        root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity, *_NOISE_TAGS)
    )
    tables: list[etree._Element] = []
    for value in _ROLES(root):
        if value in ("navigation", "dialog", "alertdialog", "tooltip"):
            doomed[value.getparent()] = None
        elif value in ("table", "grid"):
            tables.append(value.getparent())
    # Plain values first (cheap); the regex runs only on the few that hold a noise word, and
    # only then are the values read again knowing their elements (by index: same order).
    values = _ID_CLASS_VALUES(root)
    hits = [i for i in sorted(_noise_candidates(values)) if _NOISE_ATTR.search(values[i])]
    if hits:
        owned = _ID_CLASS(root)
        for i in hits:
            doomed[owned[i].getparent()] = None
    for el in doomed:
        _remove_keeping_tail(el)
    return tables


_ARIA_TABLE_TAGS = {
    "rowgroup": "tbody",
    "row": "tr",
    "columnheader": "th",
    "rowheader": "th",
    "cell": "td",
    "gridcell": "td",
}


def aria_tables(tables: list[etree._Element]) -> None:
    """Read a table of divs (`role="table"`, `"row"`, `"cell"` ...) with column headers as
    the <table> it says it is, so comparison tables built by component libraries take the
    table path. One without column headers (a row per plan, named by its row header) is
    read as it was, as cards."""
    for table in tables:
        if table.tag == "table" or not any(
            e.get("role") == "columnheader" for e in table.iterdescendants()
        ):
            continue
        for el in table.iterdescendants():
            role = el.get("role")
            if role in _ARIA_TABLE_TAGS:
                el.tag = _ARIA_TABLE_TAGS[role]
        table.tag = "table"


def div_tables(root: etree._Element) -> None:
    """Read a grid of divs laid out as a table with plans as columns as that table.

    `<div class="row">Starter | Pro</div><div class="row">$9/mo | $29/mo</div>...`: a row
    of names over a row of prices, every row as many cells, each plan's parts in no
    element of its own. Read as cards, every price would go to the first name.
    """
    for grid in root.iter("div", "section", "ul"):
        # Cheap shape tests first: most elements fail on their first two children.
        if len(grid) < 2:
            continue
        first = grid[0]
        width = len(first)
        if not 2 <= width <= 8 or len(grid[1]) != width:
            continue
        tag = first.tag
        if not isinstance(tag, str) or any(r.tag != tag or len(r) != width for r in grid):
            continue
        # A table's cells are alike (all divs); a plan card's parts are not (h3, p, ul).
        if any(c.tag != r[0].tag for r in grid for c in r):
            continue
        rows = list(grid)
        names = next((i for i, r in enumerate(rows) if _names_row(r)), None)
        if names is None:
            continue
        priced = [_prices_row(r) for r in rows]
        if not any(priced[names + 1 :]):
            continue
        corner = clean(_string(rows[names][0]))
        corner = not corner or not good_name(corner)
        grid.tag = "table"
        for r, is_priced in zip(rows, priced, strict=True):
            r.tag = "tr"
            for c in r:
                c.tag = "td"
            if not corner:
                # No label column: the table path reads labels in the first cell. A row of
                # prices is labelled so; a row of bare values ("5 seats") has no feature
                # name to give, and is left unread.
                label = etree.Element("td")
                label.text = "Price" if is_priced else ""
                r.insert(0, label)


def _names_row(row: etree._Element) -> bool:
    """Plan names in every cell (the first may be a blank corner or a row label).

    Cell by cell, stopping at the first that is no name: a row of plan cards fails on
    its second cell, the price."""
    seen: list[str] = []
    for k, cell in enumerate(row):
        text = clean(_string(cell))
        if k == 0 and not good_name(text):
            continue
        if not good_name(text) or text in seen:
            return False
        seen.append(text)
    return len(seen) >= 2


def _prices_row(row: etree._Element) -> bool:
    """A price, or a "Contact sales" label, in every cell but perhaps a first label."""
    priced = 0
    for k, cell in enumerate(row):
        text = clean(_string(cell))
        if has_price(text) or CUSTOM_RE.match(text):
            priced += 1
        elif k:
            return False
    return priced >= 2


_DATA_ATTRS = etree.XPath("//@*[starts-with(name(), 'data-')]")


def expand_toggles(root: etree._Element) -> None:
    """Rewrite `data-monthly/data-annually` toggles into one line per billing, hidden or not."""
    holders: list[tuple[etree._Element, dict[str, str]]] = []
    for el in dict.fromkeys(a.getparent() for a in _DATA_ATTRS(root)):
        variants: dict[str, str] = {}
        for k, v in el.attrib.items():
            if k.startswith("data-") and k not in ("data-billing", "data-default"):
                b = billing_of_token(k[5:])
                if b and b not in variants:
                    variants[b] = v
        if len(variants) >= 2:
            holders.append((el, variants))
    if not holders:
        return
    lines: list[etree._Element] = []
    for el, variants in holders:
        if not any(has_price(v) or _BARE_AMOUNT.fullmatch(v) for v in variants.values()):
            continue
        line = el.getparent()
        if line is None or _has_structure(line):
            line = el
        if line not in lines:
            lines.append(line)
    for line in lines:
        parent = line.getparent()
        if parent is None:
            continue
        billings = []
        for el in line.iter():
            for k in el.attrib:
                if k.startswith("data-"):
                    b = billing_of_token(k[5:])
                    if b and b not in billings and k not in ("data-billing", "data-default"):
                        billings.append(b)
        wrapper = etree.Element("div")
        for b in billings:
            clone = copy.deepcopy(line)
            clone.tail = None
            for el in clone.iter():
                if not isinstance(el.tag, str):
                    continue
                value = None
                for k, v in list(el.attrib.items()):
                    if k.startswith("data-") and billing_of_token(k[5:]) == b:
                        value = v
                if value is not None and not _swap_amount(el, value, _bare_amounts(el)):
                    for child in list(el):
                        el.remove(child)
                    el.text = value
            block = etree.SubElement(wrapper, "div")
            block.set("data-billing", b)
            block.append(clone)
        wrapper.tail = line.tail
        parent.replace(line, wrapper)


_BARE_AMOUNT = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*")
_SHOWN_AMOUNT = re.compile(r"\d+(?:[.,]\d+)?")


def _bare_amounts(el: etree._Element) -> set[str]:
    """The bare amounts of `el`'s billing data attributes (`data-monthly="12"` gives "12")."""
    out = set()
    for k, v in el.attrib.items():
        m = _BARE_AMOUNT.fullmatch(v)
        if m and k.startswith("data-") and billing_of_token(k[5:]):
            out.add(m.group(1))
    return out


def _swap_amount(el: etree._Element, value: str, shown: set[str]) -> bool:
    """Put a bare amount (`data-annual="10"`) in place of the amount `el` shows.

    `<span data-monthly="12" data-annual="10">$<b>12</b>/mo</span>`: the currency and the
    period around the shown amount are kept ("$10/mo", not "10"). The shown amount is
    found as one of the variants' own amounts, so "Save 20%" beside it is left alone.
    False when `value` is not a bare amount or no variant's amount is shown.
    """
    m = _BARE_AMOUNT.fullmatch(value)
    if not m or not shown:
        return False
    nodes: list[tuple[etree._Element, str]] = [(el, "text")]
    for d in el.iterdescendants():
        nodes += [(d, "text"), (d, "tail")]
    for node, attr in nodes:
        text = getattr(node, attr)
        if not text:
            continue
        for hit in _SHOWN_AMOUNT.finditer(text):
            if hit.group() in shown:
                setattr(node, attr, text[: hit.start()] + m.group(1) + text[hit.end() :])
                return True
    return False


def _has_structure(el: etree._Element) -> bool:
    return next(el.iterdescendants(*HEADINGS, "li", "ul"), None) is not None


_HINT_KEYS = (
    "data-billing",
    "data-period",
    "data-interval",
    "data-frequency",
    "data-cycle",
    "data-term",
)
_ANNUAL_TOKEN = re.compile(r"(?:^|[-_])(?:annual|annually|yearly)(?:$|[-_])")
_MONTHLY_TOKEN = re.compile(r"(?:^|[-_])monthly(?:$|[-_])")


_HINT_KEY_SET = frozenset(_HINT_KEYS)


def _hint(el: etree._Element) -> str | None:
    keys = el.keys()
    return _hint_of(el, keys) if keys else None


def _hint_of(el: etree._Element, keys: list[str]) -> str | None:
    """`_hint` for an element whose attribute names are `keys` (not empty)."""
    if not _HINT_KEY_SET.isdisjoint(keys):
        for k in _HINT_KEYS:
            if k in keys:
                v = el.get(k)
                if v:
                    b = billing_of_token(v)
                    if b:
                        return b
    cls = el.get("class")
    hint = _class_hint(cls) if cls else None
    if hint is None and "id" in keys:
        # a tab panel per billing: <div role="tabpanel" id="yearly">
        return _class_hint(el.get("id") or "")
    return hint


@lru_cache(maxsize=4096)
def _class_hint(cls: str) -> str | None:
    """The billing a class or id names (`price--annual`): pages repeat the same few strings."""
    for tok in cls.split():
        t = tok.lower()
        if _ANNUAL_TOKEN.search(t):
            return "annual"
        if _MONTHLY_TOKEN.search(t):
            return "monthly"
    return None


def _ws(chunk: str) -> str:
    # The regex only when there is whitespace to collapse: every whitespace character but
    # the space is unprintable, so printable text without a double space is already clean.
    if chunk.isprintable() and "  " not in chunk:
        return chunk
    return _WS.sub(" ", chunk)


def _billing_around(card: etree._Element) -> str | None:
    """The billing an ancestor of a card names: a tab panel or block per billing
    (`<div role="tabpanel" id="yearly">`, `<section class="pricing--annual">`)."""
    for a in card.iterancestors():
        if a.tag in ("body", "main"):
            break
        keys = a.keys()
        if keys:
            hint = _hint_of(a, keys)
            if hint:
                return hint
    return None


def text_lines(
    el: etree._Element,
    li_lines: dict[etree._Element, list[str]] | None = None,
    around: str | None = None,
) -> list[Line]:
    """The element's text as lines: block elements break, inline elements join as written.

    `around`: the billing the element's surroundings name, for text that names none.
    With `li_lines`, the lines of each list item read on the way are kept there, so a
    card's features need no second walk (they are the same lines `text_lines(li)` gives,
    but for the item's tail).

    The hottest loop of the extractor (every card, name and cell is read through it):
    hence the inlined tests and the one-chunk fast path of `flush`.
    """
    lines: list[Line] = []
    chunks: list[tuple[str, str | None]] = []
    add = chunks.append
    li_depth = 0
    in_li = False

    def flush() -> None:
        # Called only with chunks to join.
        nonlocal in_li
        if len(chunks) == 1:
            # One text node (most lines): no offsets to shift.
            chunk, hint = chunks[0]
            c = chunk if chunk.isprintable() and "  " not in chunk else _WS.sub(" ", chunk)
            stripped = c.strip()
            if stripped:
                lines.append(Line(stripped, [(0, hint)], in_li))
        else:
            text: list[str] = []
            hints: list[tuple[int, str | None]] = []
            pos = 0
            for chunk, hint in chunks:
                c = _ws(chunk)
                if not c:
                    continue
                if not text or (hints and hints[-1][1] != hint):
                    hints.append((pos, hint))
                text.append(c)
                pos += len(c)
            joined = "".join(text)
            stripped = joined.strip()
            if stripped:
                lead = len(joined) - len(joined.lstrip())
                lines.append(Line(stripped, [(max(0, o - lead), h) for o, h in hints], in_li))
        chunks.clear()
        in_li = li_depth > 0

    def walk(e: etree._Element, hint: str | None) -> None:
        nonlocal li_depth, in_li
        tag = e.tag
        if isinstance(tag, str) and tag and tag not in SKIP_TEXT:
            keys = e.keys()
            h = (_hint_of(e, keys) or hint) if keys else hint
            block = tag not in INLINE  # <br> included
            if block and chunks:
                flush()
            is_li = tag == "li" and e is not el  # a card may itself be a list item
            if is_li:
                li_depth += 1
                in_li = True
                start = len(lines)
            t = e.text
            if t:
                add((t, h))
            for child in e:
                walk(child, h)
            if is_li:
                if chunks:
                    flush()
                if li_lines is not None:
                    li_lines[e] = [ln.text for ln in lines[start:]]
                li_depth -= 1
                in_li = li_depth > 0
            if block and chunks:
                flush()
        t = e.tail
        if t:
            add((t, hint))

    walk(el, _hint(el) or around)
    if chunks:
        flush()
    return lines


def _is_price_like(text: str) -> bool:
    return has_price(text)


def good_name(text: str) -> bool:
    if not text or len(text) > 50 or len(text.split()) > 6:
        return False
    if not re.search(r"\w", text):
        return False
    if (
        _is_price_like(text)
        or CUSTOM_RE.match(text)
        or _BADGE.match(text)
        or _BILLING_WORD.match(text)
    ):
        return False
    return not re.fullmatch(r"[\d\s.,/%+-]+", text)


def _name_text(el: etree._Element) -> str:
    # A heading can carry a badge inside it ("Pro <span>Popular</span>"): prefer its own text.
    own = clean(el.text)
    if own and good_name(own):
        return own
    for line in text_lines(el):
        t = line.text
        for part in re.split(r"\s{2,}|\s[·|–—]\s", t):
            part = part.strip()
            if good_name(part):
                return part
    return ""


def name_of(card: etree._Element) -> str | None:
    """The plan name of a card: its first heading that is not a price, badge or billing word."""
    if card.tag == "dd":
        # A definition list names each value by the term before it: <dt>Pro</dt><dd>$12</dd>
        term = next(card.itersiblings("dt", preceding=True), None)
        if term is not None:
            t = _name_text(term)
            if t:
                return t
    for h in card.iter(*HEADINGS):
        t = _name_text(h)
        if t:
            return t
    for e in card.iter():
        if not isinstance(e.tag, str) or e.tag in SKIP_TEXT:
            continue
        cls = e.get("class")
        if e.get("role") in ("heading", "rowheader") or (cls and _names_a_name(cls)):
            t = _name_text(e)
            if t:
                return _without_subtitle(e, t)
    # No visible name: builders (Framer, Webflow) often put it in the card's aria-label
    # or in the alt of the plan's artwork.
    # ... or it is the card's leading bold text (`<li><b>Family</b><div>$9</div>..`)
    first = next((c for c in card if isinstance(c.tag, str)), None)
    if first is not None and first.tag in ("b", "strong") and not clean(card.text):
        t = _name_text(first)
        if t:
            return t
    label = clean(card.get("aria-label"))
    if label and good_name(label):
        return label
    for img in card.iter("img"):
        alt = clean(img.get("alt"))
        if alt and good_name(alt) and next(img.iterancestors("li"), None) is None:
            return alt
    # ... or nothing marks it (component libraries: every line a `<p class="text">`): the
    # card's first line, when it reads as a name and comes before the price.
    if _one_line(card):
        return None  # (most price elements: `<div><span>$</span>12 <span>/mo</span></div>`)
    lines = text_lines(card)
    if len(lines) >= 2 and not lines[0].in_li and good_name(lines[0].text):
        return _without_subtitle(card, lines[0].text)
    return None


@lru_cache(maxsize=4096)
def _names_a_name(cls: str) -> bool:
    """A class attribute with a token like `plan-name`/`card__title` (pages repeat their classes)."""
    return any(_NAME_CLASS.search(c) for c in cls.split())


def _one_line(el: etree._Element) -> bool:
    """True when `text_lines(el)` surely gives at most one line: nothing in it breaks a line
    (only inline descendants) and, for a block, no tail after it. A cheap bound, not exact."""
    tag = el.tag
    if not isinstance(tag, str) or not tag or tag in SKIP_TEXT:
        return False
    if tag not in INLINE and el.tail:
        return False
    for d in el.iterdescendants():
        t = d.tag
        if isinstance(t, str) and t not in INLINE:
            return False
    return True


def _ancestors_upto(el: etree._Element, n: int) -> Iterator[etree._Element]:
    yield el
    for i, a in enumerate(el.iterancestors()):
        if i >= n:
            break
        yield a


def _li_card(li: etree._Element) -> bool:
    """A list item built of blocks and a button (`<li class="tier"><strong>..<div>..<button>`)
    is a plan card in a list of plans; a feature bullet is a line of text with an icon."""
    return (
        len(li) >= 2
        and any(c.tag in ("div", "p") for c in li)
        and any(
            c.tag in ("button", "a") or next(c.iterdescendants("button"), None) is not None
            for c in li
        )
    )


def _excluded(el: etree._Element) -> bool:
    """Prices in tables, struck-through prices and prices inside a feature bullet are not plan prices."""
    if el.tag in ("table", "thead", "tbody", "tfoot", "tr"):
        return True  # a small table whose whole text reads as one price: the table path reads it
    for a in el.iterancestors():
        tag = a.tag
        if tag in ("table", "del", "s", "strike"):
            return True
        if tag == "li":
            if (
                not _li_card(a)
                and next(a.iterdescendants("h1", "h2", "h3", "h4"), None) is None
                and len(clean(_string(a))) < 160
            ):
                return True
        if tag in ("main", "body"):
            break
    return False


_BODY_TEXTS = etree.XPath("//body//text()")


# Text longer than this is never one price: `price_elements` stops climbing at an element
# whose text is longer, and every ancestor of a text node is at least as long.
_PRICE_TEXT_MAX = 600


def _currency_holders(texts: list[Any]) -> set[etree._Element]:
    """Every element whose text holds a currency symbol or code (a superset: no word boundaries).

    A price needs one, so an element outside this set needs no look at its text. Found with
    one scan of the body's text (the text nodes joined, as `string()` joins them), so a
    symbol split across elements still marks the element that holds both halves. Text nodes
    too long to be part of a price are left out: an element holding one is never read.
    """
    small = [t for t in texts if len(t) <= _PRICE_TEXT_MAX]
    offsets = list(accumulate(map(len, small), initial=0))  # where each text starts (+ the end)
    joined = "".join(small)
    holders: set[etree._Element] = set()
    for m in CURRENCY_TOKEN.finditer(joined):
        first = bisect_right(offsets, m.start()) - 1
        last = bisect_right(offsets, m.end() - 1) - 1
        for t in small[first : last + 1]:
            el = t.getparent()
            if el is None:
                continue
            if el in holders:
                continue
            holders.add(el)
            for anc in el.iterancestors():
                if anc in holders:
                    break
                holders.add(anc)
    return holders


# The first two letters, case-folded, of every text CUSTOM_RE or FREE_RE can match (they
# match case-blind: of non-ASCII letters only K and ſ fold to one of these, to k and s).
# tests/test_pricing_speed.py checks that each of their alternatives starts so.
_LABEL_PAIRS = frozenset(
    "cu co ta le ge re on ca bo pr fl au ko su no fr gr".split()
    + ["a ", "お問", "お見", "要相", "联系", "문의", "無料", "免费", "무료"]
)
_LABEL_FIRST = frozenset(p[0] for p in _LABEL_PAIRS)


def price_elements(root: etree._Element) -> list[etree._Element]:
    """Smallest elements whose text is a price, or a 'Contact sales'-style label (not a link)."""
    found: list[etree._Element] = []
    seen: set[int] = set()
    texts = _BODY_TEXTS(root)
    holders = _currency_holders(texts)
    # Elements above <body> hold text the scan did not read: always read theirs.
    for body in root.getroottree().getroot().iter("body"):
        holders.update(body.iterancestors())
    # Per element: None = text too long to be one price (stop climbing), else whether it is one.
    verdicts: dict[etree._Element, bool | None] = {}
    for t in texts:
        # Cheap tests first: most text nodes can be neither a price nor a label.
        n = len(t)
        if n > _PRICE_TEXT_MAX:
            continue
        digit = _DIGIT.search(t) is not None
        custom = None
        if not digit:
            if n >= 40:
                continue
            # Both label patterns start with one of a few letter pairs: the regexes only then.
            if t.lstrip()[:1].casefold() not in _LABEL_FIRST:
                continue
            st = clean(t)
            if st[:2].casefold() not in _LABEL_PAIRS:
                continue
            custom = CUSTOM_RE.match(st)
            if not (custom or FREE_RE.match(st)):
                continue
        host = t.getparent()
        if host is None:
            continue
        if t.is_tail:
            host = host.getparent()
            if host is None:
                continue
        if not isinstance(host.tag, str) or host.tag in SKIP_TEXT:
            continue
        hit = None
        if digit:
            a = host  # then up to 3 ancestors
            for _ in range(4):
                if len(a) > 12:
                    break  # a container of many blocks is no longer "one price"
                if a in holders:
                    if a in verdicts:
                        verdict = verdicts[a]
                    else:
                        verdict = verdicts[a] = _price_verdict(a)
                    if verdict is None:
                        break
                    if verdict:
                        hit = a
                        break
                # else: no currency, so no price; and an ancestor's text holds this one's,
                # so "too long" would still stop the climb at the next element read.
                a = a.getparent()
                if a is None:
                    break
        else:
            # "Free" as a heading is a plan's name; "Contact us" as a heading is its price
            if (
                (host.tag in HEADINGS and not custom)
                or host.tag in ("a", "button")
                or any(a.tag in ("a", "button") for a in host.iterancestors())
            ):
                continue
            hit = host
        if hit is None or id(hit) in seen or _excluded(hit):
            continue
        seen.add(id(hit))
        found.append(hit)
    return found


def _price_verdict(el: etree._Element) -> bool | None:
    raw = _string(el)
    if len(raw) > _PRICE_TEXT_MAX:
        return None
    txt = clean(raw)
    if len(txt) > 160:
        return None
    return has_price(txt)


def find_cards(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """(card element, plan name) for every card of every plan grid, in page order."""
    prices = price_elements(root)
    if not prices:
        return []
    children: dict[etree._Element, list[etree._Element]] = {}
    depth: dict[etree._Element, int] = {}
    for p in prices:
        chain = [p, *p.iterancestors()]
        for i, (child, parent) in enumerate(zip(chain, chain[1:], strict=False)):
            kids = children.setdefault(parent, [])
            if child not in kids:
                kids.append(child)
            depth[parent] = len(chain) - i - 2
    grids = sorted((g for g, kids in children.items() if len(kids) >= 2), key=lambda g: -depth[g])
    accepted: list[etree._Element] = []
    accepted_anc: list[set[etree._Element]] = []
    cards: list[tuple[etree._Element, str]] = []
    card_set: set[etree._Element] = set()
    names_cache: dict[etree._Element, str | None] = {}
    for g in grids:
        if g in card_set or any(a in card_set for a in g.iterancestors()):
            continue  # a grid inside an accepted card
        named = []
        for c in children[g]:
            if c in card_set or any(
                c is a or c in anc for a, anc in zip(accepted, accepted_anc, strict=False)
            ):
                continue
            if c not in names_cache:
                names_cache[c] = name_of(c)
            if names_cache[c]:
                named.append((c, names_cache[c]))
        if len(named) < 2 or len({n.casefold() for _, n in named}) < 2:
            continue
        accepted.append(g)
        accepted_anc.append(set(g.iterancestors()))
        for c, n in named:
            card_set.add(c)
            cards.append((c, n))
    if not cards:
        # a page with a single plan: the nearest named ancestor of its price
        for p in prices:
            for a in _ancestors_upto(p, 8):
                n = name_of(a)
                if n:
                    if a not in card_set:
                        card_set.add(a)
                        cards.append((a, n))
                    break
            if len(cards) > 1:
                return []
    cards.sort(key=lambda cn: _doc_position(cn[0], root))
    return cards


def _doc_position(el: etree._Element, root: etree._Element) -> tuple[int, ...]:
    """A key that sorts elements in document order: the child indexes from `root` down.

    (Numbering every element of the page to sort a few cards costs more.) An element
    outside `root` sorts with `root` itself, first.
    """
    path: list[int] = []
    while el is not root:
        parent = el.getparent()
        if parent is None:
            return ()
        path.append(parent.index(el))
        el = parent
    return tuple(reversed(path))


def _feature_text(li: etree._Element) -> str:
    return _LEAD_MARK.sub("", " ".join(line.text for line in text_lines(li))).strip()


_OFF_CLASS = re.compile(
    r"(?:not-?included|unavailable|disabled|excluded|line-through|is-off|missing)", re.I
)
_OFF_LABEL = re.compile(r"\bnot included\b|\bunavailable\b", re.I)
_CROSS_LEAD = re.compile(r"^[✗✕✖×]")


def _plain_markup(el: etree._Element) -> bool:
    """No "not"/"unavailable" in the element's markup, nor a character reference (which is
    how any non-ASCII character, a cross mark included, serialises): then no element inside
    it can say "not included" by its labels or lead with a cross."""
    markup = _markup(el).lower()
    return b"not" not in markup and b"unavailable" not in markup and b"&#" not in markup


def _not_included(el: etree._Element, plain: bool = False) -> bool:
    """`plain`: `_plain_markup` holds for an element around `el` (so it holds for `el`)."""
    cls = el.get("class") or ""
    if _OFF_CLASS.search(cls):
        return True
    if plain:
        return False
    # The label words can only come from the markup: without "not"/"unavailable" in it
    # (nor a character reference that could hide a letter), neither can be in the labels.
    if _plain_markup(el):
        return bool(_CROSS_LEAD.match(clean(_string(el))))
    blob = " ".join(
        f"{e.get('class') or ''} {e.get('aria-label') or ''} {e.get('title') or ''} {e.get('alt') or ''}"
        for e in el.iter()
        if isinstance(e.tag, str)
    )
    return bool(_OFF_LABEL.search(blob)) or bool(_CROSS_LEAD.match(clean(_string(el))))


def card_features(
    card: etree._Element, li_lines: dict[etree._Element, list[str]] | None = None
) -> list[str]:
    """The card's list items that are features (not "Everything in Pro", not crossed out).

    `li_lines`: the items' lines from `text_lines(card, li_lines)`, when already read.
    """
    out: list[str] = []
    seen: set[str] = set()
    plain: bool | None = None  # `_plain_markup(card)`, read at the first item
    for li in card.iter("li"):
        if li is card or next(li.iterdescendants("li"), None) is not None:
            continue
        if plain is None:
            plain = _plain_markup(card)
        read = li_lines.get(li) if li_lines is not None else None
        if read is None:
            text = _feature_text(li)
        else:
            tail = clean(li.tail)
            joined = " ".join([*read, tail] if tail else read)
            text = _LEAD_MARK.sub("", joined).strip()
        if not text or len(text) > 200 or _INHERIT.search(text) or _not_included(li, plain):
            continue
        key = feature_key(text)
        if key and key not in seen:
            seen.add(key)
            out.append(text)
    return out


_FEATURE_SEP = re.compile(r"[^\w%+.]+")


@lru_cache(maxsize=8192)
def feature_key(text: str) -> str:
    return _FEATURE_SEP.sub(" ", text.casefold()).strip()


@lru_cache(maxsize=4096)
def plan_key(name: str) -> str:
    """How plan names compare: case, punctuation and the words 'plan'/'tier' do not count."""
    words = re.sub(r"[^\w]+", " ", name.casefold()).split()
    return " ".join(w for w in words if w not in ("plan", "tier", "the")) or name.casefold()


# A period written before the amount: "月額 980円", "Monthly: $10", "mensuel 9 €".
_LEAD_PERIOD = re.compile(
    r"(月額|年額|月々|monthly|yearly|annually|per month|per year|monatlich|jährlich|mensuel|annuel"
    r"|mensual|anual|월|연|매월|매년|每月|每年)\s*[:：]?\s*$",
    re.I,
)


# An amount after one of these is an estimate (a currency conversion, a typical bill).
_APPROX = re.compile(
    r"(?:≈|~|∼|\bapprox(?:\.|imately)?|\broughly|\bca\.|\bcirca|\benviron|\betwa|\bungefähr)\s*\(?\s*$",
    re.I,
)


def read_prices(lines: list[Line], lang: str | None) -> list[dict[str, Any]]:
    """Every price a card shows, with what the words around it say."""
    out: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        if line.in_li:
            continue
        found = find_prices(line.text, lang)
        for j, (start, end, amount, code) in enumerate(found):
            stop = found[j + 1][0] if j + 1 < len(found) else len(line.text)
            after = line.text[end:stop][:80]
            before = line.text[(found[j - 1][1] if j else 0) : start][-40:]
            context = after
            if not (period_of(after) or billing_of(after)):
                for nxt in lines[i + 1 : i + 3]:
                    if nxt.in_li or len(nxt.text) > 80:
                        break
                    more = find_prices(nxt.text, lang)
                    if more:
                        # "per month, billed annually ($1,188 per year)": the words up
                        # to the next amount are this one's
                        context = f"{context} {nxt.text[: more[0][0]]}"
                        break
                    context = f"{context} {nxt.text}"
                    if period_of(context) or billing_of(context):
                        break
            if _APPROX.search(before):
                continue  # "≈ €18.40 at today's rate": a conversion, not a listed price
            said = billing_of(context) or billing_of(before)
            billing = line.hint_at(start) or said
            if billing is None and j == len(found) - 1:
                billing = _billing_below(lines, i, lang)
            period = period_of(context)
            if period is None:
                lead = _LEAD_PERIOD.search(before)
                period = period_of(lead.group(1)) if lead else None
            if period is None and said == "monthly":
                period = "month"  # "$12 billed monthly" is $12 a month
            out.append(
                {
                    "amount": amount,
                    "currency": code,
                    "period": period,
                    "billing": billing,
                    "per_seat": is_per_seat(context) or is_per_seat(before),
                    "text": clean(f"{line.text[start:end]} {context}")[:100],
                }
            )
    return dedupe_prices(out)


def _billing_below(lines: list[Line], i: int, lang: str | None) -> str | None:
    """The billing a short line under a price says ("$16 /month" then "Billed yearly").

    Not past another price, and not from a promise with a percentage ("Save 20% billed
    yearly" under a monthly price speaks of the other billing).
    """
    for nxt in lines[i + 1 : i + 3]:
        text = nxt.text
        if nxt.in_li or len(text) > 80 or "%" in text or find_prices(text, lang):
            return None
        billing = billing_of(text)
        if billing:
            return billing
    return None


def dedupe_prices(prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One price per (amount, currency, billing): a copy that knows its billing or period wins.

    Duplicated markup (a mobile copy of the cards, a screen-reader label) repeats a price
    with less context; it must not become a second price that could "move" on its own.
    """
    out: list[dict[str, Any]] = []
    for p in prices:
        twin = next(
            (
                q
                for q in out
                if q["amount"] == p["amount"]
                and q["currency"] == p["currency"]
                and (q["billing"] == p["billing"] or q["billing"] is None or p["billing"] is None)
                and (q["period"] == p["period"] or q["period"] is None or p["period"] is None)
            ),
            None,
        )
        if twin is None:
            out.append(p)
            continue
        if (twin["billing"] is None and p["billing"]) or (
            twin["period"] is None and p["period"] and twin["billing"] == p["billing"]
        ):
            out[out.index(twin)] = {
                **p,
                "billing": p["billing"] or twin["billing"],
                "period": p["period"] or twin["period"],
            }
    return out


_HIDDEN_CLASS = re.compile(r"(?:^|\s)(?:hidden|d-none|is-hidden|hide)(?:\s|$)")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def _hidden(el: etree._Element) -> bool:
    return (
        el.get("hidden") is not None
        or bool(_HIDDEN_STYLE.search(el.get("style") or ""))
        or bool(_HIDDEN_CLASS.search(el.get("class") or ""))
    )


def _shown_currency(card: etree._Element, lang: str | None) -> list[dict[str, Any]]:
    """A card priced in several currencies is a currency switcher: the prices shown now.

    The inactive currencies sit hidden in the DOM and their order changes between
    builds; only what a visitor sees is the plan's price. Empty when hiding does not
    settle on one currency (then the card is read as it is).
    """
    clone = copy.deepcopy(card)
    for el in [e for e in clone.iter() if isinstance(e.tag, str) and e is not clone and _hidden(e)]:
        _remove_keeping_tail(el)
    prices = read_prices(text_lines(clone), lang)
    return prices if len({p["currency"] for p in prices}) == 1 else []


def card_plan(card: etree._Element, name: str, lang: str | None) -> dict[str, Any]:
    li_lines: dict[etree._Element, list[str]] = {}
    lines = text_lines(card, li_lines, _billing_around(card))
    prices = read_prices(lines, lang)
    if len({p["currency"] for p in prices}) >= 2:
        prices = _shown_currency(card, lang) or prices
    texts = [ln.text for ln in lines if not ln.in_li]
    custom = not prices and any(CUSTOM_RE.match(t) for t in texts)
    free_marker = any(FREE_RE.match(t) for t in texts if t != name)
    return {
        "name": name,
        "prices": prices,
        "free": any(p["amount"] == 0 for p in prices) or (not prices and free_marker),
        "custom": custom,
        "features": card_features(card, li_lines),
    }


# --- comparison tables -------------------------------------------------------------------


def _cells(tr: etree._Element) -> list[etree._Element]:
    out = []
    for c in tr:
        tag = c.tag
        if tag == "td" or tag == "th":
            colspan = c.get("colspan")
            if not colspan:
                out.append(c)
                continue
            try:
                span = max(1, min(int(colspan), 20))
            except ValueError:
                span = 1
            out.extend([c] * span)
    return out


_ICON_ATTRS = ("class", "aria-label", "title", "alt", "data-icon", "href", "name")


@lru_cache(maxsize=4096)
def _text_state(text: str) -> bool | None:
    """What a cell's words say (cells repeat the same few: "—", "✓", "Included")."""
    if text and _NOT_INCLUDED_TEXT.search(text):
        return False
    if text and _INCLUDED_TEXT.search(text):
        return True
    return None


@lru_cache(maxsize=4096)
def _icon_state(blob: str) -> bool | None:
    """What an icon's class/label says, by the same few strings on every row."""
    if _ICON_NO.search(blob):
        return False
    if _ICON_YES.search(blob):
        return True
    return None


def _cell_state(cell: etree._Element, text: str) -> bool | str:
    said = _text_state(text)
    if said is not None:
        return said
    for e in cell.iter():
        if not isinstance(e.tag, str) or e is cell or not e.keys():
            continue
        blob = " ".join([e.get(k) or "" for k in _ICON_ATTRS])
        if not blob.strip():
            continue
        said = _icon_state(blob)
        if said is not None:
            return said
    if not text or not re.search(r"\w", text):
        return False
    return text


def _header_name(cell: etree._Element) -> str:
    for line in text_lines(cell):
        if good_name(line.text):
            return _without_custom(_without_subtitle(cell, line.text))
    # inline pieces run together ("Core£6/user/mo"): the first element's own text
    for e in cell.iter():
        if isinstance(e.tag, str) and e.tag not in SKIP_TEXT:
            t = clean(e.text)
            if t and good_name(t):
                return t
    return ""


def _without_subtitle(cell: etree._Element, text: str) -> str:
    """A row header's name glued to its tagline by markup ("Solo" + "For freelancers" in
    two spans, set apart by CSS only) keeps the name: the first element's own text, when
    the next piece starts right after it with a capital, as a new sentence does."""
    for e in cell.iter():
        if not isinstance(e.tag, str) or e.tag in SKIP_TEXT:
            continue
        first = clean(e.text)
        if first:
            rest = text[len(first) :] if text.startswith(first) else ""
            if rest[:1].isupper() and first[-1:].isalnum() and good_name(first):
                return first
            return text
    return text


def _custom_text(text: str) -> bool:
    """ "Contact sales", also when a template left its period after it ("Auf Anfrage / Monat")."""
    text = text.strip()
    return bool(CUSTOM_RE.match(text) or CUSTOM_RE.match(re.split(r"\s+/|\s+per\s", text)[0]))


def _new_plan(name: str) -> dict[str, Any]:
    return {"name": name, "prices": [], "free": False, "custom": False, "features": []}


def _header_prices(
    head: etree._Element,
    cols: list[str],
    keys: list[str],
    plans: dict[str, dict[str, Any]],
    order: list[str],
    lang: str | None,
) -> None:
    """Prices written under the plan names in a table's header row ("Basis / CHF 19.– / Monat")."""
    for col, key, cell in zip(cols, keys, _cells(head)[1:], strict=False):
        if not col:
            continue
        lines = text_lines(cell)
        ps = read_prices(lines, lang)
        custom = not ps and any(
            _custom_text(t)
            for t in [ln.text for ln in lines] + [clean(e.text) for e in cell.iter()]
            if t and t != col
        )
        if not (ps or custom):
            continue
        plan = plans.get(key)
        if plan is None:
            plan = plans[key] = _new_plan(col)
            order.append(key)
        if ps:
            plan["prices"] = dedupe_prices(plan["prices"] + ps)
        else:
            plan["custom"] = True


_PRICE_HEAD = re.compile(
    r"price|pricing|cost|fee|\brate\b|monthly|annual|yearly|preis|prix|tarif|precio|preço|prezzo"
    r"|prijs|pris\b|cena|料金|価格|价格|요금",
    re.I,
)


def _without_custom(text: str) -> str:
    """A name run together with its "Contact us" ("EnterpriseContact us") loses the label."""
    for k in range(1, len(text)):
        if text[k].isupper() and CUSTOM_RE.match(text[k:]):
            head = text[:k].strip()
            if good_name(head):
                return head
    return text


def _column_terms(label: str) -> tuple[str | None, str | None]:
    """(period, billing) of a price column's heading: "Jährlich (pro Monat)" is billed
    yearly, quoted per month; "Monthly" is both; "Price / year" is a yearly period."""
    inner = re.search(r"\(([^)]*)\)", label)
    outer = re.sub(r"\([^)]*\)", " ", label)
    said = period_of(outer)
    period = (period_of(inner.group(1)) if inner else None) or said
    billing = billing_of(label) or (
        {"year": "annual", "month": "monthly"}.get(said or "") if inner or said else None
    )
    return period, billing


def _row_plans(rows: list[etree._Element], lang: str | None) -> list[dict[str, Any]] | None:
    """Plans of a table with one ROW per plan ("Plan | Price | Users | Storage"), else None.

    Told from a comparison table (plans as columns) by where its prices are: down one
    column over several rows, rather than along one row over several columns.
    """
    # Cheap test first (comparison tables are long): a heading row naming a price column.
    head_cells = _cells(rows[0])[1:]
    if not any(
        _PRICE_HEAD.search(t) or period_of(t) for t in (clean(_string(c)) for c in head_cells)
    ):
        return None
    grid = [_cells(tr) for tr in rows]
    texts = [[clean(_string(c)) for c in cells] for cells in grid]
    priced = [[j for j, t in enumerate(row) if j and has_price(t)] for row in texts]
    price_rows = [i for i, js in enumerate(priced) if js]
    price_cols = {j for js in priced for j in js}
    if len(price_rows) < 2 or len(price_rows) < len(price_cols):
        return None
    if not all(_header_name(grid[i][0]) for i in price_rows):
        return None
    if 0 in price_rows:
        return None
    head = 0
    labels = texts[head]
    # ... and its price column is headed by a price word, not by a plan's name
    if not all(
        j < len(labels) and (_PRICE_HEAD.search(labels[j]) or period_of(labels[j]))
        for j in price_cols
    ):
        return None
    out: list[dict[str, Any]] = []
    for i, (cells, row) in enumerate(zip(grid, texts, strict=True)):
        if i == head or len(cells) < 2:
            continue
        name = _header_name(cells[0])
        if not name:
            continue
        plan = _new_plan(name)
        for j in range(1, len(cells)):
            if cells[j] is cells[j - 1]:
                continue
            label = labels[j] if j < len(labels) else ""
            if j in price_cols:
                ps = read_prices(text_lines(cells[j]), lang)
                period, billing = _column_terms(label)
                for p in ps:
                    p["period"] = p["period"] or period
                    p["billing"] = p["billing"] or billing
                    p["per_seat"] = p["per_seat"] or is_per_seat(label)
                plan["prices"] = dedupe_prices(plan["prices"] + ps)
                if not ps and _custom_text(row[j]):
                    plan["custom"] = True
                continue
            if not label:
                continue
            state = _cell_state(cells[j], row[j])
            if state is True:
                plan["features"].append(label)
            elif state:
                plan["features"].append(f"{label}: {state}")
        if plan["prices"]:
            plan["custom"] = False
        plan["free"] = any(p["amount"] == 0 for p in plan["prices"])
        out.append(plan)
    return out


def table_plans(root: etree._Element, lang: str | None, known: set[str]) -> list[dict[str, Any]]:
    """Plans (names, per-column features and prices) from comparison tables with plans as columns."""
    plans: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    cell_memo: dict[bytes | str, tuple[str, bool, bool, bool | str]] = {}
    for table in root.iter("table"):
        rows = [tr for tr in table.iter("tr") if next(tr.iterancestors("table")) is table]
        if len(rows) < 2:
            continue
        by_row = _row_plans(rows, lang)
        if by_row is not None:
            for plan in by_row:
                key = plan_key(plan["name"])
                # Beside plan cards, a priced list of rows is add-ons or usage prices,
                # unless its rows are those plans.
                if known and key not in known:
                    continue
                if key not in plans:
                    plans[key] = plan
                    order.append(key)
            continue
        head_i = 0
        cols: list[str] = []
        for i, tr in enumerate(rows[:3]):
            names = [_header_name(c) for c in _cells(tr)[1:]]
            if sum(1 for n in names if n) >= 2 or (
                sum(1 for n in names if n) == 1 and any(plan_key(n) in known for n in names if n)
            ):
                head_i, cols = i, names
                break
        if not cols:
            continue
        keys = [plan_key(c) if c else "" for c in cols]
        _header_prices(rows[head_i], cols, keys, plans, order, lang)
        for tr in rows[head_i + 1 :]:
            cells = _cells(tr)
            if len({id(c) for c in cells}) < 2:
                continue  # a group header spanning the table
            label = clean(_string(cells[0]))
            if not label or len(label) > 120:
                continue
            label_prices = find_prices(label, lang)
            for col, key, cell in zip(cols, keys, cells[1:], strict=False):
                if not col or cell is cells[0]:
                    continue
                plan = plans.get(key)
                if plan is None:
                    plan = {
                        "name": col,
                        "prices": [],
                        "free": False,
                        "custom": False,
                        "features": [],
                    }
                    plans[key] = plan
                    order.append(key)
                # Comparison tables repeat a few cells ("✓", an icon, "—") hundreds of
                # times: what a cell says is read once per distinct markup.
                # (a cell without children says what its text says: the text is the key)
                sig = _markup(cell) if len(cell) else (cell.text or "")
                said = cell_memo.get(sig)
                if said is None:
                    text = clean(_string(cell) if len(cell) else cell.text)
                    said = cell_memo[sig] = (
                        text,
                        has_price(text),
                        CUSTOM_RE.match(text.strip()) is not None,
                        _cell_state(cell, text),
                    )
                cell_text, priced, custom, state = said
                if not label_prices and priced:
                    ps = read_prices(text_lines(cell), lang)
                    for p in ps:
                        if p["period"] is None:
                            p["period"] = period_of(label)
                        p["per_seat"] = p["per_seat"] or is_per_seat(label)
                    plan["prices"] = dedupe_prices(plan["prices"] + ps)
                    continue
                if custom:
                    plan["custom"] = True
                    continue
                if state is True:
                    feat = label
                elif state:
                    feat = f"{label}: {state}"
                else:
                    continue
                fkey = feature_key(feat)
                if "_seen" not in plan:
                    plan["_seen"] = {feature_key(f) for f in plan["features"]}
                seen = plan["_seen"]
                if fkey not in seen:
                    seen.add(fkey)
                    plan["features"].append(feat)
    out = []
    for k in order:
        plan = plans[k]
        plan.pop("_seen", None)
        if plan["prices"]:
            plan["custom"] = False
        plan["free"] = any(p["amount"] == 0 for p in plan["prices"])
        out.append(plan)
    return out


def dom_plans(root: etree._Element, lang: str | None) -> list[dict[str, Any]]:
    """Plans from cards, then comparison tables merged in by plan name; duplicates merged."""
    plans: list[dict[str, Any]] = []
    by_key: dict[str, dict[str, Any]] = {}

    def add(plan: dict[str, Any]) -> None:
        key = plan_key(plan["name"])
        have = by_key.get(key)
        if have is None:
            by_key[key] = plan
            plans.append(plan)
            return
        # duplicated markup (mobile copy, table below the cards): merge, never double
        if not have["prices"]:
            have["prices"] = plan["prices"]
        else:
            have["prices"] = dedupe_prices(have["prices"] + plan["prices"])
        have["free"] = have["free"] or plan["free"]
        have["custom"] = not have["prices"] and (have["custom"] or plan["custom"])
        seen = {feature_key(f) for f in have["features"]}
        for f in plan["features"]:
            if feature_key(f) not in seen:
                seen.add(feature_key(f))
                have["features"].append(f)

    for card, name in find_cards(root):
        add(card_plan(card, name, lang))
    for plan in table_plans(root, lang, set(by_key)):
        key = plan_key(plan["name"])
        if key in by_key and by_key[key]["prices"]:
            plan = {**plan, "prices": []}
        add(plan)
    return plans


def _remove_keeping_tail(el: Any) -> None:
    """Remove `el`; its tail text belongs to the parent and stays (joined without a space)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
