"""Searching the intel index: Whoosh's query language, filters, facets and snippets.

    search(index_dir, SearchRequest(q="competitor:acme type:price_change date:[20260901 to]"))

The free text goes through Whoosh's parser (fields, phrases, ranges, `importance:>0.5`);
the options (`competitor`, `type`, `signal`, `tag`, `since`, `until`) become a filter
query, which the searcher caches as a doc set, so clicking through facets stays cheap.
Searchers are cached per index dir and refreshed only when the index changed: opening
one costs far more than a typical query.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight
from whoosh.qparser import GtLtPlugin, MultifieldParser

from index.docs import MARK_END, MARK_START, parse_date
from index.schema import FACETS, SCHEMA
from index.writer import INDEX_NAME, check_index, read_meta
from intel.errors import IndexError_

SORTS = ("relevance", "date", "importance")
MAX_LIMIT = 500


@dataclass
class SearchRequest:
    """One search: the query text plus the options of `intel search` and `/api/search`."""

    q: str = ""
    competitor: str | None = None
    type: str | None = None
    signal: str | None = None
    tag: str | None = None
    since: str | None = None  # YYYY-MM-DD (inclusive) or an ISO datetime
    until: str | None = None  # YYYY-MM-DD (inclusive: the whole day) or an ISO datetime
    sort: str | None = None  # relevance | date | importance; None: relevance if q else date
    limit: int = 20
    page: int = 1
    pages: bool = False  # include page-text documents, not only events
    facets: bool = True

    def effective_sort(self) -> str:
        if self.sort in SORTS:
            return self.sort  # type: ignore[return-value]
        return "relevance" if self.q.strip() else "date"


@dataclass
class Hit:
    """One result: the fields a list shows, the snippet, and the full event dict."""

    key: str
    doctype: str
    score: float | None
    event_id: int | None
    competitor: str | None
    type: str | None
    signal: str | None
    tags: list[str]
    title: str
    date: str | None
    url: str | None
    importance: float | None
    snippet: str  # matches wrapped in MARK_START/MARK_END; use snippet_html / snippet_text
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def snippet_html(self) -> Markup:
        """The snippet as safe HTML: page text escaped, matches in <mark>."""
        return Markup(
            str(escape(self.snippet)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
        )

    @property
    def snippet_text(self) -> str:
        return self.snippet.replace(MARK_START, "").replace(MARK_END, "")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["snippet"] = self.snippet_text
        d["snippet_html"] = str(self.snippet_html)
        return d


@dataclass
class Results:
    """A page of hits, the total number of matches and the facet counts over all of them."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    sort: str
    page: int
    limit: int
    took_ms: float
    query: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "limit": self.limit,
            "sort": self.sort,
            "took_ms": round(self.took_ms, 2),
            "query": self.query,
            "facets": self.facets,
            "hits": [h.to_dict() for h in self.hits],
        }


class _MarkFormatter(Formatter):
    """Wraps matches in private-use marks, so each front end escapes first, then styles."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + get_text(text, token, replace) + MARK_END


class _Cached:
    """An open index and searcher for one dir, reopened when the index is rebuilt or updated."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.lock = threading.RLock()
        self.build: str | None = None
        self.ix = None
        self.searcher = None
        self.columns: _Columns | None = None
        self.checked = 0.0

    def get(self):
        """The current searcher (call with `lock` held)."""
        now = time.monotonic()
        if self.searcher is not None and now - self.checked < 0.5:
            return self.searcher
        self.checked = now
        build = read_meta(self.index_dir).get("build")
        if self.searcher is None or build != self.build:
            self._open(build)
        elif not self.searcher.up_to_date():
            self.searcher = self.searcher.refresh()
            self.columns = _Columns(self.searcher)
        return self.searcher

    def _open(self, build: str | None) -> None:
        self.close()
        problem = check_index(self.index_dir)
        if problem:
            raise IndexError_(f"the search index at {self.index_dir} is {problem}")
        self.ix = whoosh_index.open_dir(str(self.index_dir), indexname=INDEX_NAME)
        self.searcher = self.ix.searcher()
        self.columns = _Columns(self.searcher)
        self.build = build

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.searcher = self.ix = self.columns = None


_CACHE: dict[Path, _Cached] = {}
_CACHE_LOCK = threading.Lock()


def _cached(index_dir: str | Path) -> _Cached:
    path = Path(index_dir).resolve()
    with _CACHE_LOCK:
        if path not in _CACHE:
            _CACHE[path] = _Cached(path)
        return _CACHE[path]


def forget(index_dir: str | Path) -> None:
    """Close the cached searcher of `index_dir` (after a rebuild, or in tests)."""
    path = Path(index_dir).resolve()
    with _CACHE_LOCK:
        cached = _CACHE.pop(path, None)
    if cached is not None:
        with cached.lock:
            cached.close()


def parse_query(text: str) -> wq.Query:
    """The user's query in Whoosh's language; words search titles and all text (AND)."""
    if not text.strip():
        return wq.Every()
    parser = MultifieldParser(["title", "text"], SCHEMA, fieldboosts={"title": 2.0})
    parser.add_plugin(GtLtPlugin())
    return parser.parse(text)


def build_filter(req: SearchRequest, companies: list[str] | None = None) -> wq.Query | None:
    """The options as one filter query (no scoring; cached by the searcher)."""
    parts: list[wq.Query] = []
    if not req.pages and "doctype:" not in req.q:
        parts.append(wq.Term("doctype", "event"))
    if req.competitor:
        parts.append(_any_of(req.competitor, lambda v: _competitor_query(v, companies)))
    if req.type:
        parts.append(_any_of(req.type, lambda v: wq.Term("type", v)))
    if req.signal:
        parts.append(_any_of(req.signal, lambda v: wq.Term("signal", v.lower())))
    if req.tag:
        parts.append(_any_of(req.tag, lambda v: wq.Term("tags", v.lower())))
    if req.since or req.until:
        start = _bound(req.since, end=False)
        end = _bound(req.until, end=True)
        parts.append(wq.DateRange("date", start, end, endexcl=True))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else wq.And(parts)


def search(index_dir: str | Path, req: SearchRequest) -> Results:
    """Run one search; IndexError_ when the index is missing or damaged (callers rebuild)."""
    started = time.perf_counter()
    limit = max(1, min(int(req.limit or 20), MAX_LIMIT))
    page = max(1, int(req.page or 1))
    query = parse_query(req.q)
    sort = req.effective_sort()
    cached = _cached(index_dir)
    with cached.lock:
        searcher = cached.get()
        filt = build_filter(req, cached.columns.companies)
        try:
            return _run(cached, searcher, req, query, filt, sort, limit, page, started)
        except (IndexError_, TypeError, AttributeError, NameError):
            raise  # our own mistakes or bad input, not a damaged index
        except Exception as exc:  # a damaged segment shows up while reading postings
            cached.close()
            raise IndexError_(f"the search index at {index_dir} is corrupt: {exc}") from exc


class _Columns:
    """Per-searcher caches that make facets and date sorting cheap at 100k documents.

    Whoosh's own grouping and sorting visit every match in Python (over a second for a
    common word at 100k events). Instead, the facet, date and importance columns are
    read once per searcher into lists indexed by doc number, the doc sets of filters and
    recent queries are kept, and facet counts are one C-speed Counter pass over the matches.
    """

    def __init__(self, searcher) -> None:
        reader = searcher.reader()
        self.facets = {name: list(reader.column_reader(field)) for name, field in FACETS.items()}
        # Raw sortable integers: same order as the values, no conversion per document.
        self.date = list(reader.column_reader("date", translate=False))
        self.importance = list(reader.column_reader("importance", translate=False))
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


def _run(cached, searcher, req, query, filt, sort, limit, page, started) -> Results:
    cols = cached.columns
    matched = cols.docs(searcher, query)
    if filt is not None:
        filtered = cols.docs(searcher, filt)
        matched = matched & filtered if len(matched) > len(filtered) else filtered & matched
    offset = (page - 1) * limit
    top: list[tuple[float | None, int]] = []
    # Never hand whoosh an empty filter set: it reads an empty filter as "no filter".
    scoring = _scoring_query(query)
    if matched and sort == "relevance" and scoring is None:
        sort = "date"  # nothing to rank by (only filters): equal scores, newest first
    if matched and sort == "relevance":
        top = cols.rank(searcher, scoring, matched, offset + limit)[offset:]
    elif matched:
        column = cols.date if sort == "date" else cols.importance
        if sort == "date":
            key = column.__getitem__
        else:  # importance, then newest first among equals
            date = cols.date

            def key(n: int) -> tuple:
                return (column[n], date[n])

        if sort == "date" and len(matched) > 5000:
            # Walk the newest-first order until the page is full: early exit on big sets.
            wanted = offset + limit
            picked = list(itertools.islice((n for n in cols.by_date if n in matched), wanted))
            top = [(None, n) for n in picked[offset:]]
        else:
            top = [(None, n) for n in heapq.nlargest(offset + limit, matched, key=key)[offset:]]
    terms = _highlight_terms(query)
    hits = [_hit(searcher.stored_fields(n), score, terms) for score, n in top]
    facets: dict[str, dict[str, int]] = {}
    if req.facets:
        facets = cols.facets_of(matched, f"{query!r}|{filt!r}")
    return Results(
        total=len(matched),
        hits=hits,
        facets=facets,
        sort=sort,
        page=page,
        limit=limit,
        took_ms=(time.perf_counter() - started) * 1000,
        query=str(query) if not isinstance(query, wq.Every) else "*",
    )


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


def _scoring_query(q: wq.Query) -> wq.Query | None:
    """The part of `q` worth ranking by: words in text fields; phrases as their words.

    Ranking only happens inside the exact match set (the filter), so this may match more
    than `q`; it must only never rank by a field that selects. None: nothing to rank by.
    """
    if isinstance(q, wq.Every) or q is wq.NullQuery:
        return None
    if type(q) in (wq.And, wq.Or):
        kids = [k for k in (_scoring_query(c) for c in q.subqueries) if k is not None]
        if not kids:
            return None
        return kids[0] if len(kids) == 1 else type(q)(kids)
    if type(q) is wq.AndNot:
        return _scoring_query(q.a)
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


def _highlight_terms(query: wq.Query) -> frozenset[str]:
    """The words of the query that a snippet of the stemmed `text` field should mark."""
    out = set()
    for fieldname, text in query.iter_all_terms(phrases=True):
        if fieldname in ("text", "title"):
            out.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return frozenset(out)


def _snippet(text: str, terms: frozenset[str]) -> str:
    """Up to two fragments of `text` around the query's words, matches marked."""
    snippet = ""
    if terms and text:
        snippet = highlight(
            text,
            terms,
            SCHEMA["text"].analyzer,
            ContextFragmenter(maxchars=240, surround=60),
            _MarkFormatter(),
            top=2,
        )
    if not snippet:
        snippet = text[:200] + ("…" if len(text) > 200 else "")
    return snippet


def _hit(stored: dict[str, Any], score: float | None, terms: frozenset[str]) -> Hit:
    snippet = _snippet(stored.get("text") or "", terms)
    date = stored.get("date")
    tags = [t for t in (stored.get("tags") or "").split(",") if t]
    return Hit(
        key=stored["key"],
        doctype=stored.get("doctype", "event"),
        score=round(float(score), 4) if isinstance(score, int | float) else None,
        event_id=stored.get("event_id"),
        competitor=stored.get("company"),
        type=stored.get("type"),
        signal=stored.get("signal"),
        tags=tags,
        title=stored.get("title") or "",
        date=date.isoformat(timespec="seconds") if isinstance(date, datetime) else None,
        url=stored.get("url"),
        importance=stored.get("importance"),
        snippet=snippet,
        data=stored.get("data") or {},
    )


def get_document(index_dir: str | Path, key: str) -> dict[str, Any] | None:
    """The stored fields of one document by key ("event:<id>"), or None."""
    cached = _cached(index_dir)
    with cached.lock:
        return cached.get().document(key=key)


def price_histories(index_dir: str | Path, competitor: str | None = None) -> list[dict[str, Any]]:
    """Every plan with price moves: {competitor, plan, currency, period, billing, points}.

    Points are that plan's price_change events, oldest first, so a chart can draw the
    price before the first move and after each one.
    """
    cached = _cached(index_dir)
    parts: list[wq.Query] = [wq.Term("doctype", "event"), wq.Term("type", "price_change")]
    if competitor:
        parts.append(wq.Term("company", competitor))
    with cached.lock:
        searcher = cached.get()
        docs = [hit.fields() for hit in searcher.search(wq.And(parts), limit=None, sortedby="date")]
    plans: dict[tuple, dict[str, Any]] = {}
    for d in docs:
        data = d.get("data") or {}
        if not data.get("plan") or not isinstance(d.get("date"), datetime):
            continue
        ident = (
            d.get("company"),
            data["plan"],
            data.get("currency"),
            data.get("period"),
            data.get("billing"),
        )
        entry = plans.setdefault(
            ident,
            dict(
                zip(("competitor", "plan", "currency", "period", "billing"), ident, strict=True),
                points=[],
            ),
        )
        entry["points"].append(
            {
                "date": d["date"].date().isoformat(),
                "old_price": data.get("old_price"),
                "new_price": data.get("new_price"),
                "currency": data.get("currency"),
                "event_id": d.get("event_id"),
            }
        )
    return sorted(plans.values(), key=lambda p: (str(p["competitor"]), str(p["plan"])))


def price_history(
    index_dir: str | Path, competitor: str, plan: str, **same: str | None
) -> list[dict[str, Any]]:
    """The price moves of one plan (optionally one currency/period/billing), oldest first."""
    points: list[dict[str, Any]] = []
    for entry in price_histories(index_dir, competitor):
        if entry["plan"] == plan and all(entry.get(k) == v for k, v in same.items()):
            points += entry["points"]
    return sorted(points, key=lambda p: p["date"])


def _competitor_query(value: str, companies: list[str] | None = None) -> wq.Query:
    """A competitor filter: the exact name, or names holding its words ("acme": "Acme Cloud")."""
    words = [t.text for t in SCHEMA["competitor"].analyzer(value)]
    if companies is not None:  # resolve against the names in the index: exact terms only
        exact = [c for c in companies if c.lower() == value.strip().lower()]
        if not exact and words:
            exact = [c for c in companies if _has_run(_words(c), words)]
        if not exact:
            return wq.Term("company", value)
        terms = [wq.Term("company", c) for c in exact]
        return terms[0] if len(terms) == 1 else wq.Or(terms)
    if not words:
        return wq.Term("company", value)
    by_words = (
        wq.Term("competitor", words[0]) if len(words) == 1 else wq.Phrase("competitor", words)
    )
    return wq.Or([wq.Term("company", value), by_words])


def _words(name: str) -> list[str]:
    return [t.text for t in SCHEMA["competitor"].analyzer(name)]


def _has_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _any_of(value: str, make) -> wq.Query:
    """`a,b` means either: the options take comma-separated alternatives."""
    values = [v.strip() for v in str(value).split(",") if v.strip()]
    queries = [make(v) for v in values]
    return queries[0] if len(queries) == 1 else wq.Or(queries)


def _bound(value: str | None, *, end: bool) -> datetime | None:
    """A date bound: a bare date as `until` covers that whole day."""
    if not value:
        return None
    dt = parse_date(value)
    if dt is None:
        raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD)")
    if end and len(str(value).strip()) <= 10:
        dt += timedelta(days=1)
    return dt
