"""Reading an index of several segments, document by document.

Apart from the search engine (`index.engine`) so that the nightly writer, which needs only
these, does not import numpy and the query machinery after every crawl.
"""

from __future__ import annotations

from typing import Any


def column(reader: Any, field: str, *, translate: bool = True, default: Any = None) -> list[Any]:
    """A field's column as a list indexed by doc number, whatever the segments hold.

    Whoosh's multi-segment column reader skips the segments that lack the column (a
    segment of page documents has no `type`), so iterating it shifts every later value
    onto the wrong document. Each segment is read here at its own offset instead.
    """
    out: list[Any] = [default] * reader.doc_count_all()
    for sub, offset in leaves(reader):
        if sub.has_column(field):
            values = list(sub.column_reader(field, translate=translate))
            out[offset : offset + len(values)] = values
    return out


def leaves(reader: Any) -> list[tuple[Any, int]]:
    if hasattr(reader, "readers"):
        return list(zip(reader.readers, reader.doc_offsets, strict=True))
    return [(reader, 0)]


def _cache_missing_columns() -> None:
    """Make whoosh's per-segment reader remember that a column is missing, as it remembers one found.

    `W3PerDocReader._cached_reader` caches the reader of a column that exists, but asks the
    file system again each time for one that does not. Writing a segment asks for the
    length column of every posting's field, and ID fields have none: 14 `stat` calls per
    document, ~10% of indexing the night's page texts. A segment's files do not change
    once it can be read, so the answer is kept (whoosh-reloaded 2.7.5, where the method is
    as below but for caching None).
    """
    from whoosh.codec.whoosh3 import W3PerDocReader

    def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
            return reader

    W3PerDocReader._cached_reader = _cached_reader


_cache_missing_columns()
