"""Searching the intel index: Whoosh's query language, filters, facets and snippets.

    search(index_dir, SearchRequest(q="competitor:acme type:price_change date:[20260901 to]"))

The free text goes through Whoosh's parser (fields, phrases, ranges, `importance:>0.5`);
the options (`competitor`, `type`, `signal`, `tag`, `since`, `until`) become a filter
query. Matching, facet counts, sorting and ranking run on `index.engine.Columns`, the
per-searcher caches that keep a query at 100k events in a few milliseconds of CPU.
Searchers are cached per index dir and reopened only when the index changed (the meta
file every update rewrites is stat()ed per search): opening one and loading its columns
costs more than a typical query. `warm()` opens it ahead and decodes the common words'
postings; `intel serve` calls it at start-up. Snippets are made for the shown hits only.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from markupsafe import Markup, escape
from whoosh import index as whoosh_index
from whoosh import query as wq

from index import pages as page_texts
from index.docs import MARK_END, MARK_START, parse_date
from index.engine import Columns, scoring_query
from index.query import parse_query
from index.schema import SCHEMA
from index.writer import INDEX_NAME, META_NAME, check_index, read_meta
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

    def with_pages(self) -> bool:
        """Whether page texts are searched too: asked for, or named (`doctype:page`)."""
        return self.pages or "doctype:" in self.q

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


class _Cached:
    """An open index and searcher for one dir, reopened when the index is rebuilt or updated."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.lock = threading.RLock()
        self.build: str | None = None
        self.ix = None
        self.searcher = None
        self.columns: Columns | None = None
        self.checked = 0.0
        self.stamp: tuple[int, int] | None = None

    def get(self):
        """The current searcher (call with `lock` held).

        Every update rewrites the meta file after its commit, so one stat() per search
        sees it at once; whoosh's own (slower) up-to-date check runs twice a second.
        """
        now = time.monotonic()
        stamp = _stamp(self.index_dir)
        if self.searcher is not None and now - self.checked < 0.5 and stamp == self.stamp:
            return self.searcher
        self.checked, self.stamp = now, stamp
        build = read_meta(self.index_dir).get("build")
        if self.searcher is None or build != self.build:
            self._open(build)
        elif not self.searcher.up_to_date():
            # A fresh searcher, not refresh(): refresh() reuses the readers of segments
            # it thinks unchanged, and with them their old deletions (an updated page
            # text would still match its old words).
            old, self.searcher = self.searcher, self.ix.searcher()
            old.close()
            self.columns = Columns(self.searcher)
        return self.searcher

    def _open(self, build: str | None) -> None:
        self.close()
        # No probe: damage shows up while reading, and search() reports it as such.
        problem = check_index(self.index_dir, probe=False)
        if problem:
            raise IndexError_(f"the search index at {self.index_dir} is {problem}")
        self.ix = whoosh_index.open_dir(str(self.index_dir), indexname=INDEX_NAME)
        self.searcher = self.ix.searcher()
        self.columns = Columns(self.searcher)
        self.build = build

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
        self.searcher = self.ix = self.columns = None


def _stamp(index_dir: Path) -> tuple[int, int] | None:
    try:
        st = (index_dir / META_NAME).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


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


def warm(index_dir: str | Path) -> None:
    """Open the index's searcher and load its columns now, not on the first search.

    `intel serve` calls this at start-up, so the first person to search does not wait
    for the index to open.
    """
    cached = _cached(index_dir)
    with cached.lock:
        searcher = cached.get()
        cached.columns.warm(searcher)


def build_filter(req: SearchRequest, companies: list[str] | None = None) -> wq.Query | None:
    """The options as one filter query (no scoring; cached by the searcher)."""
    parts: list[wq.Query] = []
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
    query = parse_query(req.q, SCHEMA)
    sort = req.effective_sort()
    cached = _cached(index_dir)
    with cached.lock:
        searcher = _damage_as_index_error(cached, index_dir, cached.get)
        filt = build_filter(req, cached.columns.companies)
        results = _damage_as_index_error(
            cached,
            index_dir,
            lambda: _run(cached, searcher, req, query, filt, sort, limit, page, started),
        )
        if req.with_pages():
            results = _damage_as_index_error(
                cached,
                index_dir,
                lambda: _with_pages(index_dir, cached, req, query, results, started),
            )
        return results


def _damage_as_index_error(cached: _Cached, index_dir: str | Path, step):
    """Run `step`; an exception from whoosh reading a damaged index becomes IndexError_."""
    try:
        return step()
    except (IndexError_, TypeError, AttributeError, NameError):
        raise  # our own mistakes or bad input, not a damaged index
    except Exception as exc:  # a damaged segment shows up while opening or reading
        cached.close()
        raise IndexError_(f"the search index at {index_dir} is corrupt: {exc}") from exc


def _run(cached, searcher, req, query, filt, sort, limit, page, started) -> Results:
    cols = cached.columns
    matched = cols.docs(searcher, query)
    if filt is not None:
        matched = matched & cols.docs(searcher, filt)
    total = int(np.count_nonzero(matched))
    start, stop = (page - 1) * limit, page * limit
    if req.with_pages():
        start = 0  # merged with the page texts' best `stop` by `_with_pages`
    scoring = scoring_query(query)
    if sort == "relevance" and scoring is None:
        sort = "date"  # nothing to rank by (only filters): equal scores, newest first
    top: list[tuple[float | None, int]] = []
    if total and sort == "relevance":
        top = cols.rank(searcher, scoring, matched, start, stop)
    elif total:
        top = [(None, n) for n in cols.ordered(matched, sort, start, stop)]
    terms = _highlight_terms(query)
    hits = [_hit(searcher.stored_fields(n), score, terms) for score, n in top]
    return Results(
        total=total,
        hits=hits,
        facets=cols.facets_of(matched) if req.facets else {},
        sort=sort,
        page=page,
        limit=limit,
        took_ms=(time.perf_counter() - started) * 1000,
        query=str(query) if not isinstance(query, wq.Every) else "*",
    )


def _with_pages(index_dir, cached, req, query, events: Results, started) -> Results:
    """`events` (the best `page * limit` of them) merged with the matching page texts.

    Both sides are sorted alike (relevance: scores on about one scale, see
    `index.pages`; date: newest first; importance: events, then pages newest first);
    the totals add up, and so do the competitor facet's counts.
    """
    start, stop = (events.page - 1) * events.limit, events.page * events.limit
    companies = sorted(set(cached.columns.companies or ()) | set(page_texts.companies(index_dir)))
    found = page_texts.search(
        index_dir, req.q, build_filter(req, companies), sort=events.sort, stop=stop
    )
    terms = _highlight_terms(query)
    pages = [_page_hit(p, terms) for p in found.hits]
    if events.sort == "relevance":
        merged = sorted(events.hits + pages, key=lambda h: -(h.score or 0.0))
    elif events.sort == "date":
        merged = sorted(events.hits + pages, key=lambda h: h.date or "", reverse=True)
    else:
        merged = events.hits + pages
    facets = {name: dict(counts) for name, counts in events.facets.items()}
    if req.facets and found.companies:
        counts = Counter(facets.get("competitor", {})) + found.companies
        facets["competitor"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return Results(
        total=events.total + found.total,
        hits=merged[start:stop],
        facets=facets,
        sort=events.sort,
        page=events.page,
        limit=events.limit,
        took_ms=(time.perf_counter() - started) * 1000,
        query=events.query,
    )


def _page_hit(page: page_texts.PageHit, terms: frozenset[str]) -> Hit:
    return Hit(
        key=page.key,
        doctype="page",
        score=page.score,
        event_id=None,
        competitor=page.company or None,
        type=None,
        signal=None,
        tags=[],
        title=page.title,
        date=page.date,
        url=page.url,
        importance=None,
        snippet=_snippet(page.text, terms),
        data=page.data,
    )


def _highlight_terms(query: wq.Query) -> frozenset[str]:
    """The words of the query that a snippet of the stemmed `text` field should mark."""
    out = set()
    for fieldname, text in query.iter_all_terms(phrases=True):
        if fieldname in ("text", "title"):
            out.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return frozenset(out)


def _snippet(text: str, terms: frozenset[str]) -> str:
    """Up to two fragments of `text` around the query's words, matches marked.

    Words are matched by their indexed (stemmed) form, each distinct word analysed once
    per process: whoosh's highlighter re-analyses every hit's whole text and scores
    fragments per token in Python (~0.3 ms a hit, a tenth of a first search's budget).
    """
    spans = []
    if terms and text:
        spans = [m.span() for m in _WORD.finditer(text) if _indexed(m.group()) in terms]
    if not spans:
        return text[:200] + ("…" if len(text) > 200 else "")
    groups: list[list[tuple[int, int]]] = []
    for span in spans:  # a fragment: matches within FRAGMENT chars of its first one
        if groups and span[1] - groups[-1][0][0] <= FRAGMENT:
            groups[-1].append(span)
        else:
            groups.append([span])
    best = sorted(groups, key=lambda g: (-len({text[s:e].lower() for s, e in g}), -len(g)))[:2]
    parts = []
    for group in sorted(best):
        start, end = group[0][0], group[-1][1]
        left = max(0, start - SURROUND)
        if left:  # start and end on a word boundary
            space = text.find(" ", left, start)
            left = space + 1 if space >= 0 else left
        right = min(len(text), end + SURROUND)
        if right < len(text):
            space = text.rfind(" ", end, right)
            right = space if space >= 0 else right
        out, at = [], left
        for s, e in group:
            out += [text[at:s], MARK_START, text[s:e], MARK_END]
            at = e
        out.append(text[at:right])
        parts.append("".join(out).strip())
    return " … ".join(parts)


# The index's tokenizer pattern (whoosh's RegexTokenizer default); fragment sizes in chars.
_WORD = re.compile(r"\w+(?:\.?\w+)*", re.UNICODE)
FRAGMENT, SURROUND = 120, 60
_INDEXED: dict[str, str | None] = {}


def _indexed(word: str) -> str | None:
    """A word as the `text` field indexes it (lower-cased, stemmed; None for a stop word)."""
    found = _INDEXED.get(word, "")
    if found == "":
        tokens = [t.text for t in SCHEMA["text"].analyzer(word)]
        found = tokens[0] if tokens else None
        if len(_INDEXED) > 100_000:
            _INDEXED.clear()
        _INDEXED[word] = found
    return found


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
