"""Render pages in a real headless Chromium: run their JavaScript, return the DOM.

`intel diff --render browser` uses `render_files`: each saved page is served to the
browser *at its own URL* through request interception, so its scripts run as they did
on the rival's site (relative fetches resolve, `location` is right) while nothing
leaves the machine: a sub-resource is answered from a file beside the saved page
(`/api/plans.json` -> `<dir>/api/plans.json`), from the network only when the page
lives on a loopback host, and otherwise with a 404. `data:` URLs need no network.

One browser per call, one page per file, all rendered concurrently; images, fonts,
media and trackers are never fetched. "Done" is *settled*, not Playwright's
`networkidle` (a fixed 500 ms of silence): an init script counts fetch/XHR calls in
flight and notes the last DOM mutation, and the page is taken once nothing is in flight
and the DOM has been still for `QUIET_MS`. A page that never stops moving (a ticking
clock) is taken as it is after `SETTLE_MAX_MS`.

A crashed page or browser is relaunched and the page retried once; each page has a
timeout. The crawl (`crawlers/browser.py`) shares the launch flags, the blocking rule
and the settle script from here, so the nightly crawl and `intel diff` see the same DOM.
"""

from __future__ import annotations

import asyncio
import mimetypes
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from intel.browser_path import HINT, find_chromium
from intel.errors import BrowserNotFound, FetchError

CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    # Pages share at most two renderer processes: on a small machine more renderers only
    # queue for the same cores, and each costs ~40 MB (measured: ~100-250 MB less at peak).
    "--renderer-process-limit=2",
    # Compositing on each renderer's main thread, the network and GPU services inside the
    # browser process: fewer threads and processes trading messages for pages nobody
    # looks at. 50 JavaScript pages (bench_browser): 9.6-10.2 -> 8.0-8.2 s of CPU in all,
    # mostly renderers and the GPU process (medians of 3 interleaved runs); the DOM is
    # the same. Only the last --enable-features counts: Playwright's two are repeated.
    "--disable-threaded-compositing",
    "--disable-threaded-animation",
    "--in-process-gpu",
    "--enable-features=NetworkServiceInProcess2,SkipListAccountsWithoutGaiaCookies,"
    "CDPScreenshotNewSurface",
)

BLOCKED_RESOURCE_TYPES = frozenset({"image", "font", "media"})

# Third-party analytics/ads/chat hosts: they never carry pricing and cost time and CPU.
TRACKER_DOMAINS: tuple[str, ...] = (
    "google-analytics.com",
    "googletagmanager.com",
    "googleadservices.com",
    "googlesyndication.com",
    "doubleclick.net",
    "analytics.google.com",
    "facebook.net",
    "facebook.com",
    "connect.facebook.net",
    "hotjar.com",
    "hotjar.io",
    "segment.com",
    "segment.io",
    "mixpanel.com",
    "amplitude.com",
    "heap.io",
    "heapanalytics.com",
    "fullstory.com",
    "intercom.io",
    "intercomcdn.com",
    "hs-scripts.com",
    "hs-analytics.net",
    "hubspot.com",
    "clarity.ms",
    "bing.com",
    "linkedin.com",
    "licdn.com",
    "twitter.com",
    "ads-twitter.com",
    "tiktok.com",
    "snapchat.com",
    "pinterest.com",
    "quantserve.com",
    "scorecardresearch.com",
    "newrelic.com",
    "nr-data.net",
    "sentry.io",
    "datadoghq.com",
    "optimizely.com",
    "crazyegg.com",
    "mouseflow.com",
    "drift.com",
    "driftt.com",
    "zdassets.com",
    "cookielaw.org",
    "onetrust.com",
    "cookiebot.com",
    "plausible.io",
)

# URLs `should_block` may say yes to: what an image, font or media file is named, or a
# tracker host. The crawl routes only these to Python (Playwright matches the pattern in
# the driver), so the page's own documents, scripts and fetches pay no round trip; the
# rule itself stays `should_block`. An image or font with no such name in its URL is
# fetched (not blocked) in the crawl.
BLOCKABLE_URL = re.compile(
    r"^[a-z][a-z0-9+.-]*://(?:[^/?#]*\.)?(?:"
    + "|".join(re.escape(d) for d in TRACKER_DOMAINS)
    + r")(?::\d+)?(?:[/?#]|$)"
    + r"|\.(?:png|jpe?g|gif|webp|avif|svg|ico|bmp|tiff?|woff2?|ttf|otf|eot"
    + r"|mp4|webm|m4v|mov|mp3|m4a|ogg|oga|wav|flac)(?:[?#&]|$)",
    re.IGNORECASE,
)

QUIET_MS = 250
SETTLE_MAX_MS = 5000
DEFAULT_TIMEOUT = 30.0

# Installed in every page before its own scripts: counts fetch/XHR in flight and
# records the time of the last DOM mutation, so `settle` knows when the page is done.
SETTLE_JS = """
(() => {
  if (window.__intelSettle) return;
  const s = window.__intelSettle = {pending: 0, last: performance.now()};
  const touch = () => { s.last = performance.now(); };
  const f = window.fetch;
  if (f) {
    window.fetch = function (...args) {
      s.pending++; touch();
      let p;
      try { p = f.apply(this, args); } catch (e) { s.pending--; throw e; }
      return p.finally(() => { s.pending--; touch(); });
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    s.pending++; touch();
    this.addEventListener("loadend", () => { s.pending--; touch(); }, {once: true});
    return send.apply(this, args);
  };
  new MutationObserver(touch).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
  });
})();
"""

_SETTLED_JS = """
(quiet) => {
  const s = window.__intelSettle;
  return !s || (s.pending <= 0 && performance.now() - s.last >= quiet);
}
"""

# The same test, waited for inside the page: one round trip, no polling from outside,
# and a timer set for the exact moment the quiet period ends (not the next 50 ms tick).
# Resolves true when settled, false when the page kept moving for `max` ms.
_SETTLE_WAIT_JS = """
([quiet, max]) => new Promise((resolve) => {
  const s = window.__intelSettle;
  if (!s) return resolve(true);
  const start = performance.now();
  const check = () => {
    const now = performance.now();
    if (s.pending <= 0 && now - s.last >= quiet) return resolve(true);
    if (now - start >= max) return resolve(false);
    const due = s.pending > 0 ? 50 : quiet - (now - s.last);
    setTimeout(check, Math.max(1, Math.min(due, max - (now - start))));
  };
  check();
})
"""


def launch_options(executable_path: str | None = None) -> dict:
    """Playwright `chromium.launch()` keyword arguments; BrowserNotFound if there is none."""
    return {
        "executable_path": executable_path or find_chromium(),
        "headless": True,
        "args": list(CHROMIUM_ARGS),
    }


def _host_matches(host: str, domains: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in domains)


def _site(host: str) -> str:
    """Rough registrable domain (last two labels): enough to tell first from third party."""
    return ".".join(host.lower().rstrip(".").split(".")[-2:])


def should_block(resource_type: str, url: str, page_url: str | None = None) -> bool:
    """True for requests a text extractor never needs: images, fonts, media, trackers.

    A tracker is only blocked when third-party: a rival's own analytics host is left alone
    in case it also serves the page.
    """
    if resource_type in BLOCKED_RESOURCE_TYPES:
        return True
    host = urlsplit(url).hostname or ""
    if not host or not _host_matches(host, TRACKER_DOMAINS):
        return False
    page_host = urlsplit(page_url).hostname if page_url else None
    return not page_host or _site(page_host) != _site(host)


def _is_loopback(host: str | None) -> bool:
    host = (host or "").strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.") or host.endswith(".localhost")


def local_resource(root: Path, page_url: str, url: str) -> Path | None:
    """The file under `root` that stands in for `url` requested by a page saved from `page_url`.

    Tried in order: the path relative to the page's directory, the path from the site
    root, the bare file name. Never a file outside `root`; None for other origins.
    """
    page, req = urlsplit(page_url), urlsplit(url)
    if (req.scheme, req.netloc) != (page.scheme, page.netloc):
        return None
    path = PurePosixPath(unquote(req.path or "/"))
    base = PurePosixPath(unquote(page.path or "/"))
    if not (page.path or "/").endswith("/"):
        base = base.parent
    candidates: list[PurePosixPath] = []
    try:
        candidates.append(path.relative_to(base))
    except ValueError:
        pass
    candidates += [PurePosixPath(*path.parts[1:]) if path.is_absolute() else path]
    candidates.append(PurePosixPath(path.name))
    root = root.resolve()
    for rel in candidates:
        if not rel.parts or ".." in rel.parts:
            continue
        p = (root / Path(*rel.parts)).resolve()
        if p.is_file() and p.is_relative_to(root):
            return p
    return None


async def settle(page, quiet_ms: int = QUIET_MS, max_ms: int = SETTLE_MAX_MS) -> None:
    """Wait until no fetch/XHR is in flight and the DOM has been still for `quiet_ms`.

    Never raises on a page that keeps moving: after `max_ms` it is taken as it is.
    Usable as a scrapy-playwright `PageMethod(settle)` (it is called with the page).
    """
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.evaluate(_SETTLE_WAIT_JS, [quiet_ms, max_ms])
        return
    except PlaywrightTimeout:
        return
    except PlaywrightError as exc:
        # The page navigated meanwhile (a client-side redirect): its promise died with
        # the old document; wait on the new one, polling, which survives navigations.
        if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
            raise
    try:
        await page.wait_for_function(_SETTLED_JS, arg=quiet_ms, polling=50, timeout=max_ms)
    except PlaywrightTimeout:
        pass


def is_crash(exc: BaseException) -> bool:
    """A Playwright error that means the page or browser died (worth one retry)."""
    from playwright.async_api import Error as PlaywrightError

    if not isinstance(exc, PlaywrightError):
        return False
    msg = str(exc).lower()
    return any(
        k in msg
        for k in ("crash", "has been closed", "target closed", "disconnected", "browser closed")
    )


class Renderer:
    """One headless Chromium, reused for every page rendered through it (async)."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        quiet_ms: int = QUIET_MS,
        executable_path: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.quiet_ms = quiet_ms
        self._options = launch_options(executable_path)
        self._pw = None
        self._browser = None
        self._context = None
        self._lock = asyncio.Lock()
        self.launches = 0

    async def __aenter__(self) -> Renderer:
        from playwright.async_api import async_playwright

        self._pw = await async_playwright().start()
        try:
            await self._launch()
        except BaseException:
            await self._pw.stop()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
        except Exception:  # noqa: BLE001 - a dead browser cannot be closed twice
            pass
        await self._pw.stop()

    async def _launch(self) -> None:
        from playwright.async_api import Error as PlaywrightError

        try:
            self._browser = await self._pw.chromium.launch(**self._options)
        except PlaywrightError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserNotFound(
                f"Chromium at {self._options['executable_path']} would not start ({first}); {HINT}"
            ) from None
        self._context = await self._browser.new_context(
            service_workers="block", java_script_enabled=True, ignore_https_errors=True
        )
        await self._context.add_init_script(SETTLE_JS)
        self.launches += 1

    async def _fresh_context(self, dead_context) -> None:
        """Relaunch after a crash, once for however many pages saw it die."""
        async with self._lock:
            if self._context is not dead_context:
                return  # someone else already relaunched
            try:
                await self._browser.close()
            except Exception:  # noqa: BLE001 - it is already dead
                pass
            await self._launch()

    async def _render(self, target: str, route_handler, wait_for: str | None) -> str:
        """Open, navigate, settle, read; on a crash relaunch and try once more."""
        for attempt in (1, 2):
            context = self._context
            page = None
            try:
                page = await context.new_page()
                page.set_default_timeout(self.timeout * 1000)
                await page.route("**/*", route_handler)
                await page.goto(target, wait_until="load")
                if wait_for:
                    await page.wait_for_selector(wait_for, state="attached")
                await settle(page, self.quiet_ms, min(SETTLE_MAX_MS, int(self.timeout * 1000)))
                return await page.content()
            except Exception as exc:
                if attempt == 1 and (is_crash(exc) or not self._browser.is_connected()):
                    await self._fresh_context(context)
                    continue
                raise
            finally:
                if page is not None and not page.is_closed():
                    try:
                        await page.close()
                    except Exception:  # noqa: BLE001 - closing a crashed page
                        pass
        raise AssertionError("unreachable")

    async def _timed(self, coro, what: str) -> str:
        from playwright.async_api import Error as PlaywrightError

        try:
            return await asyncio.wait_for(coro, self.timeout)
        except TimeoutError:
            raise FetchError(f"{what}: not rendered within {self.timeout:g}s") from None
        except PlaywrightError as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise FetchError(f"{what}: {msg}") from None

    async def render_file(self, path: Path, *, url: str = "", wait_for: str | None = None) -> str:
        """The DOM of a saved page after its scripts ran, served at `url`."""
        from intel.extract.html import decode

        path = Path(path)
        html = decode(path.read_bytes())
        if urlsplit(url).scheme not in ("http", "https"):
            url = f"https://saved-page.invalid/{path.name}"
        target = url.split("#")[0]
        root = path.resolve().parent

        async def handler(route, request) -> None:
            rurl = request.url
            if request.is_navigation_request() and rurl.split("#")[0] == target:
                await route.fulfill(
                    status=200, body=html.encode("utf-8"), content_type="text/html; charset=utf-8"
                )
                return
            if should_block(request.resource_type, rurl, target):
                await route.abort("blockedbyclient")
                return
            local = local_resource(root, target, rurl)
            if local is not None:
                ctype = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                await route.fulfill(status=200, body=local.read_bytes(), content_type=ctype)
            elif _is_loopback(urlsplit(rurl).hostname):
                await route.continue_()
            else:
                await route.fulfill(status=404, body=b"", content_type="text/plain")

        return await self._timed(self._render(target, handler, wait_for), str(path))

    async def render_url(self, url: str, *, wait_for: str | None = None) -> str:
        """The DOM of a live page after its scripts ran (images, fonts, trackers blocked)."""

        async def handler(route, request) -> None:
            if should_block(request.resource_type, request.url, url):
                await route.abort("blockedbyclient")
            else:
                await route.continue_()

        return await self._timed(self._render(url, handler, wait_for), url)


def _run(coro):
    try:
        return asyncio.run(coro)
    except BrowserNotFound:
        raise
    except FileNotFoundError as exc:
        raise FetchError(str(exc)) from None


def render_files(
    paths: Sequence[str | os.PathLike],
    *,
    url: str = "",
    wait_for: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[str]:
    """Rendered DOM HTML of each saved page, in order; one browser, pages in parallel."""

    async def main() -> list[str]:
        async with Renderer(timeout=timeout) as r:
            return list(
                await asyncio.gather(
                    *(r.render_file(Path(p), url=url, wait_for=wait_for) for p in paths)
                )
            )

    return _run(main())


def render_urls(
    urls: Sequence[str], *, wait_for: str | None = None, timeout: float = DEFAULT_TIMEOUT
) -> list[str]:
    """Rendered DOM HTML of each live URL, in order; one browser, pages in parallel."""

    async def main() -> list[str]:
        async with Renderer(timeout=timeout) as r:
            return list(await asyncio.gather(*(r.render_url(u, wait_for=wait_for) for u in urls)))

    return _run(main())
