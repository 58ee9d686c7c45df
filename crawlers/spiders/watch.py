"""The one spider: every page of the watchlist, fetched once, yielded as a snapshot.

It does not interpret anything. A good page and a failed one both become a
`PageSnapshot`; a failure (DNS, refused, timeout, robots.txt, 4xx, 5xx after retries,
cut off for size) carries its reason in `error` and no body, and the crawl goes on.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from crawlers.items import PageSnapshot
from intel.store import now_iso
from intel.watchlist import Watchlist, load_watchlist

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure


def crawl_settings(watchlist: Watchlist) -> dict[str, Any]:
    """Scrapy settings the watchlist's `crawl:` block asks for."""
    c = watchlist.crawl
    out: dict[str, Any] = {
        "ROBOTSTXT_OBEY": c.obey_robots,
        "CONCURRENT_REQUESTS": c.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": c.per_domain_concurrency,
        "DOWNLOAD_TIMEOUT": c.timeout,
        "DOWNLOAD_MAXSIZE": c.max_page_bytes,
        "DOWNLOAD_WARNSIZE": max(c.max_page_bytes // 4, 1024),
        "RETRY_TIMES": c.retries,
        "INTEL_ALLOW_PRIVATE_NETWORKS": c.allow_private_networks,
    }
    if c.user_agent:
        out["USER_AGENT"] = c.user_agent
    return out


class WatchSpider(scrapy.Spider):
    """Fetch every page of the watchlist once."""

    name = "watch"

    def __init__(
        self, watchlist: Watchlist, *args: Any, settled: set[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.watchlist = watchlist
        #: pages whose 304 was stored before the crawl (`crawlers.revalidate`): not fetched
        self.settled = settled or set()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WatchSpider:
        """Load the watchlist (`-a watchlist=PATH`) and apply its crawl settings."""
        source = kwargs.pop("watchlist", None) or crawler.settings.get("INTEL_WATCHLIST")
        if not source:
            raise ValueError("no watchlist: run `scrapy crawl watch -a watchlist=PATH`")
        watchlist = source if isinstance(source, Watchlist) else load_watchlist(source)
        # Settings are still open here (Scrapy freezes them after the spider is created);
        # "spider" priority lets `-s NAME=VALUE` on the command line win.
        crawler.settings.setdict(crawl_settings(watchlist), priority="spider")
        if any(p.render == "browser" for _, p in watchlist.pages()):
            from crawlers import browser  # required only when a page needs a browser

            crawler.settings.setdict(browser.playwright_settings(watchlist), priority="spider")
        return super().from_crawler(crawler, *args, watchlist=watchlist, **kwargs)

    async def start(self) -> AsyncIterator[Any]:
        self.new_pages = new_generic_pages(self.settings.get("INTEL_DATA"), self.watchlist)
        for competitor, page in self.watchlist.pages():
            if page.url in self.settled:
                continue
            meta: dict[str, Any] = {
                "intel_url": page.url,
                "intel_competitor": competitor.name,
                "intel_kind": page.kind,
            }
            if page.render == "browser":
                from crawlers import browser

                meta.update(browser.request_meta(page))
            yield scrapy.Request(
                page.url,
                callback=self.parse,
                errback=self.failed,
                meta=meta,
                dont_filter=True,
            )

    def parse(self, response: Response, **kwargs: Any) -> Any:
        """A 2xx: the page as the server sent it (decompressed).

        A changelog page that advertises an RSS/Atom feed is read through its feed (dated,
        structured, stable markup): the feed is fetched and stored as the page's snapshot,
        and the HTML is kept only if the feed cannot be fetched.
        """
        fields = {
            "final_url": response.url,
            "status": response.status,
            "headers": _headers(response),
            "body": response.body,
        }
        feed = feed_link(response) if response.meta.get("intel_kind") == "changelog" else None
        if feed:
            meta = {k: v for k, v in response.meta.items() if k.startswith("intel_")}
            meta["intel_html_snapshot"] = fields
            meta["intel_feed"] = True  # asked with the feed's own validators, if read before
            yield scrapy.Request(
                feed,
                callback=self.parse_feed,
                errback=self.feed_failed,
                meta=meta,
                dont_filter=True,
            )
            return
        yield self._snapshot(response.meta, **fields)
        if response.meta["intel_url"] in self.new_pages and not response.meta.get("intel_probe"):
            # First sight of a generic page: look again at once. Nothing real moves in a
            # moment, so whatever differs is noise, masked from the first night on.
            meta = {k: v for k, v in response.meta.items() if k.startswith("intel_")}
            meta["intel_probe"] = True
            # With the page's ETag: a server whose ETag follows the bytes (static files,
            # CDNs, frameworks hashing the body) answers 304 when nothing differs, so the
            # second look costs no body, no snapshot and no extraction; a page with
            # per-request noise gets a new ETag, hence a 200 to learn from. Not
            # If-Modified-Since: a one-second clock cannot tell two looks apart.
            etag = response.headers.get(b"ETag")
            yield scrapy.Request(
                response.url,
                callback=self.parse,
                errback=self.failed,
                meta=meta,
                headers={b"If-None-Match": etag} if etag else None,
                dont_filter=True,
            )

    def parse_feed(self, response: Response, **kwargs: Any) -> Any:
        """The discovered feed, stored as the changelog page's snapshot."""
        yield self._snapshot(
            response.meta,
            final_url=response.url,
            status=response.status,
            headers=_headers(response),
            body=response.body,
        )

    def feed_failed(self, failure: Failure) -> Any:
        """The feed could not be fetched: keep the HTML page that advertised it.

        A 304 is no failure: the feed has not changed since the version read last time,
        and the page is stored as not modified, as any page answering 304.
        """
        request = failure.request  # type: ignore[attr-defined]
        exc = failure.value
        if isinstance(exc, HttpError) and exc.response.status == 304:
            yield self._snapshot(
                request.meta,
                final_url=exc.response.url,
                status=304,
                headers=_headers(exc.response),
                body=None,
                not_modified=True,
            )
            return
        yield self._snapshot(request.meta, **request.meta["intel_html_snapshot"])

    def failed(self, failure: Failure) -> Any:
        """Anything else: a 304 (unchanged), or a failed fetch with its reason."""
        request = failure.request  # type: ignore[attr-defined]
        if request.meta.get("intel_probe"):
            # A 304 (the same ETag: nothing differs) or a failed second look teaches
            # nothing, and the page itself was stored.
            return
        exc = failure.value
        if isinstance(exc, HttpError):
            response = exc.response
            not_modified = response.status == 304
            yield self._snapshot(
                request.meta,
                final_url=response.url,
                status=response.status,
                headers=_headers(response),
                body=None,
                error=None if not_modified else f"HTTP {response.status}",
                not_modified=not_modified,
            )
            return
        yield self._snapshot(
            request.meta, final_url=request.url, status=None, error=describe_failure(exc)
        )

    def _snapshot(self, meta: dict[str, Any], **fields: Any) -> PageSnapshot:
        return PageSnapshot(
            competitor=meta["intel_competitor"],
            url=meta["intel_url"],
            kind=meta["intel_kind"],
            fetched_at=now_iso(),
            probe=bool(meta.get("intel_probe")),
            **fields,
        )


def new_generic_pages(data_dir: str | None, watchlist: Watchlist) -> set[str]:
    """Static `page`-kind URLs never fetched successfully: they get a second, probing fetch."""
    urls = [p.url for _, p in watchlist.pages() if p.kind == "page" and p.render == "static"]
    if not data_dir or not urls:
        return set()
    from intel.store import Store

    with Store.open(data_dir) as store:
        fetched = {snap.url for snap in store.latest_good().values()}
    return {u for u in urls if u not in fetched}


_FEED_TYPES = ("application/atom+xml", "application/rss+xml", "application/feed+json")
_FEED_TYPE_BYTES = re.compile(rb"application/(?:atom|rss)\+xml", re.IGNORECASE)


def feed_link(response: Response) -> str | None:
    """The absolute URL of the RSS/Atom feed an HTML page advertises, if any."""
    ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    if "html" not in ctype or not hasattr(response, "css"):
        return None
    if not _FEED_TYPE_BYTES.search(response.body):
        return None  # no feed type named anywhere: no need to parse the page to look
    for link in response.css("head link[rel~='alternate'][href]"):
        kind = (link.attrib.get("type") or "").lower().split(";")[0].strip()
        if kind in _FEED_TYPES[:2]:
            return response.urljoin(link.attrib["href"])
    return None


def describe_failure(exc: BaseException) -> str:
    """One line saying why a page could not be fetched."""
    name = type(exc).__name__
    text = str(exc).strip()
    # Twisted wraps the real reasons in a list of Failures: show theirs, not the reprs.
    inner = re.findall(r"Failure ([\w.]+): (.*?)>", text)
    if inner:
        text = "; ".join(f"{cls.rsplit('.', 1)[-1]}: {msg}" for cls, msg in inner)
    if not text or text == name:
        text = _HINTS.get(name, "")
    return (f"{name}: {text}" if text else name)[:500]


_HINTS = {
    "DownloadCancelledError": "download cut off (larger than the page size cap)",
    "ResponseDataLossError": "the connection closed before the whole body arrived",
}


def _headers(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.to_unicode_dict().items()}
