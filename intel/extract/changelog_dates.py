"""Dates and version numbers as changelog headings write them.

Finding a date in a heading has to be fast (a long release-notes page has hundreds of
headings) and strict (a body line that mentions "March 31, 2026" is not the entry's
date). So candidates are cut out with regular expressions first, month words are
looked up in a table built once from babel's CLDR data for the common languages, and
only an unknown word goes to dateparser (cached). Relative dates ("3 days ago") are
deliberately not dates: they move every night and would only make noise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import lru_cache

_LOCALES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs",
    "tr", "ru", "uk", "ro", "hu", "ca", "id",
)  # fmt: skip


def _fold(word: str) -> str:
    """Lower-case, accents off, trailing dot off: 'Févr.' and 'fevr' are one key."""
    word = unicodedata.normalize("NFKD", word.casefold())
    word = "".join(c for c in word if not unicodedata.combining(c))
    return word.rstrip(".")


@lru_cache(maxsize=1)
def _month_table() -> dict[str, int]:
    """Month words (wide and abbreviated, nominative and genitive) of many languages."""
    from babel import Locale

    table: dict[str, int] = {}
    for code in _LOCALES:
        try:
            loc = Locale.parse(code)
        except (ValueError, LookupError):  # pragma: no cover - babel data missing
            continue
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for num, name in loc.months[context][width].items():
                    key = _fold(name)
                    if len(key) >= 3 and key not in table:
                        table[key] = num
    table.update({"sept": 9, "sep": 9, "june": 6, "july": 7})
    return table


_ORD = r"(?:st|nd|rd|th|er|e|ᵉ|º|\.)?"
_WORD = r"([^\W\d_]{3,}\.?)"
_YEAR = r"((?:19|20)\d\d)"
_DAY = r"([0-3]?\d)"

_DIGIT = re.compile(r"\d")
_ISO = re.compile(r"(?<![\d.])((?:19|20)\d\d)([-/.])(\d{1,2})\2(\d{1,2})(?!\d|\.\d)")
_CJK = re.compile(r"((?:19|20)\d\d)\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_DMY_WORD = re.compile(
    rf"(?<![\w.]){_DAY}{_ORD}\s*(?:de\s+|of\s+)?{_WORD}(?:\s+de)?,?\s+{_YEAR}(?!\d)", re.I
)
_MDY_WORD = re.compile(rf"(?<![\w]){_WORD}\s+{_DAY}{_ORD},?\s+{_YEAR}(?!\d)", re.I)
#: "04-Dec-2026" (logs, Oracle-style) and "2026. december 4." (Hungarian: year first)
_DMY_DASH = re.compile(rf"(?<![\w.]){_DAY}-{_WORD}-{_YEAR}(?!\d)", re.I)
_YMD_WORD = re.compile(rf"(?<![\w.]){_YEAR}\.\s+{_WORD}\s+{_DAY}\.?(?!\d)", re.I)
_NUMERIC = re.compile(r"(?<![\d.])([0-3]?\d)([./])([0-3]?\d)\2((?:19|20)\d\d)(?![\d])")


def _valid(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _month_of(word: str) -> int | None:
    """The month a word names, in any language the table or dateparser knows."""
    key = _fold(word)
    table = _month_table()
    if key in table:
        return table[key]
    if len(key) < 3 or key in _NOT_MONTHS:
        return None
    import dateparser

    got = dateparser.parse(
        f"1 {word} 2000", settings={"STRICT_PARSING": True, "PREFER_DATES_FROM": "past"}
    )
    return got.month if got is not None else None


# Words dateparser would happily read as a month or weekday in some language.
_NOT_MONTHS = frozenset({"version", "release", "build", "update", "the", "and", "for"})


@lru_cache(maxsize=8192)  # a heading is read by every strategy, and again the next night
def find_date(text: str) -> tuple[str, tuple[int, int]] | None:
    """The first calendar date written in `text` as (YYYY-MM-DD, span), else None."""
    if not text or not _DIGIT.search(text):
        return None
    found: list[tuple[int, int, str]] = []
    for pattern, read in _SHAPES:
        for m in pattern.finditer(text):
            iso = read(m)
            if iso:
                found.append((m.start(), m.end(), iso))
                break
    if not found:
        return None
    start, end, iso = min(found)
    return iso, (start, end)


def _worded(year: int, month_word: str, day: int) -> str | None:
    month = _month_of(month_word)
    return _valid(year, month, day) if month else None


def _numeric(m: re.Match[str]) -> str | None:
    a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
    # dots are European (day first); slashes are ambiguous: day first only if it must be
    if m.group(2) == "." or a > 12:
        return _valid(y, b, a)
    return _valid(y, a, b)


#: Each shape of date and how its match reads as a date; `find_date` takes, of each
#: shape's first valid match, the one that starts first.
_SHAPES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (_ISO, lambda m: _valid(int(m.group(1)), int(m.group(3)), int(m.group(4)))),
    (_CJK, lambda m: _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))),
    (_DMY_WORD, lambda m: _worded(int(m.group(3)), m.group(2), int(m.group(1)))),
    (_DMY_DASH, lambda m: _worded(int(m.group(3)), m.group(2), int(m.group(1)))),
    (_YMD_WORD, lambda m: _worded(int(m.group(1)), m.group(2), int(m.group(3)))),
    (_MDY_WORD, lambda m: _worded(int(m.group(3)), m.group(1), int(m.group(2)))),
    (_NUMERIC, _numeric),
]


def parse_datetime_attr(value: str | None) -> str | None:
    """`<time datetime>` values: ISO dates and timestamps, first 10 characters."""
    if not value:
        return None
    m = _ISO.match(value.strip())
    if not m:
        return None
    return _valid(int(m.group(1)), int(m.group(3)), int(m.group(4)))


# A version as release headings write it: 2.9.0, v3.4.0, 2.14.0b1, 1.0.0-rc.1, 2.4.10.dev
VERSION = re.compile(
    r"(?<![\w.\-/])[vV]?(\d+(?:\.\d+)+(?:[-.+]?(?:alpha|beta|rc|pre|preview|post|dev|a|b)"
    r"(?:[.-]?\d+)*)?)(?![\w]|\.\d)"
)


def versions(text: str) -> list[str]:
    """Version numbers in `text`, without a leading v (dates cut out first by callers)."""
    return [m.group(1).lower() for m in VERSION.finditer(text)]
