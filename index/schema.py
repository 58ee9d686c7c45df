"""The Whoosh schema of the intel index, declared once.

Its documents are events, one per stored event; fields an event type does not use are
simply absent. (Page texts live beside it in SQLite FTS5: `index.pages`.)
Bump `SCHEMA_VERSION` whenever a field or `docs.py` changes shape: an index built with
another version is stale and gets rebuilt from the store.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.util.numeric import to_sortable

from index.analysis import StemmedText

# 2: the meta file carries the nightly update's marks (newest event id, judgement
#    digest, page snapshot ids), and segments are written uncompounded.
# 3: page texts moved out of Whoosh, into `index.pages` (pages.sqlite3).
SCHEMA_VERSION = 3

# Stemmed English text with stop words removed: "prices" finds "price", "launched" "launch".
_stemmed = StemmedText()

SCHEMA = Schema(
    # "event:<store id>". Unique, so update_document() replaces instead of
    # adding a double. Nothing else may be unique: whoosh deletes every other document
    # that shares a unique value with the one being updated.
    key=ID(unique=True, stored=True, sortable=True),
    # Fingerprint of everything else in the document: an unchanged event is not rewritten
    # by the nightly update. A column, so the writer reads all of them without unpickling.
    fp=ID(sortable=True),
    # "event" (`doctype:page` asks for page texts, in `index.pages`).
    doctype=ID(stored=True),
    # The store's event id (absent for events built outside the store): /event/<id>.
    event_id=NUMERIC(int, bits=64, stored=True),
    # Competitor name, tokenised and lower-cased so `competitor:acme` finds "Acme Cloud".
    competitor=TEXT(stored=True, phrase=True, field_boost=1.5),
    # The exact competitor name: facet counts and exact filters.
    company=ID(stored=True, sortable=True),
    # Event type (price_change, plan_added, ..., content_change); facet.
    type=ID(stored=True, sortable=True),
    # threat | opportunity | neutral, from our side; facet.
    signal=ID(stored=True, sortable=True),
    # Categories (ai, security, pricing, ...), comma separated, lower-cased.
    tags=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
    # Plan / tier name ("Team", "Pro annual"); tokenised so `plan:team` matches "Team Plus".
    plan=TEXT(stored=True, field_boost=2.0),
    # Feature name for feature_added/removed.
    feature=TEXT(stored=True, field_boost=2.0),
    # Old and new price in major units. Not sortable on purpose: a sortable float column
    # without a `default` crashes whoosh on documents that lack the field.
    old_price=NUMERIC(float, stored=True),
    new_price=NUMERIC(float, stored=True),
    # down | up | same | unpriced (a price became "Contact sales"): "price cuts" = direction:down.
    direction=ID(stored=True),
    # ISO 4217 currency, the period the price is quoted per and the billing cycle.
    currency=ID(stored=True),
    period=ID(stored=True),
    billing=ID(stored=True),
    # How much it matters (0..1). A sortable float needs a `default` (see old_price), and
    # it must be given in the column's own unsigned-int encoding: default=0.0 crashes too.
    importance=NUMERIC(
        float, stored=True, sortable=True, default=to_sortable(float, 64, True, 0.0)
    ),
    # When we found the event; sort key and `date:[...]`.
    date=DATETIME(stored=True, sortable=True),
    # The date a changelog entry says it was published, when it says one.
    published=DATETIME(stored=True),
    # Changelog title (or a short headline), boosted over body text.
    title=TEXT(stored=True, analyzer=_stemmed, field_boost=2.0),
    # Everything searchable about the document in one stemmed field: the default field
    # of the query parser; stored for highlighted snippets.
    text=TEXT(stored=True, analyzer=_stemmed, phrase=True),
    # The event's page URL and page kind (pricing, changelog, features, page).
    url=ID(stored=True),
    kind=ID(stored=True),
    # The full event dict as stored (evidence, why, ...), for the event page and --json.
    data=STORED,
)

# Facets shown by `intel search` and the web UI: facet name -> sortable field.
FACETS = {"competitor": "company", "type": "type", "signal": "signal"}
