"""scrapy-playwright for `render: browser` pages: settings to merge, meta to ask with.

The spider asks for a browser per request (`request_meta(page)`); the crawl merges
`playwright_settings(watchlist)` only when some page has `render: browser`, so a
watchlist of static pages never starts Chromium nor the asyncio Playwright driver.
Requests without `playwright: True` go through the handler's plain HTTP path.

Why a handler of our own (`PooledPlaywrightHandler`, a thin subclass): scrapy-playwright
opens and closes a page per request, which costs ~250 ms of CPU each on a small
machine; reusing a few warm pages roughly triples pages/s. It also owns what the
plugin does not do for us: one retry of a page whose browser or renderer crashed (the
plugin relaunches a disconnected browser, we retry the page on it) and a hard
per-page timeout, raised as Twisted's `TimeoutError` so the usual retry and errback
paths treat it like any slow static page.

The launch flags, the blocking rule (images, fonts, media, third-party trackers) and
the "settled" wait are shared with `intel.render`, so a crawl stores the same DOM that
`intel diff --render browser` compares.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from contextlib import suppress

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from intel.render import SETTLE_JS, is_crash, launch_options, settle, should_block

logger = logging.getLogger(__name__)

HANDLER = "crawlers.browser.PooledPlaywrightHandler"
CONTEXT = "intel"
# Pages rendering at once. Two cores: more pages only queue for CPU and add memory.
MAX_PAGES = 6
# A page is closed and replaced after this many navigations, bounding slow leaks.
PAGE_REUSE = 100

CONTEXT_KWARGS: dict = {
    "service_workers": "block",  # a worker could answer from cache and hide a change
    "java_script_enabled": True,
    "viewport": {"width": 1280, "height": 2000},
}


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: drop images, fonts, media and third-party trackers."""
    try:
        page_url = request.frame.url
    except Exception:  # noqa: BLE001 - service-worker requests have no frame
        page_url = None
    return should_block(request.resource_type, request.url, page_url)


def playwright_settings(watchlist) -> dict:
    """Scrapy settings for a crawl with `render: browser` pages; BrowserNotFound without one.

    Merge them over the project settings only when the watchlist has a browser page.
    """
    crawl = watchlist.crawl
    timeout_ms = float(crawl.timeout) * 1000
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(),
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": min(MAX_PAGES, crawl.concurrency),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        "INTEL_BROWSER_PAGE_TIMEOUT": float(crawl.timeout),
        "INTEL_BROWSER_PAGE_REUSE": PAGE_REUSE,
    }


def request_meta(page) -> dict:
    """Request meta asking for a rendered page: navigate, wait, return the rendered DOM.

    `page` is a watchlist page; its `wait_for` selector (if any) must appear in the DOM,
    then the page must settle (no fetch/XHR in flight, DOM still for a moment).
    """
    methods = []
    wait_for = getattr(page, "wait_for", None)
    if wait_for:
        methods.append(PageMethod("wait_for_selector", wait_for, state="attached"))
    methods.append(PageMethod(settle))
    return {
        "playwright": True,
        "playwright_context": CONTEXT,
        "playwright_context_kwargs": dict(CONTEXT_KWARGS),
        "playwright_page_methods": methods,
        "playwright_page_goto_kwargs": {"wait_until": "load"},
    }


class PooledPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler with warm pages reused, one crash retry and a page timeout."""

    # One instance per crawler for every scheme: Scrapy builds a handler per scheme, and
    # each plugin handler starts its own Playwright driver (~100 MB of node) at engine start.
    _shared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        handler = cls._shared.get(crawler)
        if handler is None:
            handler = cls._shared[crawler] = cls(crawler)
        return handler

    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self._closed = False
        settings = crawler.settings
        self.page_timeout = settings.getfloat("INTEL_BROWSER_PAGE_TIMEOUT", 30.0)
        self.page_reuse = settings.getint("INTEL_BROWSER_PAGE_REUSE", PAGE_REUSE)
        self._idle: dict[str, list] = {}
        self._uses: dict[int, int] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}

    async def _create_browser_context(self, name, context_kwargs, spider=None):
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        await wrapper.context.add_init_script(SETTLE_JS)
        return wrapper

    def _gate(self, name: str) -> asyncio.Semaphore:
        # Our own bound on pages in use: the plugin's per-context semaphore is released
        # only when a page closes, which a pooled page never does between requests.
        if name not in self._gates:
            self._gates[name] = asyncio.Semaphore(self.config.max_pages_per_context)
        return self._gates[name]

    def _take(self, name: str):
        pool = self._idle.setdefault(name, [])
        while pool:
            page = pool.pop()
            if not page.is_closed():
                return page
            self._uses.pop(id(page), None)
        return None

    async def _give_back(self, name: str, page) -> None:
        uses = self._uses.get(id(page), 0) + 1
        if page.is_closed():
            self._uses.pop(id(page), None)
        elif uses >= self.page_reuse:
            self._uses.pop(id(page), None)
            await self._close_quietly(page)
        else:
            self._uses[id(page)] = uses
            self._idle.setdefault(name, []).append(page)

    async def _close_quietly(self, page) -> None:
        self._uses.pop(id(page), None)
        if page is not None and not page.is_closed():
            with suppress(Exception):
                await page.close()
                self.stats.inc_value("playwright/page_count/closed")

    async def _browser_gone(self) -> None:
        """Wait for the plugin to notice a dead browser, so the retry launches a new one."""
        for _ in range(100):
            browser = getattr(self, "browser", None)
            if browser is None or browser.is_connected():
                return
            await asyncio.sleep(0.05)

    async def _download_request(self, request, spider=None):
        meta = request.meta
        if meta.get("playwright_include_page") or meta.get("playwright_page"):
            return await super()._download_request(request, spider)  # the caller owns the page
        name = meta.setdefault("playwright_context", CONTEXT)
        async with self._gate(name):
            for attempt in (1, 2):
                # The page (and, the first time, the browser) is made outside the page
                # timeout: a launch on a busy machine is not the page's slowness.
                try:
                    page = self._take(name) or await self._create_page(request, spider)
                except Exception as exc:
                    if attempt == 1 and is_crash(exc):  # the browser died between pages
                        await self._browser_gone()
                        continue
                    raise
                meta["playwright_page"] = page
                meta["playwright_include_page"] = True
                try:
                    # Not the plugin's `_download_request`: its own retry loop would
                    # relaunch a crashed browser inside our page timeout.
                    response = await asyncio.wait_for(
                        self._download_request_with_retry(request, spider or self._crawler.spider),
                        self.page_timeout,
                    )
                except Exception as exc:
                    await self._close_quietly(meta.pop("playwright_page", None) or page)
                    meta.pop("playwright_include_page", None)
                    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
                        self.stats.inc_value("intel/browser/timeout")
                        raise TwistedTimeoutError(
                            f"{request.url} not rendered within {self.page_timeout:g}s"
                        ) from None
                    if attempt == 1 and is_crash(exc):
                        self.stats.inc_value("intel/browser/crash_retry")
                        logger.warning(
                            "browser crashed on %s (%s); retrying once",
                            request,
                            str(exc).strip().splitlines()[0],
                        )
                        await self._browser_gone()
                        continue
                    raise
                page = meta.pop("playwright_page", None)
                meta.pop("playwright_include_page", None)
                if page is not None:
                    await self._give_back(name, page)
                return response
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._closed:  # the same handler serves http and https: closed once
            return
        self._closed = True
        await super().close()

    async def _close(self) -> None:
        self._idle.clear()
        self._uses.clear()
        await super()._close()
