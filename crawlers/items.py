"""What the spider yields: one snapshot of one watched page, interpreted by nobody yet."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageSnapshot:
    """One fetch of one watched page, good or failed."""

    competitor: str
    #: the watched URL as the watchlist spells it (the store's key for the page)
    url: str
    kind: str
    fetched_at: str
    #: where the content came from after redirects; the last URL tried for a failure
    final_url: str | None = None
    #: HTTP status; None when no response arrived at all (DNS, refused, timeout, cut off)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: raw (decompressed) bytes; None for a failed fetch and for a 304
    body: bytes | None = None
    #: why the fetch failed; None when it did not
    error: str | None = None
    #: the server answered 304 to our conditional GET: the page is unchanged
    not_modified: bool = False
    #: a second fetch of a newly watched page, moments after the first: whatever differs
    #: between the two is noise, and teaches the page's volatile regions on night one
    probe: bool = False

    @property
    def ok(self) -> bool:
        """The server gave us the page (2xx) or told us it has not changed (304)."""
        if self.error is not None or self.status is None:
            return False
        return self.not_modified or 200 <= self.status < 300
