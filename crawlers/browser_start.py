"""Chromium started while Scrapy is imported: the browser's start-up off the critical path.

A night with browser pages used to pay, one after the other: Scrapy's imports (~0.9 s
here), then the Playwright driver (a Node process, ~0.5 s), then Chromium. Neither the
driver nor Chromium needs Scrapy, and both boot in processes of their own, so
`started_with` launches them on the event loop the crawl will run on while another
thread does the imports; `EarlyBrowserProvider` (scrapy-playwright's public
`PLAYWRIGHT_BROWSER_PROVIDER` extension point) hands that driver and browser to the
download handler. Anything that goes wrong early is raised where it would have been
raised without it: a Chromium that will not start fails the browser pages, saying why.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any
from urllib.request import getproxies

from intel.errors import BrowserNotFound
from intel.render import launch_options


def crawl_launch_options() -> tuple[dict, str | None]:
    """Playwright's launch options for the crawl, and why there is no Chromium (or None)."""
    try:
        launch, missing = launch_options(), None
    except BrowserNotFound as exc:  # only the browser pages fail, each saying why
        launch, missing = {}, str(exc)
    proxy = proxy_from_env()
    if proxy and launch:
        launch["proxy"] = proxy
    return launch, missing


def proxy_from_env() -> dict | None:
    """`http_proxy`/`https_proxy` (and `no_proxy`) as Playwright's `proxy` launch option.

    Scrapy's HttpProxyMiddleware sends the static pages through the environment's proxy;
    the browser pages take the same way out.
    """
    proxies = getproxies()
    server = proxies.get("http") or proxies.get("https")
    if not server:
        return None
    out = {"server": server}
    if proxies.get("no"):
        out["bypass"] = proxies["no"]
    return out


def node_compile_cache() -> str:
    """Where Node keeps the Playwright driver's compiled code between nights (user cache).

    With it the driver starts on ~0.3 s less CPU (0.78 -> 0.48 s measured), on the
    critical path of every night with browser pages; beside Playwright's own browsers.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "intel-crawler", "node-compile-cache")


def use_node_compile_cache(path: str | None) -> None:
    """Have the driver's Node, started after this, read and fill the cache at `path`."""
    if path and "NODE_COMPILE_CACHE" not in os.environ:
        with suppress(OSError):
            os.makedirs(path, exist_ok=True)
            os.environ["NODE_COMPILE_CACHE"] = path


class EarlyStart:
    """The driver and browser being started on `loop`, for launch options `options`."""

    current: EarlyStart | None = None

    def __init__(self, loop: asyncio.AbstractEventLoop, options: dict) -> None:
        from playwright.async_api import async_playwright

        self.loop = loop
        self.options = options
        self.manager = async_playwright()
        self.playwright = loop.create_task(self.manager.start())
        self.browser = loop.create_task(self._launch())
        for task in (self.playwright, self.browser):  # raised to whoever awaits it, if anyone
            task.add_done_callback(_retrieve)
        #: handed to the handler, or shut down by it (other options): not ours to close
        self.taken = False

    async def _launch(self) -> Any:
        playwright = await self.playwright
        return await playwright.chromium.launch(**self.options)

    def take(self, options: dict) -> EarlyStart | None:
        """This start, if it was made with `options`; else None (it is then shut down)."""
        if EarlyStart.current is self:
            EarlyStart.current = None
        self.taken = True
        if options != self.options:
            self.loop.create_task(self.close())
            return None
        return self

    async def close(self) -> None:
        """Close the browser and stop the driver, whatever state they reached."""
        for task in (self.browser, self.playwright):
            if not task.done():
                task.cancel()
            with suppress(BaseException):
                await task
        if self.browser.done() and not self.browser.cancelled() and not self.browser.exception():
            with suppress(Exception):
                await self.browser.result().close()
        with suppress(Exception):
            await self.manager.__aexit__()

    def discard(self) -> None:
        """After the crawl: shut down a start the handler never took (the crawl failed early)."""
        if EarlyStart.current is self:
            EarlyStart.current = None
        if not self.taken and not self.loop.is_closed() and not self.loop.is_running():
            with suppress(Exception):
                self.loop.run_until_complete(asyncio.wait_for(self.close(), 10))


def _retrieve(task: asyncio.Task) -> None:
    """Mark a failed task's error as seen: asyncio logs unseen ones to stderr at exit."""
    if not task.cancelled():
        task.exception()


def started_with(work: Callable[[], None], options: dict) -> EarlyStart:
    """Start the driver and Chromium, run `work` (the imports) meanwhile; return the start.

    The loop becomes the thread's current event loop, which Scrapy's asyncio reactor then
    runs on: what was started here goes on where it stopped once the crawl begins.
    """
    use_node_compile_cache(node_compile_cache())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    start = EarlyStart.current = EarlyStart(loop, options)
    done = loop.create_future()

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            loop.call_soon_threadsafe(done.set_exception, exc)
        else:
            loop.call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=run, name="intel-imports", daemon=True).start()
    try:
        loop.run_until_complete(done)
    except BaseException:
        start.discard()
        raise
    return start
