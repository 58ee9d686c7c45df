"""Extractors by page kind, and the two pure entry points of the core.

    extract(kind, html, url) -> dict      what a page says (JSON-serialisable, stored)
    diff(kind, old, new, state) -> [Change]   what moved between two extractions

Each kind is a small `Extractor` subclass in its own module that registers itself by
setting `kind`. No I/O, no clock, no global config: data in, data out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from intel.changes import Change
from intel.errors import ExtractionError

REGISTRY: dict[str, type[Extractor]] = {}


class Extractor:
    """Base of the per-kind extractors; subclasses register themselves by `kind`."""

    kind: ClassVar[str] = ""
    #: bump when the extracted shape changes, so stored extractions are redone
    version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            REGISTRY[cls.kind] = cls

    def extract(self, html: str, url: str) -> dict[str, Any]:
        """What the page says, as JSON-serialisable data."""
        raise NotImplementedError

    def diff(
        self, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Change]:
        """The real moves from `old` to `new`; `state` is what was learned about the page."""
        raise NotImplementedError

    def learn(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        state: dict[str, Any] | None,
        *,
        seconds_apart: float | None = None,
    ) -> dict[str, Any] | None:
        """Update what is known about the page (e.g. volatile regions); default: nothing.

        `seconds_apart` is given only for a deliberate second look moments after a fetch.
        """
        return state

    def text(self, data: dict[str, Any]) -> str:
        """The page's main text for the search index."""
        return str(data.get("text", ""))


def get(kind: str) -> Extractor:
    """The extractor for `kind`; an unknown kind lists the allowed ones."""
    _load()
    try:
        return REGISTRY[kind]()
    except KeyError:
        allowed = ", ".join(sorted(REGISTRY))
        raise ExtractionError(f"unknown page kind {kind!r}; allowed: {allowed}") from None


def kinds() -> list[str]:
    _load()
    return sorted(REGISTRY)


def extract(kind: str, html: str, url: str) -> dict[str, Any]:
    return get(kind).extract(html, url)


def diff(
    kind: str, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
) -> list[Change]:
    return get(kind).diff(old, new, state)


def _load() -> None:
    # Explicit imports: a broken extractor is an error, never silently skipped.
    from intel.extract import changelog, features, page, pricing  # noqa: F401
