"""The analyzer of the stemmed text fields: whoosh's StemmingAnalyzer, its usual call in one loop.

Whoosh runs a text through a chain of generators (tokenizer, lower-case, stop words,
stemming), four generator steps and a cache wrapper for every word. Indexing a night's
page texts spent about a third of its time there. `StemmedText` is the same chain, so
it pickles, compares and answers every other call as the chain does; the call that
indexes a text (positions, stop words removed, no character offsets) is one loop that
gives the same words at the same positions (tests/test_index_analysis.py compares them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import CompositeAnalyzer, StemmingAnalyzer, Token
from whoosh.lang.porter import stem

# Arguments the one loop handles, with the values it handles; any other call is the chain's.
_FAST_CALL = {"positions", "boosts", "mode", "start_pos", "removestops", "chars", "keeporiginal"}
_STEMS_MAX = 50_000  # whoosh's own stem cache size

_stems: dict[str, str] = {}


class StemmedText(CompositeAnalyzer):
    """`StemmingAnalyzer()` with a fast path for indexing."""

    def __init__(self) -> None:
        super().__init__(StemmingAnalyzer())

    def __call__(self, value: str, no_morph: bool = False, **kwargs: Any) -> Iterator[Token]:
        if (
            no_morph
            or not _FAST_CALL.issuperset(kwargs)
            or kwargs.get("chars")
            or kwargs.get("keeporiginal")
            or not kwargs.get("removestops", True)
            or not self._plain()
        ):
            return super().__call__(value, no_morph=no_morph, **kwargs)
        return self._index(value, kwargs)

    def _plain(self) -> bool:
        """The chain is the one built in `__init__` (an unpickled one could be another)."""
        items = self.items
        return (
            len(items) == 4
            and [type(i).__name__ for i in items]
            == ["RegexTokenizer", "LowercaseFilter", "StopFilter", "StemFilter"]
            and not items[0].gaps
            and getattr(items[3], "lang", None) is None
            and items[3].stemfn is stem  # the cache below holds this function's stems
        )

    def _index(self, value: str, kwargs: dict[str, Any]) -> Iterator[Token]:
        assert isinstance(value, str), f"{value!r} is not a str"  # as the tokenizer says
        positions = kwargs.get("positions", False)
        start_pos = kwargs.get("start_pos", 0)
        tokenizer, _lower, stop, stem = self.items
        stops, minsize, maxsize, renumber = stop.stops, stop.min, stop.max, stop.renumber
        ignore, stemfn = stem.ignore, stem.stemfn
        stems = _stems
        extra = {"boosts": kwargs["boosts"]} if "boosts" in kwargs else {}
        t = Token(positions, False, removestops=True, mode=kwargs.get("mode", ""), **extra)
        pos: int | None = None
        for i, match in enumerate(tokenizer.expression.finditer(value)):
            word = match.group(0).lower()
            n = len(word)
            if n < minsize or (maxsize is not None and n > maxsize) or word in stops:
                continue
            if word not in ignore:
                stemmed = stems.get(word)
                if stemmed is None:
                    if len(stems) >= _STEMS_MAX:
                        stems.clear()
                    stemmed = stems[word] = stemfn(word)
                word = stemmed
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if positions:
                # The stop filter renumbers: the first word kept keeps its place, the
                # next ones follow it without gaps.
                pos = start_pos + i if pos is None or not renumber else pos + 1
                t.pos = pos
            yield t
