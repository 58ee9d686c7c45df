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
