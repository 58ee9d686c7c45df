"""Features pages and comparison tables (kind `features`).

Two shapes carry features on the web:

* lists of capabilities on a features page: cards (a heading + a description, repeated
  side by side), definition lists (dt/dd), bullet lists under group headings. These are
  page-level features (`plan: None`).
* comparison tables: one row per feature, one column per plan, availability shown by a
  check mark, a cross, "Yes"/"—", an icon with alt text / aria-label / hidden text, or a
  value ("Up to 10"). Each (feature, plan) pair is compared on its own, so a new row
  checked in two columns is two events.

The diff is by set: reordered cards, changed descriptions, class churn and the noise
stripped by `intel.extract.noise` never become events.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from lxml import etree

from intel.changes import Change
from intel.extract import Extractor
from intel.extract.html import parse_plain
from intel.extract.noise import element_text, normalize_text, strip_boilerplate
from intel.extract.page import page_blocks

_HEADING = ("h2", "h3", "h4", "h5", "h6")
_CONTAINERS = ("ul", "ol", "dl", "table")

# Badges that decorate a feature's name without changing what it is.
_BADGE = re.compile(
    r"(?:^|\s)(?:new|beta|alpha|preview|coming soon|soon|early access|popular|hot|updated|"
    r"ga|labs|experimental)(?=\s|$)",
    re.I,
)
_EDGE_JUNK = re.compile(r"^[^\w(\[]+|[^\w)\]]+$")
_PRICE_BIT = re.compile(
    r"(?:[$€£¥₹]\s?\d[\d.,]*|\d[\d.,]*\s?(?:[$€£¥₹]|usd|eur|gbp))\S*(?:\s*(?:/|per)\s*\w+)*", re.I
)

# Availability words and symbols in comparison cells.
_NO = re.compile(
    r"^(?:no|none|not included|not available|unavailable|excluded|n/?a|false|not supported|"
    r"x|–|—|-|−|✗|✕|✖|×|⨯|❌|🚫)$|\bnot (?:included|available|supported)\b|\bunavailable\b|"
    r"\bexcluded\b",
    re.I,
)
_YES = re.compile(
    r"^(?:yes|included|available|supported|true|check|checkmark|tick|✓|✔|☑|✅|✔️|●)$|"
    r"\bincluded\b|\bavailable\b",
    re.I,
)
_ICON_YES = re.compile(r"check|tick|\byes\b|included|success|available", re.I)
_ICON_NO = re.compile(
    r"cross|times|close|x-?mark|\bx\b|minus|dash|\bno\b|unavailable|excluded|disabled", re.I
)


def feature_key(name: str) -> str:
    """Identity of a feature name: noise-normalised, badges and edge symbols dropped."""
    key = re.sub(r"[()\[\]]", " ", normalize_text(name))
    key = _BADGE.sub(" ", key)
    key = _EDGE_JUNK.sub("", " ".join(key.split()))
    return key


def _clean_name(text: str) -> str:
    text = " ".join(text.split())
    text = _EDGE_JUNK.sub("", text)
    return text[:120].strip()


def _first_line(el: etree._Element) -> str:
    """The first block of text of `el` (a plan name above its price, a title above a blurb)."""
    clone = copy.deepcopy(el)
    clone.tail = None
    for junk in [x for x in clone.iter("script", "style", "svg", "button") if x is not clone]:
        junk.getparent().remove(junk)
    for b in page_blocks(clone):
        if b["text"].strip():
            return b["text"]
    return element_text(el)


# ---------------------------------------------------------------------------
# Comparison tables


def _labels(cell: etree._Element) -> list[str]:
    """What a cell says to assistive tech: aria-label, title, alt, svg <title>."""
    out: list[str] = []
    for el in cell.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("aria-label", "title", "alt", "data-tooltip"):
            v = (el.get(attr) or "").strip()
            if v:
                out.append(v)
        if el.tag.lower() == "title" and el.text:
            out.append(el.text.strip())
    return out


def _classify(text: str) -> bool | None:
    t = " ".join(text.split()).strip(" .:")
    if not t:
        return None
    if _NO.search(t):
        return False
    if _YES.search(t):
        return True
    return None


def cell_value(cell: etree._Element) -> bool | str:
    """Availability of one comparison cell: True, False, or a value ("Up to 10")."""
    visible = " ".join(
        t for t in (cell.text or "", *[x for el in cell for x in el.itertext()]) if t
    )
    visible = " ".join(visible.split())
    for label in _labels(cell):
        verdict = _classify(label)
        if verdict is not None:
            return verdict
    verdict = _classify(visible)
    if verdict is not None:
        return verdict
    if re.search(r"\w", visible):
        return normalize_text(visible)
    classes = " ".join(
        f"{el.get('class') or ''} {el.get('data-icon') or ''}"
        for el in cell.iter()
        if isinstance(el.tag, str)
    )
    if _ICON_NO.search(classes):
        return False
    if _ICON_YES.search(classes):
        return True
    # an icon with no label at all is most often a check; an empty cell is "not included"
    if any(isinstance(el.tag, str) and el.tag.lower() in ("svg", "img", "i") for el in cell.iter()):
        return True
    return False


def _rows(table: etree._Element) -> list[list[etree._Element]]:
    """Rows of cells, colspans expanded, for <table> and ARIA role=table/grid."""
    rows: list[list[etree._Element]] = []
    if table.tag.lower() == "table":
        trs = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
        cell_tags = ("td", "th")
        for tr in trs:
            cells: list[etree._Element] = []
            for c in tr:
                if isinstance(c.tag, str) and c.tag.lower() in cell_tags:
                    try:
                        span = max(1, min(int(c.get("colspan") or 1), 20))
                    except ValueError:
                        span = 1
                    cells.extend([c] * span)
            rows.append(cells)
    else:
        for row in table.iter():
            if isinstance(row.tag, str) and row.get("role") == "row":
                cells = [
                    c
                    for c in row
                    if isinstance(c.tag, str)
                    and c.get("role") in ("cell", "gridcell", "columnheader", "rowheader")
                ]
                rows.append(cells)
    return rows


def _nearest_table(el: etree._Element) -> etree._Element | None:
    for anc in el.iterancestors("table"):
        return anc
    return None


def _plan_name(cell: etree._Element) -> str:
    name = _PRICE_BIT.sub(" ", _first_line(cell))
    return _clean_name(name)


def parse_table(table: etree._Element) -> dict[str, Any] | None:
    """A comparison table as {"plans": [...], "rows": {feature: {plan: value}}}, or None."""
    rows = _rows(table)
    header_i = None
    for i, cells in enumerate(rows[:4]):
        names = [_plan_name(c) for c in cells[1:]]
        distinct = {n for n in names if n}
        if len(cells) >= 3 and len(distinct) >= 2 and len(distinct) == len(set(cells[1:])):
            header_i = i
            break
    if header_i is None:
        return None
    header = rows[header_i]
    plans = [_plan_name(c) for c in header]
    features: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for cells in rows[header_i + 1 :]:
        if len(cells) < 2 or len(set(cells)) < 2:
            continue  # a group heading spanning the row
        name = _clean_name(_first_line(cells[0]))
        key = feature_key(name)
        if not key:
            continue
        values: dict[str, Any] = {}
        seen: set[int] = set()
        for col, cell in enumerate(cells[1:], start=1):
            if col >= len(plans) or not plans[col] or id(cell) in seen:
                continue
            seen.add(id(cell))
            values[plans[col]] = cell_value(cell)
        if values:
            features[key] = values
            names[key] = name
    if not features:
        return None
    return {"plans": [p for p in plans[1:] if p], "rows": features, "names": names}


# ---------------------------------------------------------------------------
# Feature lists and cards


def _card_title(h: etree._Element) -> bool:
    """True when heading `h` titles one card among repeated sibling cards.

    A card is small (a heading, an icon, a blurb), holds no list/table and no other
    heading, and has at least one sibling of the same tag with a heading of its own.
    """
    node = h
    # page builders (Elementor, Webflow, Framer) wrap a card's heading 3-4 levels deep
    for _ in range(5):
        parent = node.getparent()
        if parent is None:
            return False
        if node is not h:
            size = 0
            for x in node.iter():
                size += 1
                if size > 150:
                    return False  # too big to be a card: a section
                if x is not h and isinstance(x.tag, str) and x.tag in (*_HEADING, *_CONTAINERS):
                    return False
            found = 0
            for sib in parent:
                if sib is node or sib.tag != node.tag:
                    continue
                if sib.find(f".//{h.tag}") is not None:
                    found += 1
                    break
            if found:
                return True
        node = parent
    return False


def _li_name(li: etree._Element) -> str:
    lead = None
    for child in li:
        if isinstance(child.tag, str) and child.tag.lower() in ("strong", "b", *_HEADING):
            lead = child
            break
    own = li.text or ""
    if lead is not None and not own.strip():
        name = element_text(lead)
        if name and len(name.split()) <= 10:
            return _clean_name(name)
    # a nested list belongs to its own items
    parts = [li.text or ""]
    for child in li:
        if isinstance(child.tag, str) and child.tag.lower() in ("ul", "ol", "dl"):
            parts.append(child.tail or "")
            continue
        if isinstance(child.tag, str) and child.get("aria-hidden") == "true":
            parts.append(child.tail or "")
            continue
        parts.append(element_text(child) if isinstance(child.tag, str) else "")
        parts.append(child.tail or "")
    text = " ".join(" ".join(parts).split())
    if len(text.split()) > 14:
        head = re.split(r"\s[-–—:]\s|:\s|\.\s", text, maxsplit=1)[0]
        text = head if len(head.split()) <= 12 else text
    return _clean_name(text)


def page_features(root: etree._Element, tables: list[etree._Element]) -> list[str]:
    """Page-level feature names in document order (what is inside `tables` excluded)."""
    found: list[str] = []
    # The elements themselves, not their id(): lxml makes a Python object for an element
    # when asked and drops it when nothing holds it, so the id of one let go soon names
    # another element (a page's features came and went with memory reuse). Held in the
    # set, each keeps the one object `root.iter()` gives again.
    inside = {x for t in tables for x in t.iter()}
    for el in root.iter():
        if not isinstance(el.tag, str) or el in inside:
            continue
        tag = el.tag.lower()
        if tag == "dt":
            found.append(_clean_name(element_text(el)))
        elif tag == "li":
            found.append(_li_name(el))
        elif tag in _HEADING and _card_title(el):
            found.append(_clean_name(element_text(el)))
    found.extend(_row_titles(root, inside))
    return [f for f in found if f and re.search(r"[^\W\d_]{2,}", f)]


_STRUCTURED = ("li", "dt", "dd", "tr", "table", "ul", "ol", "dl", *_HEADING)


def _row_titles(root: etree._Element, inside: set[etree._Element]) -> list[str]:
    """Titles of repeated look-alike blocks that use no heading or list markup.

    Page builders (Framer, Webflow, Tailwind UI) write a checklist as rows of
    "icon + <p>" and a card grid as "<p class=font-semibold> + <p>": what marks a feature
    there is the repetition, not the tags. Three or more sibling blocks of one shape
    (the same child tags), each a short title alone or followed by a longer blurb.
    """
    out: list[str] = []
    for parent in root.iter():
        if not isinstance(parent.tag, str) or len(parent) < 3 or parent in inside:
            continue
        groups: dict[tuple[str, ...], list[etree._Element]] = {}
        for child in parent:
            if not isinstance(child.tag, str) or len(child) < 2:
                continue
            if child.tag.lower() in _STRUCTURED or sum(1 for _ in child.iter()) > 40:
                continue
            if any(isinstance(x.tag, str) and x.tag.lower() in _STRUCTURED for x in child.iter()):
                continue
            shape = (child.tag, *(c.tag for c in child if isinstance(c.tag, str)))
            groups.setdefault(shape, []).append(child)
        for members in groups.values():
            if len(members) < 3:
                continue
            names = [_row_title(m) for m in members]
            if all(names):
                out.extend(n for n in names if n)
    return out


def _row_title(block: etree._Element) -> str | None:
    texts = [t for t in (element_text(c) for c in block if isinstance(c.tag, str)) if t]
    if not texts or len(texts) > 3:
        return None
    first = texts[0]
    if len(first.split()) > 8 or len(first) > 60:
        return None
    if len(texts) > 1 and len(texts[1].split()) <= len(first.split()):
        return None  # label/value pairs (stats, specs), not a title and its blurb
    return _clean_name(first)


class FeaturesExtractor(Extractor):
    """Features page: feature lists, cards and comparison-table cells."""

    kind = "features"
    # 2: cards beside a comparison table are read (element ids were reused, so some were lost)
    version = 2

    def extract(self, html: str, url: str) -> dict[str, Any]:
        doc = parse_plain(html)
        body = doc.find(".//body")
        root = body if body is not None else doc
        # Tables first, on the raw tree: a cell's only sign may be an <svg> icon or an
        # aria-hidden glyph that boilerplate stripping removes.
        tables: list[dict[str, Any]] = []
        table_els: list[etree._Element] = []
        candidates = [t for t in root.iter("table")] + [
            t for t in root.iter() if isinstance(t.tag, str) and t.get("role") in ("table", "grid")
        ]
        for t in candidates:
            if any(a.tag in ("nav", "footer") for a in t.iterancestors()):
                continue
            parsed = parse_table(t)
            if parsed is not None:
                tables.append(parsed)
                table_els.append(t)
        strip_boilerplate(root, keep_hidden=True)
        features = page_features(root, table_els)
        names: dict[str, str] = {}
        for f in features:
            names.setdefault(feature_key(f), f)
        names.pop("", None)
        text_parts = list(names.values())
        for t in tables:
            text_parts += list(t["names"].values())
        return {
            "url": url,
            "features": names,  # key -> name as shown
            "tables": tables,
            "text": "\n".join(text_parts),
        }

    def diff(
        self, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Change]:
        changes: list[Change] = []
        old_f: dict[str, str] = old.get("features") or {}
        new_f: dict[str, str] = new.get("features") or {}
        old_cells, old_names, old_plans = _cells(old)
        new_cells, new_names, new_plans = _cells(new)
        in_tables_old = {f for f, _ in old_cells}
        in_tables_new = {f for f, _ in new_cells}
        for key, name in new_f.items():
            if key not in old_f and key not in in_tables_old:
                changes.append(_change("feature_added", name, None))
        for key, name in old_f.items():
            if key not in new_f and key not in in_tables_new:
                changes.append(_change("feature_removed", name, None))
        plans = old_plans & new_plans  # a whole column coming or going is a plan move
        for (fkey, plan), value in new_cells.items():
            if plan in plans and _on(value) and not _on(old_cells.get((fkey, plan))):
                changes.append(_change("feature_added", new_names[fkey], plan))
        for (fkey, plan), value in old_cells.items():
            if plan in plans and _on(value) and not _on(new_cells.get((fkey, plan))):
                changes.append(_change("feature_removed", old_names[fkey], plan))
        return changes

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get("text", ""))


def _on(value: Any) -> bool:
    return value is not None and value is not False


def _cells(data: dict[str, Any]) -> tuple[dict[tuple[str, str], Any], dict[str, str], set[str]]:
    cells: dict[tuple[str, str], Any] = {}
    names: dict[str, str] = {}
    plans: set[str] = set()
    for t in data.get("tables") or []:
        plans.update(t.get("plans") or [])
        for fkey, values in (t.get("rows") or {}).items():
            names.setdefault(fkey, (t.get("names") or {}).get(fkey, fkey))
            for plan, value in values.items():
                if _on(value) or (fkey, plan) not in cells:
                    cells[(fkey, plan)] = value
    return cells, names, plans


def _change(type_: str, feature: str, plan: str | None) -> Change:
    where = f" on {plan}" if plan else ""
    verb = "added" if type_ == "feature_added" else "removed"
    return Change(
        type=type_,
        feature=feature,
        plan=plan,
        evidence={"summary": f"{feature} {verb}{where}"},
    )
