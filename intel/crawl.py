"""Run the crawl of one night: one Scrapy CrawlerProcess in this process, once.

Twisted's reactor cannot be restarted, so a process crawls at most once (`intel run`
crawls, then processes; tests run crawls in subprocesses). What the night fetched is
in the store; `CrawlResult` is the tally for the summary and the exit code.

Logging: Scrapy's messages go to the root logger (the rotating file `intel run` and
`intel crawl` set up in the data dir), not to stderr, because cron mails whatever
reaches stderr. `verbose=True` puts them on stderr too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intel.errors import IntelError

#: below this many pages, forking a processing child costs more than it saves
ALONGSIDE_MIN_PAGES = 32


@dataclass
class CrawlResult:
    """What one crawl fetched: pages ok, not modified, failed (and why)."""

    pages: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    #: pages settled by a 304 before the crawl (`crawlers.revalidate`), counted in the above
    revalidated: int = 0
    seconds: float = 0.0
    finish_reason: str | None = None

    @property
    def missing(self) -> int:
        """Pages neither fetched nor failed (the crawl was stopped before reaching them)."""
        return max(self.pages - self.fetched - self.failed, 0)

    def add(self, item: Any) -> None:
        if getattr(item, "probe", False):  # a second look at a new page, not a page
            return
        if item.ok:
            self.fetched += 1
            self.not_modified += int(item.not_modified)
        else:
            self.failed += 1
            self.failures.append(f"{item.url}: {item.error or f'HTTP {item.status}'}")

    def summary(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "fetched": self.fetched,
            "not_modified": self.not_modified,
            "failed": self.failed,
            "missing": self.missing,
            "failures": self.failures[:50],
            "revalidated": self.revalidated,
            "seconds": round(self.seconds, 2),
            "finish_reason": self.finish_reason,
        }

    def line(self) -> str:
        """The short summary printed under cron."""
        text = (
            f"crawl: {self.fetched}/{self.pages} pages fetched "
            f"({self.not_modified} not modified), {self.failed} failed"
        )
        if self.missing:
            text += f", {self.missing} not reached"
        return text + f" in {self.seconds:.1f}s"


def crawl_settings(
    data_dir: str | Path,
    *,
    run_id: int | None = None,
    verbose: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Any:
    """The project's settings plus this crawl's data dir and run (overrides win)."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawlers.settings", priority="project")
    settings.set("INTEL_DATA", str(data_dir), priority="cmdline")
    if run_id is not None:
        settings.set("INTEL_RUN_ID", run_id, priority="cmdline")
    # Scrapy logs to stderr only when asked; otherwise to the root logger (the log file).
    settings.set("LOG_INSTALL_ROOT_HANDLER", verbose, priority="cmdline")
    if verbose:
        settings.set("LOG_LEVEL", "INFO", priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def crawl(
    watchlist_path: str | Path | Any,
    data_dir: str | Path,
    *,
    progress: bool,
    run_id: int | None = None,
    verbose: bool = False,
    settings: dict[str, Any] | None = None,
    process_alongside: bool = False,
) -> CrawlResult:
    """Crawl every page of the watchlist into the store of `data_dir`; blocks until done.

    Failed pages are stored as failed fetches and counted, never raised. Raises
    WatchlistError for a bad watchlist and IntelError when the crawl itself could not
    run (e.g. the store cannot be opened).

    `process_alongside` (for `intel run`, which processes right after): a child process
    extracts and diffs the pages while the crawl fetches the rest, on the other core;
    `intel.process.process_pending` then takes over from it.
    """
    from intel.watchlist import Watchlist, load_watchlist

    # A caller that already loaded the watchlist (`intel run`) passes it: read once a night.
    if isinstance(watchlist_path, Watchlist):
        watchlist = watchlist_path
    else:
        watchlist = load_watchlist(watchlist_path)  # fails before the reactor starts
    result = CrawlResult(pages=len(watchlist.pages()))
    started = time.perf_counter()
    settled = _revalidate(watchlist, data_dir, run_id, settings or {})
    result.revalidated = result.fetched = result.not_modified = len(settled)
    remaining = result.pages - len(settled)
    if not remaining:  # every page answered 304: no need to start Scrapy at all
        result.seconds = time.perf_counter() - started
        return result
    if process_alongside and remaining >= ALONGSIDE_MIN_PAGES:
        from intel.process import Alongside

        # Forked now, before Scrapy is imported and its reactor installed: the child
        # shares none of it, and readies its extractors while Scrapy starts here.
        Alongside.start(data_dir, watchlist)

    early = _start_browser_while(_import_scrapy, watchlist, settled, settings or {})
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders.watch import WatchSpider

    process = CrawlerProcess(
        crawl_settings(data_dir, run_id=run_id, verbose=verbose, overrides=settings)
    )
    if not verbose:  # one line per request is too much even for the log file
        # After CrawlerProcess: it resets the "scrapy" logger to DEBUG (dictConfig), and a
        # DEBUG "Scraped from" line holds the whole item, body included.
        logging.getLogger("scrapy").setLevel(logging.INFO)
    crawler = process.create_crawler(WatchSpider)
    bar = _Progress(result.pages) if progress else None

    def stored(item: Any, **_: Any) -> None:
        result.add(item)
        if bar:
            bar.update(result)

    def not_stored(item: Any, failure: Any, **_: Any) -> None:
        result.failed += 1
        result.failures.append(f"{item.url}: not stored: {failure.getErrorMessage()}")
        if bar:
            bar.update(result)

    crawler.signals.connect(stored, signal=signals.item_scraped)
    crawler.signals.connect(not_stored, signal=signals.item_error)
    errors: list[Any] = []
    d = process.crawl(crawler, watchlist=watchlist, settled=settled)
    d.addErrback(errors.append)  # the crawl could not even start (e.g. the store is unusable)
    try:
        if bar:
            bar.start()
            bar.update(result)  # the pages settled before the crawl
        from intel.heap import settle

        settle()  # what start-up built lives until exit: out of the collector's sight
        process.start()
    finally:
        if bar:
            bar.stop()
        if early is not None:
            early.discard()
    result.seconds = time.perf_counter() - started
    if crawler.stats is not None:
        result.finish_reason = crawler.stats.get_value("finish_reason")
    if errors:
        if process_alongside:
            from intel.process import Alongside

            Alongside.take(data_dir)  # no processing follows a crawl that could not run
        exc = errors[0].value
        if isinstance(exc, IntelError):
            raise exc  # e.g. StoreError: the CLI says so with its own exit code
        raise IntelError(f"the crawl could not run: {type(exc).__name__}: {exc}")
    return result


def _import_scrapy() -> None:
    """Import what the crawl runs on, before the reactor starts.

    The HTTP download handler is imported here, not by the downloader deep inside the
    reactor's start: its module builds deprecated aliases with inspect.stack(), whose
    cost grows with the depth of the stack (each frame's source and module are looked
    up): 0.48 s there, 0.13 s here, on every night that starts Scrapy.
    """
    import scrapy.core.downloader.handlers.http11  # noqa: F401
    import scrapy.crawler  # noqa: F401

    import crawlers.spiders.watch  # noqa: F401


def _start_browser_while(
    imports: Callable[[], None], watchlist: Any, settled: set[str], overrides: dict[str, Any]
) -> Any:
    """Run `imports`; with browser pages to fetch, start Chromium meanwhile (the start).

    The Playwright driver and Chromium boot in processes of their own in ~0.6 s, the
    imports take ~0.9 s of this process: side by side, the first browser page is
    rendered that much sooner (`crawlers.browser_start`).
    """
    browser_pages = any(
        p.render == "browser" and p.url not in settled for _, p in watchlist.pages()
    )
    if (
        not browser_pages
        or "PLAYWRIGHT_LAUNCH_OPTIONS" in overrides
        # A reactor already running on another loop would never run what starts here.
        or "twisted.internet.reactor" in sys.modules
    ):
        imports()
        return None
    from crawlers.browser_start import crawl_launch_options, started_with

    launch, missing = crawl_launch_options()
    if missing:
        imports()
        return None

    def imports_and_handler() -> None:
        imports()
        import crawlers.browser  # noqa: F401 - the download handler, imported by Scrapy next

    return started_with(imports_and_handler, launch)


def _revalidate(
    watchlist: Any, data_dir: str | Path, run_id: int | None, overrides: dict[str, Any]
) -> set[str]:
    """The pages a conditional GET settled before the crawl (stored as 304s; see
    `crawlers.revalidate`); none when conditional GET or the pass is switched off."""
    from crawlers import settings as defaults

    def enabled(name: str) -> bool:
        value = overrides.get(name, getattr(defaults, name))
        return str(value).lower() not in ("0", "false", "no", "off", "")

    if not (enabled("INTEL_CONDITIONAL_GET") and enabled("INTEL_REVALIDATE")):
        return set()
    from crawlers.revalidate import revalidate
    from intel.store import Store

    with Store.open(data_dir) as store:
        return revalidate(store, watchlist, run_id).unchanged


class _Progress:
    """Pages done/total and failures on a terminal (rich), on stderr."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("crawl"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("crawl", total=total, failed=0)

    def start(self) -> None:
        self._progress.start()

    def update(self, result: CrawlResult) -> None:
        self._progress.update(
            self._task, completed=result.fetched + result.failed, failed=result.failed
        )

    def stop(self) -> None:
        self._progress.stop()
