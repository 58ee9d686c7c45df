"""The intel index: every event (and each page's latest text) in Whoosh, and search over it.

    schema.py   the schema, declared once, every field commented
    docs.py     pure event/page -> Whoosh document functions
    writer.py   nightly updates from the store (only what is new, one commit) and
                rebuilds (temp dir, then swap)
    search.py   query parsing, filters, facets, snippets, a cached searcher
    engine.py   the fast path: postings decoded in bulk into numpy arrays, boolean
                masks for matching, bincount facets, precomputed orders, ranking
    web.py      `intel serve`: a small Starlette app over the same search

The index is derived from the store and can always be rebuilt (`intel reindex`); a
missing, stale or corrupt index is rebuilt, never a crash.
"""
