"""Generic pages (kind `page`): main text as blocks, sentence-level quiet diffs.

Extraction keeps what the company chose to say (headings, paragraphs, list items,
captions, badges, alt text of meaningful images) and drops the rest (see
`intel.extract.noise`). Each block carries a structural signature (landmark path +
the heading it sits under), never a class name, so that regions can be recognised
from one fetch to the next even when classes churn.

The diff compares multisets of noise-normalised sentences: reordered lists and
carousels compare equal, and a changed paragraph reports only the sentences that
moved. Regions learned to be volatile (see `learn` and docs/noise.md) are masked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from typing import Any

from lxml import etree

from intel.changes import Change
from intel.extract import Extractor
from intel.extract.html import parse_plain
from intel.extract.noise import (
    image_alt,
    normalize_text,
    split_sentences,
    strip_boilerplate,
)

#: Elements that start a block of text of their own.
BLOCK_TAGS = frozenset(
    """address article aside blockquote caption dd details div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary
    table tbody td tfoot th thead tr ul body html""".split()
)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_STABLE_ID = re.compile(r"^[A-Za-z][A-Za-z-]{1,40}$")
_LANDMARKS = {
    "main",
    "article",
    "section",
    "header",
    "footer",
    "aside",
    "form",
    "table",
    "ul",
    "ol",
    "dl",
}

#: learn(): a region is volatile when it changed in at least VOLATILE_HITS of the last
#: WINDOW observations; it is trusted again after RELEARN_AFTER quiet observations.
WINDOW = 6
VOLATILE_HITS = 3
RELEARN_AFTER = 14
#: learn(seconds_apart=...): two fetches closer than this show only noise.
QUICK_SECONDS = 900
#: a content_change lists at most this many sentences each way
MAX_ITEMS = 25
MAX_CHARS = 300


def _signature_part(el: etree._Element) -> str:
    """One step of a structural path: landmark tag, with a stable id or role if any."""
    tag = el.tag.lower()
    role = el.get("role")
    ident = el.get("id") or ""
    bits = tag
    if ident and _STABLE_ID.match(ident):
        bits += f"#{ident.lower()}"
    if role:
        bits += f"[{role.lower()}]"
    return bits


def page_blocks(root: etree._Element) -> list[dict[str, str]]:
    """Blocks of text in document order: {"tag", "sig", "text"}.

    `sig` = the landmark path (tags, stable ids, roles; no classes, no positions) plus
    the text of the heading the block sits under, which survives A/B class churn and
    blocks inserted above it.
    """
    blocks: list[dict[str, str]] = []
    headings: dict[int, str] = {}

    def context() -> str:
        # the nearest heading only: a new h1 must not rename every region below it
        return headings[max(headings)] if headings else ""

    def flush(el: etree._Element, parts: list[str], path: str) -> None:
        text = " ".join("".join(parts).split())
        parts.clear()
        if not text or not re.search(r"\w", text):
            return
        tag = el.tag.lower()
        if tag in HEADINGS:
            level = int(tag[1])
            for k in [k for k in headings if k >= level]:
                del headings[k]
            sig = f"{path}|{context()}"
            headings[level] = normalize_text(text)[:60]
        else:
            sig = f"{path}|{context()}"
        blocks.append({"tag": tag, "sig": sig, "text": text})

    def walk(el: etree._Element, path: str) -> None:
        tag = el.tag.lower()
        if (
            tag in _LANDMARKS
            or el.get("role")
            or (el.get("id") and _STABLE_ID.match(el.get("id") or ""))
        ):
            path = f"{path}/{_signature_part(el)}"
        parts: list[str] = []
        if el.text:
            parts.append(el.text)
        for child in el:
            if not isinstance(child.tag, str):
                if child.tail:
                    parts.append(child.tail)
                continue
            ctag = child.tag.lower()
            if ctag in BLOCK_TAGS or _component_host(child):
                flush(el, parts, path)
                walk(child, path)
            elif ctag == "br":
                parts.append(" ")
            elif ctag == "img":
                alt = image_alt(child)
                if alt:
                    # " · " keeps badges in a row apart as separate sentences
                    parts.append(f" · {alt} · ")
            elif ctag == "a":
                # adjacent links ("Start free" "Book a demo") are separate phrases
                parts.append(f" {_inline_text(child)} ")
            else:
                parts.append(_inline_text(child))
            if child.tail:
                parts.append(child.tail)
        flush(el, parts, path)

    walk(root, "")
    return blocks


def _component_host(el: etree._Element) -> bool:
    """A custom element (`app-root`, `product-card`) that wraps blocks of its own.

    Frameworks (Angular, Lit, Stencil, Vue and Shopify custom elements) render whole
    components inside tags the parser knows nothing about; the HTML spec names them
    with a hyphen. Read as inline text, an Angular `<app-home>` glued the whole page
    into one block: headings ran into paragraphs as one "sentence", and the region
    learning saw a single region, so one live counter would mask the entire page. A
    custom element holding only inline content (`<rotating-word>`) stays inline.
    """
    return "-" in el.tag and any(
        isinstance(d.tag, str) and d.tag.lower() in BLOCK_TAGS for d in el.iterdescendants()
    )


def _inline_text(el: etree._Element) -> str:
    """Text of an inline element (and anything nested in it), alt text included."""
    out: list[str] = []
    if el.tag.lower() == "img":
        alt = image_alt(el)
        return f" · {alt} · " if alt else ""
    if el.text:
        out.append(el.text)
    for child in el:
        if isinstance(child.tag, str):
            ctag = child.tag.lower()
            if ctag in BLOCK_TAGS or ctag == "br":
                out.append(" ")
            out.append(_inline_text(child))
            if ctag in BLOCK_TAGS:
                out.append(" ")
        if child.tail:
            out.append(child.tail)
    return "".join(out)


def _content_root(doc: etree._Element) -> etree._Element:
    body = doc.find(".//body")
    return body if body is not None else doc


def _sentences(blocks: list[dict[str, str]], masked: set[str]) -> Counter[str]:
    return Counter(
        key
        for b in blocks
        if b["sig"] not in masked
        for key in (normalize_text(s) for s in split_sentences(b["text"]))
        if _meaningful(key)
    )


def _display(blocks: list[dict[str, str]], masked: set[str]) -> dict[str, str]:
    shown: dict[str, str] = {}
    for b in blocks:
        if b["sig"] in masked:
            continue
        for s in split_sentences(b["text"]):
            shown.setdefault(normalize_text(s), s)
    return shown


_WORD = re.compile(r"[^\W\d_]{2,}")


def _meaningful(key: str) -> bool:
    """A sentence worth reporting: at least one word once the noise is masked out."""
    return bool(_WORD.search(re.sub(r"‹\w+›", " ", key)))


def _clip(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


class PageExtractor(Extractor):
    """Generic page: main text without boilerplate; sentence-level content changes."""

    kind = "page"
    version = 3

    def extract(self, html: str, url: str) -> dict[str, Any]:
        doc = parse_plain(html)
        title_el = doc.find(".//title")  # before the head goes with the boilerplate
        title = " ".join(("".join(title_el.itertext()) if title_el is not None else "").split())
        root = strip_boilerplate(_content_root(doc))
        blocks = page_blocks(root)
        return {
            "url": url,
            "title": title,
            "blocks": blocks,
            "text": "\n".join(b["text"] for b in blocks),
        }

    def diff(
        self, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Change]:
        old_blocks, new_blocks = old.get("blocks") or [], new.get("blocks") or []
        masked = set((state or {}).get("volatile", {})) | _reverted(state, old_blocks, new_blocks)
        # The whole of each side is compared first, then only sentences outside masked
        # regions may be reported. Regions are named by the heading above them, so a new
        # headline can rename a region: text that sat in a masked region on one side is
        # not news on the other, and a counter is paired with its earlier reading
        # wherever that stood.
        before, after = _sentences(old_blocks, set()), _sentences(new_blocks, set())
        added_keys, removed_keys = drop_number_churn(
            list((after - before).elements()), list((before - after).elements())
        )
        if masked:
            added_keys = list((Counter(added_keys) & _sentences(new_blocks, masked)).elements())
            removed_keys = list((Counter(removed_keys) & _sentences(old_blocks, masked)).elements())
        if not added_keys and not removed_keys:
            return []
        shown_new, shown_old = _display(new_blocks, masked), _display(old_blocks, masked)
        added = [_clip(shown_new.get(k, k)) for k in dict.fromkeys(added_keys)][:MAX_ITEMS]
        removed = [_clip(shown_old.get(k, k)) for k in dict.fromkeys(removed_keys)][:MAX_ITEMS]
        summary_bits = []
        if added:
            summary_bits.append(f"added: {added[0]}")
        if removed:
            summary_bits.append(f"removed: {removed[0]}")
        return [
            Change(
                type="content_change",
                added=added,
                removed=removed,
                evidence={
                    "before": removed[:3],
                    "after": added[:3],
                    "summary": "; ".join(summary_bits),
                },
            )
        ]

    def learn(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        state: dict[str, Any] | None,
        *,
        seconds_apart: float | None = None,
    ) -> dict[str, Any]:
        """Record which regions changed; regions that keep changing become volatile.

        Pure: `state` in, new state out (a small JSON dict the caller stores per page).
        Called after every comparison of two fetches. A region (block signature) that
        changed in VOLATILE_HITS of the last WINDOW comparisons is masked by `diff`
        from then on; if the caller knows the two fetches were seconds apart
        (`seconds_apart` < QUICK_SECONDS), nothing real can have moved, so every region
        that changed is volatile at once.
        """
        return learn_regions(
            old, new, state, quick=seconds_apart is not None and seconds_apart < QUICK_SECONDS
        )

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get("text", ""))


_NUMBER = re.compile(r"\d(?:[\d,.\u00a0\u202f ]*\d)?")
#: rates and service levels: any change to them is a term, never churn
_RATE = re.compile(r"%|\b(?:percent|uptime|sla)\b", re.I)
#: currency codes and local names written next to an amount (keys are case-folded by
#: normalize_text). Symbols ($ € £ ¥ ₹ ...) are found by their Unicode category instead.
#: Codes that are also words ("all", "top", "try", "cup") are left out on purpose.
_CURRENCY_WORDS = frozenset(
    """usd eur gbp jpy chf cad aud nzd sek nok dkk isk pln czk huf ron bgn inr brl mxn
    cny rmb zar sgd hkd krw twd thb idr myr vnd ils aed sar kr zł zl fr rs lei""".split()
)
#: a changed number this large is a count of something (visitors, deals, sign-ups), not a term
COUNTER_MIN = 20
#: a money amount is a running total, not a price, when it is this precise (significant
#: digits of its whole units): "€2,418,930,112 processed"; a price has few ("$1,299")
MONEY_COUNTER_DIGITS = 5
#: a number with at most this many significant digits is round ("10,000", "2,500"): a
#: figure someone chose to claim, not a reading of a live counter
ROUND_DIGITS = 2


def drop_number_churn(added: list[str], removed: list[str]) -> tuple[list[str], list[str]]:
    """Drop sentence pairs that differ only in live-counter readings ("1,364 designers online").

    Live counters come in endless wordings, so they are recognised by what changed, not
    by their words: the same sentence with only counter-like numbers changed (see
    `_counter_churn`). Small numbers ("up to 3 users" -> "5 users"), rates, prices and
    round claims ("Trusted by 10,000 teams" -> "50,000 teams") stay real changes.
    """
    if not added or not removed:
        return added, removed
    pending: dict[str, list[str]] = {}
    for key in removed:
        pending.setdefault(_NUMBER.sub("#", key), []).append(key)
    kept_added = []
    dropped: Counter[str] = Counter()
    for key in added:
        shape = _NUMBER.sub("#", key)
        partners = pending.get(shape)
        if partners and _counter_churn(partners[0], key):
            dropped[partners.pop(0)] += 1
            continue
        kept_added.append(key)
    kept_removed = []
    for key in removed:
        if dropped[key]:
            dropped[key] -= 1
        else:
            kept_removed.append(key)
    return kept_added, kept_removed


def _whole_units(number: str) -> str:
    """Digits of a number's whole part: "1,299.99" -> "1299", "2.310" -> "2310".

    A separator followed by one or two final digits is a decimal mark in every locale;
    three final digits are a thousands group ("2.310" in German is 2310).
    """
    return re.sub(r"\D", "", re.sub(r"[.,]\d{1,2}$", "", number))


#: "12.4k stars", "1.2M downloads", "3.5B events": the magnitude a short count is written in
#: (attached: "5 m" may be metres; comparison keys are case-folded, so "M" reads "m")
_MAGNITUDE = re.compile(r"([kmb])(?!\w)", re.I)
_MAGNITUDES = {"k": 3, "m": 6, "b": 9}


def _reading(key: str, match: re.Match[str]) -> str:
    """The whole units of a number as written in `key`, a "k"/"M"/"B" after it applied.

    "12.4k" reads 12400: a count of thousands, which the rules for counters see as the
    reading it is, instead of a small number 12.
    """
    number = match.group()
    suffix = _MAGNITUDE.match(key, match.end())
    if suffix is None or not re.fullmatch(r"\d+(?:[.,]\d{1,2})?", number):
        return _whole_units(number)
    whole, _, fraction = number.replace(",", ".").partition(".")
    zeros = _MAGNITUDES[suffix.group(1).lower()]
    return whole + fraction.ljust(zeros, "0")[:zeros]


def _significant(digits: str) -> int:
    return len(digits.strip("0"))


def _is_money(key: str, match: re.Match[str]) -> bool:
    """A number written with a currency symbol or code right before or after it."""
    before = key[: match.start()].rstrip()
    after = key[match.end() :].lstrip()
    if before and unicodedata.category(before[-1]) == "Sc":
        return True
    if after and unicodedata.category(after[0]) == "Sc":
        return True
    word_before = re.search(r"([^\W\d_]+)\.?$", before)
    word_after = re.match(r"([^\W\d_]+)", after)
    return any(w and w.group(1) in _CURRENCY_WORDS for w in (word_before, word_after))


def _counter_churn(old: str, new: str) -> bool:
    """True when the two sentences differ only in readings of a live counter.

    Every changed number must look like a counter reading:
    - at least COUNTER_MIN (small numbers are limits and terms: "up to 5 users");
    - not a rate (any percentage, uptime or SLA figure is a term);
    - not round on both sides: "10,000 teams" -> "50,000 teams" is a claim someone
      chose to make, while a counter reads "9,009" -> "9,464" (one side may be round by
      chance, not both);
    - a money amount only when it is a precise running total on both sides (at least
      MONEY_COUNTER_DIGITS significant digits of whole units, as "€2,418,930,112
      processed"); a price ("$29", "€1.299,00") never is.
    """
    if _RATE.search(old) or _RATE.search(new):
        return False
    olds, news = list(_NUMBER.finditer(old)), list(_NUMBER.finditer(new))
    if len(olds) != len(news) or [m.group() for m in olds] == [m.group() for m in news]:
        return False
    for a, b in zip(olds, news, strict=True):
        if a.group() == b.group():
            continue
        whole = [_reading(old, a), _reading(new, b)]
        if not all(whole) or min(int(w) for w in whole) < COUNTER_MIN:
            return False
        if all(_significant(w) <= ROUND_DIGITS for w in whole):
            return False
        if (_is_money(old, a) or _is_money(new, b)) and min(
            _significant(w) for w in whole
        ) < MONEY_COUNTER_DIGITS:
            return False
    return True


def _by_region(blocks: list[dict[str, str]]) -> dict[str, Counter[str]]:
    regions: dict[str, Counter[str]] = {}
    for b in blocks:
        key = normalize_text(b["text"])
        if _meaningful(key):
            regions.setdefault(b["sig"], Counter())[key] += 1
    return regions


def learn_regions(
    old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None, *, quick: bool = False
) -> dict[str, Any]:
    """The state after one more comparison: per-region change history and volatile set.

    State shape: {"history": {sig: "0110"}, "volatile": {sig: quiet_count}, "last": {sig:
    [digest before, digest after its last change]}}. Only regions that changed at least
    once in the window are kept, so it stays small. A region whose last change is undone
    the next night (an A/B test's variants taking turns) is volatile at once.
    """
    state = state or {}
    history: dict[str, str] = dict(state.get("history") or {})
    volatile: dict[str, int] = dict(state.get("volatile") or {})
    last: dict[str, list[str]] = dict(state.get("last") or {})
    before = _by_region(old.get("blocks") or [])
    after = _by_region(new.get("blocks") or [])
    changed = {sig for sig in before.keys() | after.keys() if before.get(sig) != after.get(sig)}

    for sig in changed:
        move = [_digest(before.get(sig)), _digest(after.get(sig))]
        if last.get(sig) == move[::-1] and history.get(sig, "").endswith("1"):
            volatile[sig] = 0  # back at once to what it was before: an A/B test's flip
        last[sig] = move
    for sig in set(history) | changed:
        bits = (history.get(sig, "") + ("1" if sig in changed else "0"))[-WINDOW:]
        if "1" in bits:
            history[sig] = bits
        else:
            history.pop(sig, None)
            last.pop(sig, None)
        if quick and sig in changed or bits.count("1") >= VOLATILE_HITS:
            volatile[sig] = 0
    for sig in list(volatile):
        if sig in changed:
            volatile[sig] = 0
        elif sig in before or sig in after:
            volatile[sig] += 1
            if volatile[sig] >= RELEARN_AFTER:
                del volatile[sig]
    out: dict[str, Any] = {"history": history, "volatile": volatile}
    if last:
        out["last"] = last
    return out


def _digest(region: Counter[str] | None) -> str:
    """A short fingerprint of a region's text keys ("" for a region that is not there)."""
    if not region:
        return ""
    joined = "\n".join(f"{k}\t{n}" for k, n in sorted(region.items()))
    return hashlib.blake2b(joined.encode(), digest_size=8).hexdigest()


def _reverted(
    state: dict[str, Any] | None,
    old_blocks: list[dict[str, str]],
    new_blocks: list[dict[str, str]],
) -> set[str]:
    """Regions that changed last time and now change straight back (A -> B, then B -> A):
    an A/B test's variants taking turns from one night to the next. The first change is
    reported; the flips after it are not, nor is anything else in that region that night.
    A region that goes back after a night or more at B is reported as usual."""
    last = (state or {}).get("last") or {}
    history = (state or {}).get("history") or {}
    recent = [sig for sig in last if history.get(sig, "").endswith("1")]
    if not recent:
        return set()
    before, after = _by_region(old_blocks), _by_region(new_blocks)
    return {
        sig
        for sig in recent
        if last[sig][0] != last[sig][1]
        and _digest(before.get(sig)) == last[sig][1]
        and _digest(after.get(sig)) == last[sig][0]
    }
