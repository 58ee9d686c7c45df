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
from whoosh.highlight import ContextFragmenter, Formatter, get_text
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


def build_filter(req: SearchRequest) -> wq.Query | None:
    """The options as one filter query (no scoring; cached by the searcher)."""
    parts: list[wq.Query] = []
    if not req.pages and "doctype:" not in req.q:
        parts.append(wq.Term("doctype", "event"))
    if req.competitor:
        parts.append(_any_of(req.competitor, _competitor_query))
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
    filt = build_filter(req)
    sort = req.effective_sort()
    cached = _cached(index_dir)
    with cached.lock:
        searcher = cached.get()
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

    def docs(self, searcher, q: wq.Query | None) -> frozenset[int]:
        """Doc numbers matching `q` (every live doc for None), cached for the last 128 queries."""
        if q is None or isinstance(q, wq.Every):
            return self.all
        key = repr(q)
        found = self.docsets.get(key)
        if found is None:
            found = frozenset(searcher.docs_for_query(q))
            if self.live is not None:
                found &= self.live
            self.docsets[key] = found
            if len(self.docsets) > 128:
                self.docsets.popitem(last=False)
        else:
            self.docsets.move_to_end(key)
        return found


def _run(cached, searcher, req, query, filt, sort, limit, page, started) -> Results:
    cols = cached.columns
    matched = cols.docs(searcher, query)
    if filt is not None:
        filtered = cols.docs(searcher, filt)
        matched = matched & filtered if len(matched) > len(filtered) else filtered & matched
    offset = (page - 1) * limit
    page_hits: list = []
    # Never hand whoosh an empty filter set: it reads an empty filter as "no filter".
    if matched and sort == "relevance":
        results = searcher.search(query, limit=offset + limit, filter=set(matched), terms=True)
        page_hits = list(results)[offset:]
    elif matched:
        column = cols.date if sort == "date" else cols.importance
        if sort == "date":
            key = column.__getitem__
        else:  # importance, then newest first among equals
            date = cols.date

            def key(n: int) -> tuple:
                return (column[n], date[n])

        top = heapq.nlargest(offset + limit, matched, key=key)[offset:]
        if top:
            rank = {n: i for i, n in enumerate(top)}
            results = searcher.search(query, limit=len(top), filter=set(top), terms=True)
            page_hits = sorted(results, key=lambda h: rank[h.docnum])
    if page_hits:
        results.fragmenter = ContextFragmenter(maxchars=240, surround=60)
        results.formatter = _MarkFormatter()
    facets: dict[str, dict[str, int]] = {}
    if req.facets:
        for name, values in cols.facets.items():
            counts = Counter(map(values.__getitem__, matched))
            facets[name] = dict(
                sorted(
                    ((str(k), int(v)) for k, v in counts.items() if k not in (None, "")),
                    key=lambda kv: (-kv[1], kv[0]),
                )
            )
    return Results(
        total=len(matched),
        hits=[_hit(h) for h in page_hits],
        facets=facets,
        sort=sort,
        page=page,
        limit=limit,
        took_ms=(time.perf_counter() - started) * 1000,
        query=str(query) if not isinstance(query, wq.Every) else "*",
    )


def _hit(h) -> Hit:
    stored = h.fields()
    snippet = ""
    if h.matched_terms():
        try:
            snippet = h.highlights("text", top=2) or ""
        except Exception:  # a snippet is a nicety; the hit stands without one
            snippet = ""
    text = stored.get("text") or ""
    if not snippet:
        snippet = text[:200] + ("…" if len(text) > 200 else "")
    date = stored.get("date")
    tags = [t for t in (stored.get("tags") or "").split(",") if t]
    score = getattr(h, "score", None)
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


def _competitor_query(value: str) -> wq.Query:
    """A competitor filter: the exact name, or its words in order ("acme" finds "Acme Cloud")."""
    words = [t.text for t in SCHEMA["competitor"].analyzer(value)]
    by_words: wq.Query
    if not words:
        return wq.Term("company", value)
    by_words = (
        wq.Term("competitor", words[0]) if len(words) == 1 else wq.Phrase("competitor", words)
    )
    return wq.Or([wq.Term("company", value), by_words])


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
