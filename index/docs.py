"""Pure functions turning a stored event into a Whoosh document (a dict).

Page texts are not Whoosh documents: `index.pages` keeps them in SQLite FTS5.

No I/O and no clock: the same event always gives the same document, so the writer can
fingerprint documents and skip the ones already indexed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# Private-use characters the snippet formatter uses to mark matches; stripped from
# indexed text so that a page can never forge a highlight.
MARK_START, MARK_END = "\ue000", "\ue001"


def event_to_doc(event: dict[str, Any]) -> dict[str, Any]:
    """The Whoosh document of one event (FORMAT.md fields + signal, tags, evidence, ...)."""
    ev = dict(event)
    etype = str(ev.get("type") or "")
    ident = ev.get("id")
    if ident is None:  # events built outside the store: identity from their content
        ident = _digest(ev)[:16]
    competitor = clean(ev.get("competitor"))
    tags = [str(t).strip().lower() for t in (ev.get("tags") or []) if str(t).strip()]
    doc: dict[str, Any] = {
        "key": f"event:{ident}",
        "doctype": "event",
        "type": etype,
        "title": clean(_headline(ev)),
        "text": clean(_event_text(ev)),
        "data": _jsonable(ev),
    }
    if isinstance(ident, int) or (isinstance(ident, str) and ident.isdigit()):
        doc["event_id"] = int(ident)
    if competitor:
        doc["competitor"] = competitor
        doc["company"] = competitor
    if ev.get("signal"):
        doc["signal"] = str(ev["signal"])
    if tags:
        doc["tags"] = ",".join(tags)
    for field in ("plan", "feature"):
        if ev.get(field):
            doc[field] = clean(ev[field])
    for field in ("currency", "period", "billing", "url", "kind"):
        if ev.get(field):
            doc[field] = str(ev[field])
    for field in ("old_price", "new_price"):
        value = _number(ev.get(field))
        if value is not None:
            doc[field] = value
    if etype == "price_change":
        doc["direction"] = _direction(_number(ev.get("old_price")), _number(ev.get("new_price")))
    importance = _number(ev.get("importance"))
    doc["importance"] = importance if importance is not None else 0.0
    found = parse_date(ev.get("found_at"))
    if found:
        doc["date"] = found
    published = parse_date(ev.get("date"))
    if published:
        doc["published"] = published
    doc["fp"] = _digest(doc)
    return doc


def parse_date(value: Any) -> datetime | None:
    """A naive UTC datetime from an ISO date/datetime string (whoosh compares naive ones)."""
    if not value:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            try:
                dt = datetime.fromisoformat(text[:10])
            except ValueError:
                return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def _headline(ev: dict[str, Any]) -> str:
    """A one-line title for any event type (changelog entries have their own)."""
    if ev.get("title"):
        return str(ev["title"])
    etype = str(ev.get("type") or "").replace("_", " ")
    what = ev.get("feature") or ev.get("plan") or ""
    return f"{etype}: {what}".strip(": ")


def _event_text(ev: dict[str, Any]) -> str:
    """All the words a person might search an event by, in one string."""
    parts: list[str] = []
    for field in ("competitor", "title", "plan", "feature", "summary", "why"):
        if ev.get(field):
            parts.append(str(ev[field]))
    parts.extend(_strings(ev.get("added")))
    parts.extend(_strings(ev.get("removed")))
    parts.extend(str(t) for t in ev.get("tags") or [])
    evidence = ev.get("evidence") or {}
    if isinstance(evidence, dict):
        for side in ("before", "after"):
            parts.extend(_strings(evidence.get(side)))
    return "\n".join(p for p in parts if p)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _direction(old: float | None, new: float | None) -> str:
    if new is None:
        return "unpriced"
    if old is None:
        return "priced"
    return "down" if new < old else "up" if new > old else "same"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is not a price


def clean(value: Any) -> str:
    """Text without the snippet marks: a page can never forge a highlight."""
    if value is None:
        return ""
    return str(value).replace(MARK_START, "").replace(MARK_END, "")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _digest(value: Any) -> str:
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha1(blob.encode("utf-8")).hexdigest()
