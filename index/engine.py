"""The fast path of search at 100k documents: numpy masks over cached postings and columns.

Whoosh's matchers and collectors visit each matching document in Python, and it expands
a date range into many numeric terms; at 100k events a common word with facets took
seconds. Here, per searcher (so the caches die with the index version they describe):

- a term's posting list is decoded straight from the postings file, a whole block at a
  time, into numpy arrays (whoosh's own block reader costs ~3x more per posting);
- a query becomes a boolean mask over doc numbers: And/Or/Not are `&`/`|`/`~`, ranges over
  `date`/`importance` compare cached columns, prefixes and numeric ranges are unions of
  their expanded terms;
- facet counts are one `bincount` over integer-coded columns;
- date/importance order is precomputed once, so a page of newest hits is a mask lookup;
- ranking is a lean BM25 added up per term over whole posting arrays.

Anything else (phrases, fuzzy/near queries) goes through whoosh's own matchers.
"""

from __future__ import annotations

import io
import math
import pickle
import struct
import threading
import zlib
from collections import OrderedDict
from itertools import accumulate
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.formats import Positions

from index.schema import FACETS, SCHEMA
from index.segments import leaves

_INT = struct.Struct("!i")
_MAGIC = b"W3Bl"
# Decoded posting lists kept across searchers, counted in postings (8 bytes each as
# int32 id + float32 weight): ~50 MB. At 100k events the searched fields hold ~3M.
POSTINGS_BUDGET = 6_000_000
# Joined (all segments) lists kept per searcher, in postings (16 bytes each).
SEARCHER_POSTINGS = 2_000_000
# What `Columns.warm` decodes at start-up: terms in at least this many docs of these fields.
WARM_MIN_DF = 1000
WARM_FIELDS = (
    "text",
    "title",
    "plan",
    "feature",
    "tags",
    "type",
    "signal",
    "company",
    "competitor",
    "doctype",
    "direction",
)


class Columns:
    """Per-searcher caches that make matching, facets and sorting cheap at 100k documents.

    Built once per searcher (an index version); `intel serve` builds it at start-up and
    keeps it, `intel search` builds it once per call.
    """

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        self.n = n = reader.doc_count_all()
        self.arange = np.arange(n, dtype=np.int64)
        # Facets as integer codes into a list of names (code 0: no value), from the
        # facet fields' postings: whoosh's column reader unpacks one value at a time.
        self.facet_names: dict[str, list[str | None]] = {}
        self.facet_codes: dict[str, np.ndarray] = {}
        for name, field in FACETS.items():
            names: list[str | None] = [None]
            codes = np.zeros(n, dtype=np.int32)
            for btext in reader.lexicon(field):
                names.append(SCHEMA[field].from_bytes(btext))
                codes[_read_postings(reader, field, btext)[0]] = len(names) - 1
            self.facet_names[name], self.facet_codes[name] = names, codes
        # Raw sortable integers: same order as the values, no conversion per document.
        self.date = numeric_column(reader, "date").astype(np.int64)
        self.importance = numeric_column(reader, "importance")
        # Each segment's deleted doc numbers (whoosh's all_doc_ids() asks per document).
        self.live = np.ones(n, dtype=bool)
        for sub, offset in leaves(reader):
            if sub.has_deletions():
                deleted = np.fromiter(sub.deleted_docs_set, dtype=np.int64)
                self.live[deleted + offset] = False
        # Newest first (then doc number); most important first, then newest.
        self.by_date = np.lexsort((self.arange, -self.date))
        self.date_rank = np.empty(n, dtype=np.int64)
        self.date_rank[self.by_date] = np.arange(n)  # 0 = newest
        self.by_importance = np.lexsort((self.date_rank, -_signed(self.importance)))
        self.companies = sorted(c for c in self.facet_names["competitor"] if c)
        self.docsets: OrderedDict[str, np.ndarray] = OrderedDict()
        self.posting_lists: OrderedDict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = (
            OrderedDict()
        )
        self.cached_postings = 0

    def warm(self, searcher) -> None:
        """Decode now what the first searches would: `intel serve` calls this at start-up.

        The posting lists of every term in more than WARM_MIN_DF documents of the
        searched fields (most frequent first, up to 80% of POSTINGS_BUDGET), each
        segment's stored-fields file. Rare terms are left:
        decoding one costs well under a millisecond.
        """
        reader = searcher.reader()
        wanted: list[tuple[int, Any, str, bytes]] = []
        for sub, _offset in leaves(reader):
            for docnum in sub.all_doc_ids():
                sub.stored_fields(docnum)  # opens (reads) the segment's stored-fields file
                break
            names = set(sub.indexed_field_names())
            for fieldname in WARM_FIELDS:
                if fieldname not in names:
                    continue
                for text, info in sub.iter_field(fieldname):
                    df = info.doc_frequency()
                    if df >= WARM_MIN_DF:
                        wanted.append((df, sub, fieldname, _btext(fieldname, text)))
        wanted.sort(key=lambda w: -w[0])
        total = 0
        for df, sub, fieldname, btext in wanted:
            if total + df > POSTINGS_BUDGET * 0.8:
                break
            if not SEGMENT_POSTINGS.has(sub, fieldname, btext):
                SEGMENT_POSTINGS.get(sub, fieldname, btext)
            total += df

    def forget_queries(self) -> None:
        """Drop what earlier searches decoded and matched (the benchmark's cold path)."""
        self.docsets.clear()
        self.posting_lists.clear()
        self.cached_postings = 0

    # -- matching ------------------------------------------------------------------------

    def docs(self, searcher, q: wq.Query | None) -> np.ndarray:
        """A boolean mask of the live docs matching `q` (all for None); last 64 cached."""
        if q is None or isinstance(q, wq.Every):
            return self.live
        key = repr(q)
        found = self.docsets.get(key)
        if found is None:
            found = self._eval(searcher, q) & self.live
            self.docsets[key] = found
            if len(self.docsets) > 64:
                self.docsets.popitem(last=False)
        else:
            self.docsets.move_to_end(key)
        return found

    def _eval(self, searcher, q: wq.Query) -> np.ndarray:
        if isinstance(q, wq.Every):
            return self.live
        if isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.n, dtype=bool)
        kind = type(q)
        if kind is wq.Term:
            return self._mask(self.postings(searcher, q.fieldname, q.text)[0])
        if kind is wq.And:
            out = self.live.copy()
            for sub in q.subqueries:
                out &= self._range(sub) if self._is_column_range(sub) else self._eval(searcher, sub)
            return out
        if kind is wq.Or:
            out = np.zeros(self.n, dtype=bool)
            for sub in q.subqueries:
                if type(sub) is wq.Phrase:  # docs already in need no position check
                    out |= self._phrase(searcher, sub, skip=out)
                else:
                    out |= self._eval(searcher, sub)
            return out
        if kind is wq.AndNot:
            return self._eval(searcher, q.a) & ~self._eval(searcher, q.b)
        if kind is wq.Not:
            return self.live & ~self._eval(searcher, q.query)
        if self._is_column_range(q):
            return self._range(q)
        if kind is wq.Phrase:
            return self._phrase(searcher, q)
        if isinstance(q, wq.NumericRange):  # old_price:[10 to 20]: a union of tiered terms
            return self._eval(searcher, q._compile_query(searcher.reader()))
        if isinstance(q, wq.Prefix | wq.Wildcard | wq.TermRange) and q.fieldname in SCHEMA.names():
            out = np.zeros(self.n, dtype=bool)
            for btext in q._btexts(searcher.reader()):
                out[self.postings(searcher, q.fieldname, btext)[0]] = True
            return out
        ids = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
        return self._mask(ids)

    def _phrase(self, searcher, q: wq.Phrase, skip: np.ndarray | None = None) -> np.ndarray:
        """Docs holding the words in order, each within `slop` positions of the last.

        The docs holding every word come from the cached postings; positions are
        decoded for those docs only (whoosh's phrase matcher walks span objects per
        document in Python: ~0.3 s for a two-word phrase at 100k events).
        """
        words = [_btext(q.fieldname, w) for w in q.words]
        found = self.live.copy()
        for w in words:
            found &= self._mask(self.postings(searcher, q.fieldname, w)[0])
        if not SCHEMA[q.fieldname].format.supports("positions"):
            return self._mask(np.fromiter(searcher.docs_for_query(q), dtype=np.int64))
        if skip is not None:
            found &= ~skip
        if len(words) < 2 or not found.any():
            return found
        reader = searcher.reader()
        positions = [_positions(reader, q.fieldname, w, found) for w in words]
        slop = max(1, int(q.slop or 1))
        for doc in np.flatnonzero(found).tolist():
            reach = set(positions[0].get(doc, ()))
            for later in positions[1:]:
                if slop == 1:  # the usual "quoted words": each right after the last
                    reach = {r + 1 for r in reach}.intersection(later.get(doc, ()))
                else:
                    reach = {p for p in later.get(doc, ()) if any(p - slop <= r < p for r in reach)}
                if not reach:
                    break
            found[doc] = bool(reach)
        return found

    def _mask(self, ids: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[ids] = True
        return out

    @staticmethod
    def _is_column_range(q: wq.Query) -> bool:
        return type(q) in (wq.NumericRange, wq.DateRange) and q.fieldname in ("date", "importance")

    def _range(self, q) -> np.ndarray:
        values = self.date if q.fieldname == "date" else self.importance
        field = SCHEMA[q.fieldname]

        def raw(bound):
            if bound is None:
                return None
            if q.fieldname == "date" and isinstance(bound, int):
                return bound  # the parser gives dates as whoosh's datetime longs already
            return field.to_column_value(bound)

        lo, hi = raw(q.start), raw(q.end)
        out = self.live.copy()
        if lo is not None:
            out &= (values > lo) if q.startexcl else (values >= lo)
        if hi is not None:
            out &= (values < hi) if q.endexcl else (values <= hi)
        return out

    def postings(self, searcher, fieldname: str, text: Any) -> tuple[np.ndarray, np.ndarray]:
        """All (doc ids, weights) of a term over every segment (see `_SegmentPostings`).

        The segments' lists joined at their offsets are kept for this searcher too
        (facet clicks and paging repeat the same words), up to SEARCHER_POSTINGS.
        """
        if fieldname not in SCHEMA.names():
            return _EMPTY_IDS, _EMPTY_WEIGHTS
        key = (fieldname, _btext(fieldname, text))
        found = self.posting_lists.get(key)
        if found is not None:
            self.posting_lists.move_to_end(key)
            return found
        found = _read_postings(searcher.reader(), fieldname, key[1])
        self.posting_lists[key] = found
        self.cached_postings += len(found[0])
        while self.cached_postings > SEARCHER_POSTINGS and len(self.posting_lists) > 1:
            _, (ids, _w) = self.posting_lists.popitem(last=False)
            self.cached_postings -= len(ids)
        return found

    # -- facets and order ----------------------------------------------------------------

    def facets_of(self, matched: np.ndarray) -> dict[str, dict[str, int]]:
        """Facet counts over a match mask: one bincount per facet, most frequent first."""
        out: dict[str, dict[str, int]] = {}
        for name, codes in self.facet_codes.items():
            names = self.facet_names[name]
            counts = np.bincount(codes[matched], minlength=len(names))
            pairs = [(names[i], int(counts[i])) for i in np.flatnonzero(counts) if i]
            pairs.sort(key=lambda kv: (-kv[1], kv[0]))
            out[name] = dict(pairs)
        return out

    def ordered(self, matched: np.ndarray, sort: str, start: int, stop: int) -> list[int]:
        """Doc numbers `start:stop` of the matches, newest or most important first."""
        order = self.by_date if sort == "date" else self.by_importance
        return order[matched[order]][start:stop].tolist()

    def rank(
        self, searcher, scoring: wq.Query, matched: np.ndarray, start: int, stop: int
    ) -> list[tuple[float, int]]:
        """(score, docnum) `start:stop` of the matches, best first (then newest).

        A lean BM25 without length normalisation (event texts are short and alike),
        added up per term over whole posting arrays: whoosh's matcher tree scores one
        document at a time in Python, hundreds of ms for common words at 100k events.
        """
        total = max(searcher.doc_count_all(), 1)
        scores = np.zeros(self.n, dtype=np.float64)
        for fieldname, text in scoring.iter_all_terms(phrases=True):
            boost = _RANK_FIELDS.get(fieldname)
            if boost is None:
                continue
            ids, weights = self.postings(searcher, fieldname, text)
            if not len(ids):
                continue
            df = len(ids)
            idf = math.log(1 + (total - df + 0.5) / (df + 0.5)) * boost
            scores[ids] += idf * weights / (weights + 1.2)
        docs = np.flatnonzero(matched)
        if not len(docs):
            return []
        s = np.round(scores[docs], 4)
        if len(docs) > stop * 4 and stop < len(docs):  # only the best `stop` need ordering
            kth = np.partition(s, len(s) - stop)[len(s) - stop]
            keep = s >= kth
            docs, s = docs[keep], s[keep]
        order = np.lexsort((docs, self.date_rank[docs], -s))[start:stop]
        return [(float(s[i]), int(docs[i])) for i in order]


_EMPTY_IDS = np.zeros(0, dtype=np.int64)
_EMPTY_WEIGHTS = np.zeros(0, dtype=np.float64)

# Text fields ranked by the words of a query, with their weight.
_RANK_FIELDS = {"text": 1.0, "title": 2.0, "plan": 2.0, "feature": 2.0}


def numeric_column(reader: Any, field: str) -> np.ndarray:
    """A NUMERIC field's raw (sortable, unsigned) column as a uint64 array by doc number.

    Whoosh stores it as fixed-size big-endian integers: read in one go, not per document.
    """
    out = np.zeros(reader.doc_count_all(), dtype=np.uint64)
    for sub, offset in leaves(reader):
        if not sub.has_column(field):
            continue
        cr = sub.column_reader(field, translate=False)
        code = getattr(cr, "_typecode", None)
        if type(cr).__name__ == "Reader" and code in _BIG_ENDIAN and hasattr(cr, "_count"):
            raw = cr._dbfile.get(cr._basepos, cr._count * cr._fixedlen)
            values = np.frombuffer(raw, dtype=_BIG_ENDIAN[code]).astype(np.uint64)
            out[offset : offset + len(values)] = values
            if cr._default and len(values) < sub.doc_count_all():
                out[offset + len(values) : offset + sub.doc_count_all()] = cr._default
        else:  # another column type: whoosh's reader
            values = np.array(list(cr), dtype=np.uint64)
            out[offset : offset + len(values)] = values
    return out


_BIG_ENDIAN = {"B": ">u1", "H": ">u2", "I": ">u4", "Q": ">u8"}


def _signed(values: np.ndarray) -> np.ndarray:
    """Unsigned sortable integers as signed ones in the same order (so they can be negated)."""
    return (values ^ np.uint64(1 << 63)).view(np.int64)


def _btext(fieldname: str, text: Any) -> bytes:
    return text if isinstance(text, bytes) else SCHEMA[fieldname].to_bytes(text)


class _SegmentPostings:
    """Decoded posting lists per (segment, field, term), shared by every searcher.

    Whoosh segments never change once written (deletions live beside them and are
    applied through the live mask), so a posting list decoded for one searcher stays
    right for the next: after a nightly update only the new segment's terms are decoded
    again. Bounded by POSTINGS_BUDGET postings, least recently used dropped first.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self.lists: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, sub, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        segid = getattr(sub, "_segid", None)
        key = (segid, fieldname, btext)
        if segid is not None:
            with self.lock:
                found = self.lists.get(key)
                if found is not None:
                    self.lists.move_to_end(key)
                    return found
        ids: list[int] = []
        weights: list[float] = []
        for block_ids, block_weights, _values in _blocks(sub, fieldname, btext):
            ids.extend(block_ids)
            weights.extend(block_weights)
        found = (np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32))
        if segid is not None:
            with self.lock:
                if key not in self.lists:
                    self.lists[key] = found
                    self.size += len(ids)
                while self.size > self.budget and len(self.lists) > 1:
                    _, (old, _w) = self.lists.popitem(last=False)
                    self.size -= len(old)
        return found

    def clear(self) -> None:
        with self.lock:
            self.lists.clear()
            self.size = 0

    def has(self, sub, fieldname: str, btext: bytes) -> bool:
        with self.lock:
            return (getattr(sub, "_segid", None), fieldname, btext) in self.lists


SEGMENT_POSTINGS = _SegmentPostings(POSTINGS_BUDGET)


def _read_postings(reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(ids, weights) of one term over all segments, ids global and ascending.

    Deleted documents are still in here: every match is masked by the live docs.
    """
    all_ids: list[np.ndarray] = []
    all_weights: list[np.ndarray] = []
    for sub, offset in leaves(reader):
        if (fieldname, btext) not in sub:
            continue
        ids, weights = SEGMENT_POSTINGS.get(sub, fieldname, btext)
        all_ids.append(ids.astype(np.int64) + offset)
        all_weights.append(weights)
    if not all_ids:
        return _EMPTY_IDS, _EMPTY_WEIGHTS
    if len(all_ids) == 1:
        return all_ids[0], all_weights[0]
    return np.concatenate(all_ids), np.concatenate(all_weights)


def _blocks(sub, fieldname: str, btext: bytes):
    """(ids, weights, values) per posting block of a term in one segment.

    Read straight from the whoosh3 postings file, the whole term at once: a block is an
    int length (negative for the last), a pickled info tuple (count, max id, max weight,
    compression, ...), then the (zlib-compressed) pickled tuple of delta-coded ids,
    weights and values. Whoosh's own reader does the same work through several Python
    calls per block. Another codec goes through whoosh's matcher.
    """
    terms = getattr(sub, "_terms", None)
    postfile = getattr(terms, "_postfile", None)
    try:
        info = terms.term_info(fieldname, btext) if postfile is not None else None
    except Exception:
        info = None
    if info is None or not hasattr(info, "extent"):
        yield from _matcher_blocks(sub, fieldname, btext)
        return
    if info.is_inlined():
        yield info.inlined_postings()
        return
    offset, length = info.extent()
    if isinstance(length, tuple):  # whoosh-reloaded's TermInfo.from_bytes leaves it unpacked
        length = length[0]
    raw = postfile.get(offset, length)
    if raw[:4] != _MAGIC:
        yield from _matcher_blocks(sub, fieldname, btext)
        return
    buf = io.BytesIO(raw)
    pos, end = 4, len(raw)
    while pos < end:
        (blen,) = _INT.unpack_from(raw, pos)
        last = blen < 0
        blen = abs(blen)
        buf.seek(pos + 4)
        count, _maxid, _maxw, comp, _mn, _mx = pickle.load(buf)
        data = raw[buf.tell() : pos + 4 + blen]
        deltas, w, values = pickle.loads(zlib.decompress(data) if comp else data)
        if w is None:
            w = [1.0] * count
        elif isinstance(w, float):
            w = [w] * count
        yield list(accumulate(deltas)), w, values
        pos += 4 + blen
        if last:
            break


def _matcher_blocks(sub, fieldname: str, btext: bytes):
    m = sub.postings(fieldname, btext)
    while type(m).__name__ == "FilterMatcher":  # deletions: applied by the live mask
        m = m.child
    ids, weights, values = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        values.append(m.value())
        m.next()
    yield ids, weights, values


def _positions(reader, fieldname: str, btext: bytes, wanted: np.ndarray) -> dict[int, list[int]]:
    """doc -> positions of a term, for the docs set in the mask `wanted` only."""
    fmt = SCHEMA[fieldname].format
    # whoosh's Positions values: uint count, then the pickled list of position deltas.
    plain = type(fmt) is Positions
    out: dict[int, list[int]] = {}
    for sub, offset in leaves(reader):
        if (fieldname, btext) not in sub:
            continue
        for ids, _w, values in _blocks(sub, fieldname, btext):
            if values is None:
                continue
            docs = np.asarray(ids, dtype=np.int64) + offset
            for i in np.flatnonzero(wanted[docs]).tolist():
                v = values[i]
                if plain:
                    deltas = pickle.loads(v[4:] if v[-1:] == b"." else v[4:] + b".")
                    out[int(docs[i])] = list(accumulate(deltas))
                else:
                    out[int(docs[i])] = fmt.decode_positions(v)
    return out


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
