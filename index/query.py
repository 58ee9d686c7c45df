"""The query language of `intel search`: Whoosh's parser, one way for events and pages."""

from __future__ import annotations

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import GtLtPlugin, MultifieldParser


def parse_query(text: str, schema: Schema) -> wq.Query:
    """`text` in Whoosh's language; words search titles and all text (AND), titles count
    double. `schema` analyses the words: the index's own for events, unstemmed for page
    texts (`index.pages`, where FTS5 stems)."""
    if not text.strip():
        return wq.Every()
    parser = MultifieldParser(["title", "text"], schema, fieldboosts={"title": 2.0})
    parser.add_plugin(GtLtPlugin())
    return parser.parse(text)
