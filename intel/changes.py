"""The core's output: one `Change` per real move found between two versions of a page.

A `Change` carries exactly the fields of the event contract (../shared/eval/FORMAT.md)
plus evidence. Classification (signal, tags, importance, why) is added later by
`intel.classify`, which turns a Change into an event dict; diffing never judges.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

EVENT_TYPES = (
    "price_change",
    "plan_added",
    "plan_removed",
    "feature_added",
    "feature_removed",
    "changelog_entry",
    "content_change",
)


@dataclass(frozen=True)
class Change:
    """One move on one page, in the field names of the event contract."""

    type: str
    # pricing
    plan: str | None = None
    old_price: float | None = None
    new_price: float | None = None
    currency: str | None = None
    period: str | None = None  # month | year | one_time | None
    billing: str | None = None  # monthly | annual | None
    per_seat: bool | None = None
    # features (plan None = page-level)
    feature: str | None = None
    # changelog
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD or None
    link: str | None = None
    summary: str | None = None
    # generic page
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    # what a reader needs to trust it: short before/after excerpts
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(
                f"unknown change type {self.type!r}; allowed: {', '.join(EVENT_TYPES)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """The contract's fields, without the ones this type never uses."""
        d = asdict(self)
        keep = _FIELDS_BY_TYPE[self.type]
        return {k: v for k, v in d.items() if k == "type" or k in keep}

    def key(self) -> str:
        """A stable identity: the same move found twice gets the same key (no doubles)."""
        d = self.to_dict()
        d.pop("evidence", None)
        d.pop("summary", None)
        blob = json.dumps(d, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(blob.encode()).hexdigest()[:16]


_PRICE = ("plan", "old_price", "new_price", "currency", "period", "billing", "per_seat", "evidence")
_FIELDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "price_change": _PRICE,
    "plan_added": _PRICE,
    "plan_removed": _PRICE,
    "feature_added": ("feature", "plan", "evidence"),
    "feature_removed": ("feature", "plan", "evidence"),
    "changelog_entry": ("title", "date", "link", "summary", "evidence"),
    "content_change": ("added", "removed", "evidence"),
}
