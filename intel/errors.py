"""One exception tree for the whole product.

    IntelError                    anything we raise on purpose; the CLI prints it as one line
    ├── WatchlistError            a bad watchlist: file, line, field and what to do
    ├── StoreError                the data dir cannot be opened or migrated
    ├── FetchError                one page could not be fetched (kept per page, never fatal)
    ├── ExtractionError           an extractor was asked for an unknown kind
    ├── BrowserNotFound           no Chromium to render `render: browser` pages
    ├── IndexError_               the Whoosh index is missing or corrupt (callers rebuild it)
    └── DeliveryError             a briefing or alert could not be sent (kept in the outbox)

Failures of one page are caught per page and recorded in the run; they never end the
night. "No change" is an empty list, never an exception. Only `intel.cli` turns these
into `click.ClickException`.
"""

from __future__ import annotations


class IntelError(Exception):
    """Base of every error the product raises on purpose."""


class WatchlistError(IntelError):
    """The watchlist is invalid; nothing runs."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path, self.line, self.field, self.message = path, line, field, message
        where = f"{path}:{line}" if line else path
        what = f" {field}:" if field else ""
        super().__init__(f"{where}:{what} {message}")


class StoreError(IntelError):
    """The store cannot be opened, or was written by a newer version."""


class FetchError(IntelError):
    """A page could not be fetched; recorded as a failed snapshot."""


class ExtractionError(IntelError):
    """An extractor was asked for a kind it does not know."""


class BrowserNotFound(IntelError):
    """No Chromium is available for `render: browser` pages."""


class IndexError_(IntelError):  # noqa: N801 - `IndexError` is a builtin
    """The search index is missing, stale or corrupt."""


class DeliveryError(IntelError):
    """A briefing or alert could not be delivered."""
