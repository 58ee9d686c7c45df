"""The fast path of search at 100k documents: set algebra over cached postings and columns.

Whoosh's matchers and collectors visit each matching document in Python, and it expands
a date range into many numeric terms; at 100k events a common word with facets took
seconds. Here, per searcher (so the caches die with the index version they describe):

- each term's posting list is decoded once, a whole block at a time;
- And/Or/Not become set operations, `date`/`importance` ranges compare cached columns;
- facet counts are one C-speed Counter pass over the match set;
- ranking is a lean BM25 over the same posting lists, restricted to the match set.

Anything else (phrases, prefixes, wildcards) goes through whoosh's own matchers.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, OrderedDict
from typing import Any

from whoosh import query as wq

from index.schema import FACETS, SCHEMA


def column(reader: Any, field: str, *, translate: bool = True, default: Any = None) -> list[Any]:
    """A field's column as a list indexed by doc number, whatever the segments hold.

    Whoosh's multi-segment column reader skips the segments that lack the column (a
    segment of page documents has no `type`), so iterating it shifts every later value
    onto the wrong document. Each segment is read here at its own offset instead.
    """
    subs = (
        list(zip(reader.readers, reader.doc_offsets, strict=True))
        if hasattr(reader, "readers")
        else [(reader, 0)]
    )
    out: list[Any] = [default] * reader.doc_count_all()
    for sub, offset in subs:
        if sub.has_column(field):
            values = list(sub.column_reader(field, translate=translate))
            out[offset : offset + len(values)] = values
    return out


class Columns:
    """Per-searcher caches that make facets and date sorting cheap at 100k documents.

    Whoosh's own grouping and sorting visit every match in Python (over a second for a
    common word at 100k events). Instead, the facet, date and importance columns are
    read once per searcher into lists indexed by doc number, the doc sets of filters and
    recent queries are kept, and facet counts are one C-speed Counter pass over the matches.
    """

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        self.facets = {name: column(reader, field) for name, field in FACETS.items()}
        # Raw sortable integers: same order as the values, no conversion per document.
        self.date = column(reader, "date", translate=False, default=0)
        self.importance = column(reader, "importance", translate=False, default=0)
        self.live = frozenset(reader.all_doc_ids()) if reader.has_deletions() else None
        self.all = self.live if self.live is not None else frozenset(range(reader.doc_count_all()))
        self.docsets: OrderedDict[str, frozenset[int]] = OrderedDict()
        self.posting_lists: OrderedDict[tuple[str, bytes], tuple[list, list]] = OrderedDict()
        self.facet_counts: OrderedDict[str, dict[str, dict[str, int]]] = OrderedDict()
        self.by_date = sorted(self.all, key=self.date.__getitem__, reverse=True)
        self.companies = sorted({c for c in self.facets["competitor"] if c})

    def docs(self, searcher, q: wq.Query | None) -> frozenset[int]:
        """Doc numbers matching `q` (every live doc for None), cached for the last 128 queries."""
        if q is None or isinstance(q, wq.Every):
            return self.all
        key = repr(q)
        found = self.docsets.get(key)
        if found is None:
            found = self._eval(searcher, q)
            if self.live is not None:
                found &= self.live
            self.docsets[key] = found
            if len(self.docsets) > 128:
                self.docsets.popitem(last=False)
        else:
            self.docsets.move_to_end(key)
        return found

    def _eval(self, searcher, q: wq.Query) -> frozenset[int]:
        """Set algebra over posting blocks and columns; whoosh's own matchers for the rest.

        Whoosh walks matches one doc at a time in Python, and expands a date range into
        many numeric terms: at 100k documents that alone costs seconds. Terms read whole
        posting blocks, And/Or/Not are set operations, and ranges over `date` and
        `importance` compare the cached column values of the candidates.
        """
        if isinstance(q, wq.Every):
            return self.all
        if q is wq.NullQuery:
            return frozenset()
        if type(q) is wq.Term:
            return self._term(searcher, q.fieldname, q.text)
        if type(q) is wq.And:
            ranges = [c for c in q.subqueries if self._column_range(c) is not None]
            others = [c for c in q.subqueries if self._column_range(c) is None]
            sets = sorted((self._eval(searcher, c) for c in others), key=len)
            result = sets[0] if sets else self.all
            for other in sets[1:]:
                result = result & other
            for r in ranges:
                result = self._in_range(result, r)
            return frozenset(result)
        if type(q) is wq.Or:
            result: set[int] = set()
            for c in q.subqueries:
                result |= self._eval(searcher, c)
            return frozenset(result)
        if type(q) is wq.AndNot:
            return self._eval(searcher, q.a) - self._eval(searcher, q.b)
        if type(q) is wq.Not:
            return self.all - self._eval(searcher, q.query)
        if self._column_range(q) is not None:
            return frozenset(self._in_range(self.all, q))
        return frozenset(searcher.docs_for_query(q))

    def _column_range(self, q: wq.Query):
        if type(q) in (wq.NumericRange, wq.DateRange) and q.fieldname in ("date", "importance"):
            return q
        return None

    def _in_range(self, docs, q) -> set[int]:
        column = self.date if q.fieldname == "date" else self.importance
        field = SCHEMA[q.fieldname]

        def raw(bound):
            if bound is None:
                return None
            if q.fieldname == "date" and isinstance(bound, int):
                return bound  # the parser gives dates as whoosh's datetime longs already
            return field.to_column_value(bound)

        lo, hi = raw(q.start), raw(q.end)
        out = set()
        for n in docs:
            v = column[n]
            if lo is not None and (v < lo or (q.startexcl and v == lo)):
                continue
            if hi is not None and (v > hi or (q.endexcl and v == hi)):
                continue
            out.add(n)
        return out

    def _term(self, searcher, fieldname: str, text: Any) -> frozenset[int]:
        return frozenset(self.postings(searcher, fieldname, text)[0])

    def postings(self, searcher, fieldname: str, text: Any) -> tuple[list[int], list[float]]:
        """All (doc ids, weights) of a term, decoded once per searcher (last 256 terms).

        Decoding whoosh's pickled, compressed posting blocks is most of a query's cost;
        facet clicks and paging repeat the same words.
        """
        if fieldname not in SCHEMA.names():
            return [], []
        key = (fieldname, _btext(fieldname, text))
        found = self.posting_lists.get(key)
        if found is None:
            ids: list[int] = []
            weights: list[float] = []
            for block_ids, block_weights in _postings(searcher, fieldname, text, weights=True):
                ids.extend(block_ids)
                weights.extend(block_weights)
            found = self.posting_lists[key] = (ids, weights)
            if len(self.posting_lists) > 256:
                self.posting_lists.popitem(last=False)
        else:
            self.posting_lists.move_to_end(key)
        return found

    def facets_of(self, matched, key: str) -> dict[str, dict[str, int]]:
        """Facet counts over a match set: one C-speed Counter pass per facet, cached by query."""
        found = self.facet_counts.get(key)
        if found is None:
            found = {}
            for name, values in self.facets.items():
                counts = Counter(map(values.__getitem__, matched))
                found[name] = dict(
                    sorted(
                        ((str(k), int(v)) for k, v in counts.items() if k not in (None, "")),
                        key=lambda kv: (-kv[1], kv[0]),
                    )
                )
            self.facet_counts[key] = found
            if len(self.facet_counts) > 128:
                self.facet_counts.popitem(last=False)
        else:
            self.facet_counts.move_to_end(key)
        return {name: dict(counts) for name, counts in found.items()}

    def rank(self, searcher, scoring: wq.Query, matched, n: int) -> list[tuple[float, int]]:
        """The `n` best (score, docnum) of `matched` for the words of `scoring`.

        A lean BM25 without length normalisation (event texts are short and alike),
        computed from whole posting blocks: whoosh's matcher tree scores one document at
        a time in Python, which costs hundreds of ms for common words at 100k events.
        """
        total = max(searcher.doc_count_all(), 1)
        scores: dict[int, float] = {}
        get = scores.get
        for fieldname, text in scoring.iter_all_terms(phrases=True):
            boost = _RANK_FIELDS.get(fieldname)
            if boost is None:
                continue
            btext = _btext(fieldname, text)
            df = searcher.doc_frequency(fieldname, btext)
            if not df:
                continue
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5)) * boost
            ids, weights = self.postings(searcher, fieldname, text)
            for doc, tf in zip(ids, weights, strict=True):
                if doc in matched:
                    scores[doc] = get(doc, 0.0) + idf * tf / (tf + 1.2)
        if not scores:  # e.g. a query only on fields we do not rank by: newest first
            date = self.date
            return [(0.0, d) for d in heapq.nlargest(n, matched, key=date.__getitem__)]
        date = self.date
        best = heapq.nlargest(n, scores.items(), key=lambda kv: (kv[1], date[kv[0]]))
        return [(round(score, 4), doc) for doc, score in best]


# Text fields ranked by the words of a query, with their weight.
_RANK_FIELDS = {"text": 1.0, "title": 2.0, "plan": 2.0, "feature": 2.0}


def _btext(fieldname: str, text: Any) -> bytes:
    return text if isinstance(text, bytes) else SCHEMA[fieldname].to_bytes(text)


def _postings(searcher, fieldname: str, text: Any, *, weights: bool):
    """(ids, weights) per posting block of a term over all segments, ids made global."""
    if fieldname not in SCHEMA.names():
        return
    btext = _btext(fieldname, text)
    for reader, offset in searcher.reader().leaf_readers():
        if (fieldname, btext) not in reader:
            continue
        m = reader.postings(fieldname, btext)
        while type(m).__name__ == "FilterMatcher":  # deletions: callers intersect with `live`
            m = m.child
        if not (hasattr(m, "_read_ids") and hasattr(m, "_next_block")):  # another codec
            ids, ws = [], []
            while m.is_active():
                ids.append(m.id() + offset)
                ws.append(m.weight() if weights else None)
                m.next()
            yield ids, (ws if weights else None)
            continue
        while m.is_active():  # a whole block at a time
            if m._ids is None:
                m._read_ids()
            ids = m._ids[m._i :]
            w = None
            if weights:
                if m._weights is None:
                    m._read_weights()
                w = m._weights[m._i :]
            yield (ids if not offset else [i + offset for i in ids]), w
            m._i = m._blocklength
            m._next_block()


# Fields that only select (a term there scores the same for every doc it matches): they
# are left out of the query whoosh scores, since the match set already applies them.
_SELECT_ONLY = {
    "doctype",
    "type",
    "signal",
    "company",
    "competitor",
    "tags",
    "direction",
    "currency",
    "period",
    "billing",
    "url",
    "kind",
    "date",
    "published",
    "importance",
    "old_price",
    "new_price",
    "event_id",
    "key",
}


def scoring_query(q: wq.Query) -> wq.Query | None:
    """The part of `q` worth ranking by: words in text fields; phrases as their words.

    Ranking only happens inside the exact match set (the filter), so this may match more
    than `q`; it must only never rank by a field that selects. None: nothing to rank by.
    """
    if isinstance(q, wq.Every) or q is wq.NullQuery:
        return None
    if type(q) in (wq.And, wq.Or):
        kids = [k for k in (scoring_query(c) for c in q.subqueries) if k is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else type(q)(kids)
    if type(q) is wq.AndNot:
        return scoring_query(q.a)
    if type(q) is wq.Not:
        return None
    if type(q) is wq.Phrase:
        if q.fieldname in _SELECT_ONLY:
            return None
        words = [wq.Term(q.fieldname, w) for w in q.words]
        return words[0] if len(words) == 1 else wq.And(words)
    fieldname = getattr(q, "fieldname", None)
    if fieldname in _SELECT_ONLY:
        return None
    return q
