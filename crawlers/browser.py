"""scrapy-playwright for `render: browser` pages: settings to merge, meta to ask with.

The spider asks for a browser per request (`request_meta(page)`); the crawl merges
`playwright_settings(watchlist)` only when some page has `render: browser`, so a
watchlist of static pages never starts Chromium nor the asyncio Playwright driver.
Requests without `playwright: True` go through the handler's plain HTTP path.

Why a handler of our own (`PooledPlaywrightHandler`, a subclass that keeps the
plugin's driver, browser and context management, launch options and plain-HTTP path):

- speed, on a 2-core machine: the driver and Chromium start while Scrapy is imported
  (`crawlers.browser_start`, adopted by `EarlyBrowserProvider`) or, when the crawl is
  not started by `intel.crawl`, the moment the handler is built; the context is opened
  while Scrapy opens the spider (static pages do not wait for it); pages are reused
  (the plugin opens and closes one per request, ~250 ms of CPU each); one context route
  is set once, and without the private-network guard only URLs that may be blocked
  reach Python; a page is rendered by a lean path (navigate, `wait_for`, settle, read
  the DOM) instead of the plugin's, which costs a dozen more driver round trips per page
  (re-routing, header rewrites, a listener fetching every response's headers, a
  load-state wait after each page method);
- safety: unless the watchlist allows private networks, every request Chromium makes
  (sub-requests, iframes, WebSockets, each redirect hop) passes the static crawl's
  `refusal()` before it is sent, and a rendered DOM over `max_page_bytes` fails the
  page like an oversized static one;
- robustness: one retry of a page whose browser or renderer crashed, a hard per-page
  timeout raised as Twisted's `TimeoutError` (the usual retry and errback paths treat
  it like any slow static page), and no Chromium (or one that will not start) fails
  only the browser pages, each with one line saying how to install one.

The launch flags, the blocking rule (images, fonts, media, third-party trackers) and
the "settled" wait are shared with `intel.render`, so a crawl stores the same DOM that
`intel diff --render browser` compares.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import weakref
from contextlib import suppress
from functools import partial
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Error as PlaywrightError
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod
from scrapy_playwright.provider import PlaywrightBrowserProvider
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawlers.browser_start import (
    EarlyStart,
    crawl_launch_options,
    node_compile_cache,
    use_node_compile_cache,
)
from crawlers.http_rules import is_ip, refusal
from intel.browser_path import HINT
from intel.errors import BrowserNotFound
from intel.render import BLOCKABLE_URL, SETTLE_JS, is_crash, settle, should_block

logger = logging.getLogger(__name__)

HANDLER = "crawlers.browser.PooledPlaywrightHandler"
CONTEXT = "intel"
# Pages rendering at once. Two cores: more pages only queue for CPU and add memory.
MAX_PAGES = 6
# Redirects followed per request when the private-network guard follows them itself.
REDIRECT_MAX = 5
# A page is closed and replaced after this many navigations, bounding slow leaks.
PAGE_REUSE = 100

CONTEXT_KWARGS: dict = {
    "service_workers": "block",  # a worker could answer from cache and hide a change
    "java_script_enabled": True,
    "viewport": {"width": 1280, "height": 2000},
}


def abort_request(request) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: drop images, fonts, media and third-party trackers.

    Used when the plugin's own handler renders (`--stock` in the benchmark); ours
    applies the same rule in its context route.
    """
    return should_block(request.resource_type, request.url, _page_url(request))


def playwright_settings(watchlist) -> dict:
    """Scrapy settings for a crawl with `render: browser` pages.

    Merge them over the project settings only when the watchlist has a browser page.
    Without a Chromium the settings still load: the browser pages then fail one by one
    with the install hint (`INTEL_BROWSER_MISSING`) and the static pages are crawled.
    """
    crawl = watchlist.crawl
    timeout_ms = float(crawl.timeout) * 1000
    launch, missing = crawl_launch_options()
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": min(MAX_PAGES, crawl.concurrency),
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_ms,
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        "PLAYWRIGHT_BROWSER_PROVIDER": EarlyBrowserProvider,
        "INTEL_BROWSER_PAGE_TIMEOUT": float(crawl.timeout),
        "INTEL_BROWSER_PAGE_REUSE": PAGE_REUSE,
        "INTEL_BROWSER_MISSING": missing,
        "INTEL_NODE_COMPILE_CACHE": node_compile_cache(),
        # Browser pages of the night: with none, no context is opened ahead of a request.
        "INTEL_BROWSER_PAGES": sum(p.render == "browser" for _, p in watchlist.pages()),
        "INTEL_ALLOW_PRIVATE_NETWORKS": crawl.allow_private_networks,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
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


class EarlyBrowserProvider(PlaywrightBrowserProvider):
    """scrapy-playwright's provider, adopting the driver and browser `intel.crawl` started
    while Scrapy was imported (`crawlers.browser_start`); the plugin's own start without."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self._early_browser: asyncio.Task | None = None

    async def start(self) -> None:
        early, config = EarlyStart.current, self.config
        if early is not None:  # a browser of ours to launch, not one to connect to
            local = config.browser_type_name == "chromium" and not (
                config.cdp_url or config.connect_url
            )
            early = early.take(config.launch_options if local else None)
        if early is None:
            await super().start()
            return
        self.playwright_context_manager = early.manager
        self.playwright = await early.playwright
        self.browser_type = getattr(self.playwright, self.config.browser_type_name)
        self._early_browser = early.browser

    async def launch_browser(self):
        early, self._early_browser = self._early_browser, None
        if early is not None:
            return await early  # its launch error, if any, is the launch error
        return await super().launch_browser()

    async def close(self) -> None:
        early, self._early_browser = self._early_browser, None
        if early is not None:  # never asked for (the crawl stopped first): close it too
            with suppress(BaseException):
                await (await early).close()
        await super().close()


class RenderedPageTooLarge(Exception):
    """The rendered DOM is larger than the crawl's page size cap (`crawl.max_page_bytes`)."""


# page.content() with the size cap applied inside the page: a DOM over the cap never
# crosses the pipe to the driver and to us (a hostile page can build gigabytes).
_CONTENT_JS = """
(max) => {
  let html = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  if (document.documentElement) html += document.documentElement.outerHTML;
  return html.length > max ? html.length : html;
}
"""


def encode_body(html: str, content_type: str | None) -> tuple[bytes, str]:
    """The rendered DOM as bytes, in the charset the page declares (header, then <meta>)."""
    for encoding in (
        content_type and http_content_type_encoding(content_type),
        html_body_declared_encoding(html[:4096]),
    ):
        if encoding:
            try:
                return html.encode(encoding), encoding
            except (UnicodeEncodeError, LookupError):
                continue
    return html.encode("utf-8"), "utf-8"


class PooledPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler: warm pooled pages, the private-network guard, a size cap,
    one crash retry and a page timeout."""

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
        self.missing = settings.get("INTEL_BROWSER_MISSING")
        self.browser_pages = settings.getint("INTEL_BROWSER_PAGES", 0)
        self.allow_private = settings.getbool("INTEL_ALLOW_PRIVATE_NETWORKS")
        self.max_bytes = settings.getint("DOWNLOAD_MAXSIZE") or 0
        self.user_agent = settings.get("USER_AGENT")
        self.compile_cache = settings.get("INTEL_NODE_COMPILE_CACHE")
        self._idle: dict[str, list] = {}
        self._uses: dict[int, int] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._resolved: dict[str, str | None] = {}
        #: id(page) -> (url, why) of its refused navigation
        self._refusals: dict[int, tuple[str, str]] = {}
        #: id(page) -> the checked Location its navigation was redirected to (guard on)
        self._redirects: dict[int, str] = {}
        self._warm: asyncio.Future | None = None
        # Start Chromium now, while Scrapy is still opening the spider, the store and the
        # middlewares: the driver and the browser take a second or two to come up.
        with suppress(RuntimeError):  # no event loop yet: engine_started starts it instead
            self._start_warm_up()

    # -- start-up -------------------------------------------------------------------------

    def _start_warm_up(self) -> None:
        if self._warm is None:
            self._warm = asyncio.get_event_loop().create_task(self._warm_up())

    async def _maybe_launch_in_thread(self) -> None:
        """engine_started: unlike the plugin, do not hold the engine until Chromium is up.

        Static pages (and robots.txt) go out at once; browser pages wait for `_warm`.
        """
        self._start_warm_up()

    async def _warm_up(self) -> None:
        """The driver, the browser and the context, ready before the first browser page."""
        if self.missing:
            return
        use_node_compile_cache(self.compile_cache)
        await self._launch()
        if self.browser_pages:
            # The context now; each of the first requests opens its page in it, and renders
            # the moment that page exists (pages opened all together first cost the first
            # render ~0.2 s).
            try:
                async with self.context_launch_lock:
                    if CONTEXT not in self.context_wrappers:
                        await self._create_browser_context(CONTEXT, CONTEXT_KWARGS)
            except Exception as exc:  # noqa: BLE001 - each page tries again and says why
                if not isinstance(exc, BrowserNotFound):
                    logger.warning("could not open the browser context: %s", exc)

    async def _create_browser_context(self, name, context_kwargs, spider=None):
        kwargs = dict(context_kwargs or {})
        if self.user_agent:  # what the plugin set request by request, set once
            kwargs.setdefault("user_agent", self.user_agent)
        wrapper = await super()._create_browser_context(name, kwargs, spider)
        context = wrapper.context
        # One route for the whole context, set once: the plugin re-routes every page for
        # every request and rewrites every sub-request's headers (three driver round trips).
        # Without the private-network guard only what may be blocked is routed to us.
        routed = BLOCKABLE_URL if self.allow_private else "**/*"
        await asyncio.gather(context.add_init_script(SETTLE_JS), context.route(routed, self._route))
        if not self.allow_private:
            await context.route_web_socket(re.compile(r".*"), self._route_web_socket)
        return wrapper

    async def _maybe_launch_browser(self) -> None:
        """The plugin's launch; a Chromium that will not start fails every browser page at once.

        Said once, in one line with the install hint, instead of a launch attempt (and a
        page of Playwright's call log) for every page of the night.
        """
        if self.missing:
            raise BrowserNotFound(self.missing)
        try:
            await super()._maybe_launch_browser()
        except PlaywrightError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            path = self.config.launch_options.get("executable_path", "Chromium")
            self.missing = f"Chromium at {path} would not start ({first}); {HINT}"
            raise BrowserNotFound(self.missing) from None

    async def _new_page(self, name: str, context_kwargs: dict | None):
        """A page of context `name` (made, with the browser, if need be), no listeners."""
        async with self.context_launch_lock:
            wrapper = self.context_wrappers.get(name)
            if wrapper is None:
                wrapper = await self._create_browser_context(name, context_kwargs)
        page = await wrapper.context.new_page()
        self.stats.inc_value("playwright/page_count")
        return page

    # -- what the browser may fetch -------------------------------------------------------

    async def _route(self, route, request) -> None:
        """Every request of every page: blocked, refused, or let through untouched."""
        try:
            if should_block(request.resource_type, request.url, _page_url(request)):
                self.stats.inc_value("playwright/request_count/aborted")
                await route.abort("blockedbyclient")
            elif self.allow_private:
                await route.continue_()
            else:
                await self._guarded(route, request)
        except PlaywrightError as exc:  # the page went away (closed, crashed) meanwhile
            if not is_crash(exc):
                raise

    async def _guarded(self, route, request) -> None:
        """The private-network guard of static pages (`refusal`), for each browser request.

        Chromium follows redirects without showing them to a route, so with the guard on
        the browser never fetches anything itself: each request is fetched here (by the
        driver, `route.fetch`) without following redirects, and every hop is checked
        before it is made. A sub-request gets the end of its chain under its own URL; a
        page's own redirect is handed back to `_render`, which navigates to the checked
        Location, so the page keeps its real URL.
        """
        url = request.url
        main = _is_main_navigation(request)
        hops = 0
        while True:
            why = await self._refusal(url)
            if why is not None:
                self._refused(request, why, url)
                await route.abort("blockedbyclient")
                return
            try:
                response = await route.fetch(
                    url=url,
                    # A later hop gets the request's headers without its cookies (the
                    # driver adds the context's cookies for the hop's own host).
                    headers=request.headers if hops else None,
                    max_redirects=0,
                    timeout=self.page_timeout * 1000,
                )
            except PlaywrightError as exc:
                if is_crash(exc):
                    raise
                await route.abort("failed")  # DNS, refused, reset: the page sees a failure
                return
            location = response.headers.get("location")
            if not (300 <= response.status < 400 and location):
                await route.fulfill(response=response)
                return
            if hops == REDIRECT_MAX:  # never hand Chromium a redirect: it would follow it
                await route.abort("failed")
                return
            hops += 1
            url = urljoin(url, location)
            if main:
                why = await self._refusal(url)
                if why is None:
                    self._redirects[id(request.frame.page)] = url
                    await route.abort("aborted")
                    return

    async def _route_web_socket(self, ws) -> None:
        why = await self._refusal(ws.url)
        if why is not None:
            self.stats.inc_value("intel/refused_private")
            logger.warning("browser WebSocket to %s refused: %s", ws.url, why)
            await ws.close(code=1008, reason="refused")
        else:
            ws.connect_to_server()

    def _refused(self, request, why: str, url: str) -> None:
        """Count and log a refused request; a refused page fails with `why`."""
        self.stats.inc_value("intel/refused_private")
        logger.warning("browser request to %s refused: %s", url, why)
        if _is_main_navigation(request):
            self._refusals[id(request.frame.page)] = (url, why)

    async def _refusal(self, url: str) -> str | None:
        host = urlsplit(url).hostname
        if not host:  # data:, blob:, about: never reach the network
            return None
        why = refusal(host)
        if why is None and not is_ip(host):
            why = refusal(host, await self._resolve(host))
        return why

    async def _resolve(self, host: str) -> str | None:
        """The address of `host` by Scrapy's resolver (as the static guard); None if unknown."""
        if host not in self._resolved:
            from twisted.internet import reactor

            try:
                self._resolved[host] = await maybe_deferred_to_future(reactor.resolve(host))
            except Exception:  # noqa: BLE001 - unresolvable here: the browser reports it
                self._resolved[host] = None
        return self._resolved[host]

    # -- the page pool --------------------------------------------------------------------

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

    # -- one request ----------------------------------------------------------------------

    async def _download_request(self, request, spider=None):
        if self.missing:  # only the browser pages fail; static ones never come here
            raise BrowserNotFound(self.missing)
        await self._warm_up_done()
        meta = request.meta
        if meta.get("playwright_include_page") or meta.get("playwright_page"):
            return await super()._download_request(request, spider)  # the caller owns the page
        name = meta.setdefault("playwright_context", CONTEXT)
        async with self._gate(name):
            for attempt in (1, 2):
                # The page (and, the first time, the browser) is made outside the page
                # timeout: a launch on a busy machine is not the page's slowness.
                try:
                    page = self._take(name) or await self._new_page(
                        name, meta.get("playwright_context_kwargs")
                    )
                except Exception as exc:
                    if attempt == 1 and is_crash(exc):  # the browser died between pages
                        await self._browser_gone()
                        continue
                    raise
                try:
                    response = await asyncio.wait_for(
                        self._render(request, page), self.page_timeout
                    )
                except Exception as exc:
                    await self._close_quietly(page)
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
                await self._give_back(name, page)
                return response
        raise AssertionError("unreachable")

    async def _warm_up_done(self) -> None:
        if self._warm is None:
            self._start_warm_up()
        await asyncio.shield(self._warm)

    async def _render(self, request, page):
        """Navigate, run the page methods (`wait_for`, settle), read the capped DOM.

        The plugin's own path costs a dozen driver round trips more per page (re-routing,
        header rewrites, a listener fetching every response's headers, a load-state wait
        after each page method, TLS details); none of them changes the DOM we store.
        """
        meta = request.meta
        goto = dict(meta.get("playwright_page_goto_kwargs") or {})
        goto.pop("url", None)
        url, hops = request.url, []
        while True:
            self._refusals.pop(id(page), None)
            self._redirects.pop(id(page), None)
            try:
                response = await page.goto(url, **goto)
                break
            except PlaywrightError:
                refused = self._refusals.pop(id(page), None)
                redirect = self._redirects.pop(id(page), None)
                if refused is not None:
                    where, why = refused
                    hop = " (redirect)" if where != request.url else ""
                    raise IgnoreRequest(  # worded as PrivateNetworkGuardMiddleware's
                        f"refused {where}{hop}: {why}; "
                        "set `crawl: {allow_private_networks: true}` in the watchlist to allow it"
                    ) from None
                if redirect is None or len(hops) >= REDIRECT_MAX:
                    raise
                hops.append(url)
                url = redirect
        for pm in meta.get("playwright_page_methods") or ():
            method = partial(pm.method, page) if callable(pm.method) else getattr(page, pm.method)
            result = method(*pm.args, **pm.kwargs)
            pm.result = await result if inspect.isawaitable(result) else result
        html = await self._content(page, request.url)
        headers = Headers(response.headers if response is not None else {})
        for name in ("Content-Encoding", "Content-Length", "Transfer-Encoding"):
            headers.pop(name, None)  # the DOM we return is neither compressed nor that long
        content_type = headers.get("Content-Type")
        body, encoding = encode_body(html, content_type.decode("latin-1") if content_type else None)
        if self.max_bytes and len(body) > self.max_bytes:
            raise RenderedPageTooLarge(self._too_large(len(body)))
        if response is not None:
            hop, chrome_hops = response.request.redirected_from, []
            while hop is not None:
                chrome_hops.append(hop.url)
                hop = hop.redirected_from
            hops += chrome_hops[::-1]
        if hops:
            meta["redirect_times"] = len(hops)
            meta["redirect_urls"] = hops
        return HtmlResponse(
            url=page.url,
            status=response.status if response is not None else 200,
            headers=headers,
            body=body,
            encoding=encoding,
            request=request,
            flags=["playwright"],
        )

    async def _content(self, page, url: str) -> str:
        limit = self.max_bytes or 2**31 - 1
        for attempt in (1, 2):
            try:
                html = await page.evaluate(_CONTENT_JS, limit)
                break
            except PlaywrightError as exc:  # a late client-side redirect is still running
                if attempt == 2 or "context was destroyed" not in str(exc):
                    raise
                await page.wait_for_load_state()
        if not isinstance(html, str):
            raise RenderedPageTooLarge(self._too_large(int(html)))
        return html

    def _too_large(self, size: int) -> str:
        return (
            f"rendered page cut off: {size:,} bytes or more, larger than the page size cap "
            f"of {self.max_bytes:,} bytes (crawl.max_page_bytes)"
        )

    async def close(self) -> None:
        if self._closed:  # the same handler serves http and https: closed once
            return
        self._closed = True
        if self._warm is not None:
            with suppress(Exception):
                await self._warm
        await super().close()

    async def _close(self) -> None:
        self._idle.clear()
        self._uses.clear()
        await super()._close()


def _is_main_navigation(request) -> bool:
    """A request for the page itself (not an iframe's, not a sub-resource)."""
    try:
        return request.is_navigation_request() and request.frame == request.frame.page.main_frame
    except Exception:  # noqa: BLE001 - no frame (service worker) or the page is gone
        return False


def _page_url(request) -> str | None:
    """The page a request is made for, to tell first-party requests from third-party ones.

    A navigation is its own page: its frame still shows the previous page of a reused tab
    (or about:blank), and a rival hosted on a tracker's domain must not lose its page.
    """
    if request.is_navigation_request():
        return request.url
    try:
        return request.frame.url
    except Exception:  # noqa: BLE001 - service-worker requests have no frame
        return None
