"""Page texts: the latest main text of each watched page, searchable through SQLite FTS5.

Events are Whoosh documents (`index.schema`); page texts sit beside them in the index
dir, in `pages.sqlite3`. Why a second store: a page text is long (1.6 KB on average in
the benchmark world) and a cold night brings every page's at once. Whoosh indexed 5,000
of them in ~8.6 CPU-s of Python, a fifth of that night; FTS5 takes ~0.2 s of C. Events
stay in Whoosh, with the columns, facets and ranking of `index.engine`.

A search that covers page texts (`intel search --pages`, `doctype:page`) asks both, in
one query language: the query is parsed by the same Whoosh parser, and `search` here
walks the parsed tree, words and phrases through FTS5 and the other fields on each
page's own columns. FTS5 stems with its own Porter tokenizer, so this side parses the
query without stemming (`_PARSER_SCHEMA`) and lets FTS5 stem query and text alike.

A file of its own, written in one transaction per update: a rebuild writes it into the
new index dir before the swap, a nightly update replaces the pages fetched anew (by
URL), and a kill between the Whoosh commit and this one re-sends those pages next time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, LowercaseFilter, RegexTokenizer
from whoosh.fields import TEXT

from index.docs import clean, parse_date
from index.query import parse_query
from index.schema import SCHEMA

DB_NAME = "pages.sqlite3"

_CREATE = (
    # One row per watched page (a URL): what filters and sorts see, without the text.
    "CREATE TABLE pages (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, "
    "company TEXT NOT NULL, kind TEXT NOT NULL, date TEXT, data TEXT NOT NULL)",
    # Its words, rowid = pages.id. Diacritics folded, as "café" and "cafe" are one word.
    "CREATE VIRTUAL TABLE texts USING fts5(title, text, competitor, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
)
# The columns of `texts` a query's fields name, and their weights in ranking (the
# competitor's words select, as they do for events: `index.engine._SELECT_ONLY`).
_FTS_FIELDS = {"title": 2.0, "text": 1.0, "competitor": 0.0}
# `index.engine` ranks events by a BM25 without length normalisation, per term
# idf * tf / (tf + k1). FTS5's bm25() has (k1 + 1) * tf on top: divided by k1 + 1 here,
# so a page and an event that match alike score about alike in one list.
_K1 = 1.2

# Words as the Whoosh parser gives them to this side: split and lower-cased, not stemmed
# (FTS5 stems) and not stop-filtered (a phrase keeps its "of"; lone stop words are
# dropped by `_Matcher` as Whoosh's parser drops them for events).
_WORDS = RegexTokenizer() | LowercaseFilter()
_PARSER_SCHEMA = SCHEMA.copy()
for _name in _FTS_FIELDS:
    _PARSER_SCHEMA.remove(_name)
    _PARSER_SCHEMA.add(_name, TEXT(analyzer=_WORDS, phrase=True))


def path_of(index_dir: str | Path) -> Path:
    return Path(index_dir) / DB_NAME


def page_row(page: dict[str, Any]) -> dict[str, Any]:
    """The stored form of one page ({url, competitor, kind, title, text, fetched_at, ...}).

    Pure, like `index.docs`: the text is cleaned of the snippet marks (a page can never
    forge a highlight); `data` is the page without its text, for the hit's details.
    """
    url = str(page.get("url") or "")
    fetched = parse_date(page.get("fetched_at"))
    return {
        "key": f"page:{url}",
        "url": url,
        "company": clean(page.get("competitor")),
        "kind": str(page.get("kind") or ""),
        "date": fetched.isoformat(timespec="seconds") if fetched else None,
        "title": clean(page.get("title") or url),
        "text": clean(page.get("text")),
        "data": json.dumps(
            {k: v for k, v in page.items() if k != "text"}, ensure_ascii=False, default=str
        ),
    }


def connect(index_dir: str | Path, *, create: bool = False) -> sqlite3.Connection:
    """The page texts of `index_dir`; `create` makes an empty one where none is.

    Without `create` a missing file is an error (sqlite3 would quietly make an empty one).
    """
    path = path_of(index_dir)
    if create and not path.exists():
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("BEGIN")
        for sql in _CREATE:
            con.execute(sql)
        con.execute("COMMIT")
        return con
    con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 30000")
    return con


def problem(index_dir: str | Path) -> str | None:
    """Why the page texts of `index_dir` cannot be read ("missing", "corrupt: ..."), or None."""
    if not path_of(index_dir).is_file():
        return "missing its page texts"
    try:
        con = connect(index_dir)
        try:
            con.execute("SELECT id, url, company, kind, date, data FROM pages LIMIT 1").fetchall()
            con.execute("SELECT rowid, title, text, competitor FROM texts LIMIT 1").fetchall()
        finally:
            con.close()
    except sqlite3.Error as exc:
        return f"corrupt: page texts: {exc}"
    return None


def write(index_dir: str | Path, pages: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Add or replace (by URL) these pages' texts in one transaction: (added, replaced)."""
    con = connect(index_dir, create=True)
    added = replaced = 0
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            for page in pages:
                row = page_row(page)
                found = con.execute("SELECT id FROM pages WHERE url = ?", (row["url"],)).fetchone()
                values = (row["company"], row["kind"], row["date"], row["data"])
                if found:
                    ident = found[0]
                    con.execute("DELETE FROM texts WHERE rowid = ?", (ident,))
                    con.execute(
                        "UPDATE pages SET company = ?, kind = ?, date = ?, data = ? WHERE id = ?",
                        (*values, ident),
                    )
                    replaced += 1
                else:
                    ident = con.execute(
                        "INSERT INTO pages (url, company, kind, date, data) VALUES (?, ?, ?, ?, ?)",
                        (row["url"], *values),
                    ).lastrowid
                    added += 1
                con.execute(
                    "INSERT INTO texts (rowid, title, text, competitor) VALUES (?, ?, ?, ?)",
                    (ident, row["title"], row["text"], row["company"]),
                )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    finally:
        con.close()
    return added, replaced


def companies(index_dir: str | Path) -> list[str]:
    """The competitors with a page text (what a competitor filter resolves against)."""
    con = connect(index_dir)
    try:
        return [c for (c,) in con.execute("SELECT DISTINCT company FROM pages") if c]
    finally:
        con.close()


# -- search -------------------------------------------------------------------------------


@dataclass
class PageHit:
    """A matching page: its score (None when sorted by date) and what a hit shows."""

    score: float | None
    key: str
    url: str
    company: str
    kind: str
    date: str | None
    title: str
    text: str
    data: dict[str, Any]


@dataclass
class PageMatches:
    total: int
    hits: list[PageHit]  # the best `stop`, in the order asked
    companies: Counter[str]  # matches per competitor, for the competitor facet


def search(
    index_dir: str | Path, q: str, filt: wq.Query | None, *, sort: str, stop: int
) -> PageMatches:
    """The pages matching query text `q` and filter `filt` (the same filter events get).

    `sort`: relevance (FTS5's bm25, on about the scale of the events' scores, then
    newest), or date / importance (pages have none: newest first).
    """
    con = connect(index_dir)
    try:
        rows = {r[0]: r for r in con.execute("SELECT id, url, company, kind, date FROM pages")}
        matcher = _Matcher(con, rows)
        matched = matcher.match(parse_query(q, _PARSER_SCHEMA))
        if matched is None:  # nothing but stop words: nothing, as for events
            matched = set()
        if filt is not None:
            by_filter = matcher.match(filt)
            matched &= rows.keys() if by_filter is None else by_filter
        scores: dict[int, float] = {}
        if sort == "relevance" and matched and matcher.ranked:
            scores = _scores(con, matcher.ranked)
        newest = sorted(matched, key=lambda i: rows[i][4] or "", reverse=True)
        if scores:
            newest.sort(key=lambda i: -scores.get(i, 0.0))  # stable: ties stay newest first
        hits = []
        for ident in newest[:stop]:
            title, text, data = con.execute(
                "SELECT t.title, t.text, p.data FROM texts t JOIN pages p ON p.id = t.rowid "
                "WHERE t.rowid = ?",
                (ident,),
            ).fetchone()
            _, url, company, kind, date = rows[ident]
            hits.append(
                PageHit(
                    score=round(scores.get(ident, 0.0), 4) if scores else None,
                    key=f"page:{url}",
                    url=url,
                    company=company,
                    kind=kind,
                    date=date,
                    title=title,
                    text=text,
                    data=json.loads(data),
                )
            )
        return PageMatches(
            total=len(matched), hits=hits, companies=Counter(rows[i][2] for i in matched)
        )
    finally:
        con.close()


def _scores(con: sqlite3.Connection, ranked: list[str]) -> dict[int, float]:
    """rowid -> score over the query's words and phrases (those not under a NOT)."""
    weights = ", ".join(str(w) for w in _FTS_FIELDS.values())
    found = con.execute(
        f"SELECT rowid, bm25(texts, {weights}) FROM texts WHERE texts MATCH ?",
        (" OR ".join(dict.fromkeys(ranked)),),
    )
    return {ident: -score / (_K1 + 1) for ident, score in found}


class _Matcher:
    """Evaluates a parsed Whoosh query over the page texts: the set of page ids matching.

    `None` stands for a part that was dropped (a lone stop word): it constrains nothing.
    A field pages do not have (type, signal, plan, ...) matches no page, as it matches no
    page document in Whoosh. `ranked` collects the FTS5 expressions a relevance sort
    scores by.
    """

    def __init__(self, con: sqlite3.Connection, rows: dict[int, tuple]) -> None:
        self.con = con
        self.rows = rows
        self.ranked: list[str] = []
        self._negated = 0

    def match(self, q: wq.Query) -> set[int] | None:
        if isinstance(q, wq.Every):
            return set(self.rows)
        if isinstance(q, type(wq.NullQuery)):
            return set()
        if isinstance(q, wq.Not):
            inner = self._match_negated(q.query)
            return None if inner is None else set(self.rows) - inner
        if isinstance(q, wq.AndNot):
            left, right = self.match(q.a), self._match_negated(q.b)
            return left if left is None or right is None else left - right
        if isinstance(q, wq.AndMaybe):
            left = self.match(q.a)
            self.match(q.b)  # ranks, never filters
            return left
        if isinstance(q, wq.Require):
            return _both(self.match(q.a), self.match(q.b))
        if isinstance(q, wq.CompoundQuery):
            kept = [p for p in map(self.match, q.subqueries) if p is not None]
            if not kept:
                return None
            if isinstance(q, wq.Or | wq.DisjunctionMax):
                return set().union(*kept)
            return set.intersection(*kept)
        if isinstance(q, wq.DateRange):
            return self._dates(q) if q.fieldname == "date" else set()
        field = getattr(q, "fieldname", None)
        if field in _FTS_FIELDS:
            expr = self._fts(q)
            if expr is None:
                return None
            if not expr:
                return set()
            if not self._negated and _FTS_FIELDS[field]:
                self.ranked.append(expr)
            found = self.con.execute("SELECT rowid FROM texts WHERE texts MATCH ?", (expr,))
            return {r[0] for r in found}
        if isinstance(q, wq.Term):
            return self._column(field, str(q.text))
        if isinstance(q, wq.Prefix):
            return self._column(field, str(q.text), prefix=True)
        return set()

    def _match_negated(self, q: wq.Query) -> set[int] | None:
        """`match` for a part under a NOT: its words must not rank a page up."""
        self._negated += 1
        try:
            return self.match(q)
        finally:
            self._negated -= 1

    def _fts(self, q: wq.Query) -> str | None:
        """The FTS5 expression of a word, phrase or prefix query on a text field.

        "" for a query it cannot express (it matches nothing); None for a lone stop word.
        """
        col = "{" + q.fieldname + "}"
        if isinstance(q, wq.Term):
            text = str(q.text)
            if text in STOP_WORDS or len(text) < 2:
                return None
            return f"{col} : {_quote(text)}"
        if isinstance(q, wq.Phrase):
            return f"{col} : {_quote(' '.join(str(w) for w in q.words))}"
        if isinstance(q, wq.Prefix):
            return f"{col} : {_quote(str(q.text))} *"
        if isinstance(q, wq.Wildcard):
            # FTS5 has prefixes only: the pattern picks the words (as FTS5 stored them,
            # stemmed) by SQLite's GLOB, which reads * and ? as Whoosh does.
            terms = self._vocabulary(q.fieldname, str(q.text))
            return " OR ".join(f"{col} : {_quote(t)}" for t in terms)
        return ""

    def _vocabulary(self, field: str, pattern: str) -> list[str]:
        self.con.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.words USING fts5vocab(main, texts, col)"
        )
        found = self.con.execute(
            "SELECT DISTINCT term FROM temp.words WHERE col = ? AND term GLOB ?", (field, pattern)
        )
        return [t for (t,) in found]

    def _column(self, field: str | None, value: str, *, prefix: bool = False) -> set[int]:
        if field == "doctype":
            return set(self.rows) if value == "page" else set()
        if field == "key" and value.startswith("page:"):
            field, value = "url", value[5:]
        at = {"url": 1, "company": 2, "kind": 3}.get(field or "")
        if at is None:
            return set()
        if prefix:
            return {i for i, r in self.rows.items() if r[at].startswith(value)}
        return {i for i, r in self.rows.items() if r[at] == value}

    def _dates(self, q: wq.DateRange) -> set[int]:
        start, end = q.startdate, q.enddate
        out = set()
        for ident, row in self.rows.items():
            when = datetime.fromisoformat(row[4]) if row[4] else None
            if when is None:
                continue
            if start is not None and (when < start or (q.startexcl and when == start)):
                continue
            if end is not None and (when > end or (q.endexcl and when == end)):
                continue
            out.add(ident)
        return out


def _both(left: set[int] | None, right: set[int] | None) -> set[int] | None:
    if left is None:
        return right
    return left if right is None else left & right


def _quote(text: str) -> str:
    """A string FTS5 reads as one phrase, whatever characters it holds."""
    return '"' + text.replace('"', '""') + '"'
