"""Fetch concerns of the crawl: conditional GET, the private-network guard, polite retries.

Each middleware is a thin shell over a plain function (tests call the functions directly):

- `conditional_headers(validators)` (`crawlers.http_rules`): If-None-Match /
  If-Modified-Since from the last good snapshot's ETag / Last-Modified, so an unchanged
  page costs a 304 and nothing more.
- `refusal(host, address, allow_private)` (`crawlers.http_rules`): why a request to a
  loopback, private, link-local or otherwise non-public address must not be made. Every
  request passes through it, redirects and meta refreshes included, so a public page
  cannot bounce the crawler onto the intranet or the cloud metadata address.
- `backoff_delay(attempt, base, cap, retry_after)`: how long to wait before a retry.

`RobotsTxtMiddleware` replaces Scrapy 2.19's own, which lets through every request but
the first that arrives for a host while its robots.txt is still downloading (all of a
watchlist's pages start together): Scrapy awaits the shared Deferred through
`Deferred.asFuture`, which consumes the result, so later waiters get None, "no robots.txt".
It also settles an unreachable host at once: when a host refuses the connection or its
name does not resolve, its robots.txt is not retried (`BackoffRetryMiddleware`) and the
host's pages fail straight away with that same error, instead of each being retried with
back-off after the robots.txt was (about 6 s per dead host, measured). The next night
tries the host afresh.
"""

from __future__ import annotations

import copy
import logging
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobotsTxt
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    IgnoreRequest,
    NotConfigured,
)
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionRefusedError, DNSLookupError

from crawlers.http_rules import conditional_headers, is_ip, refusal

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

log = logging.getLogger(__name__)

#: failures that say the host itself cannot be reached: retrying its robots.txt at once
#: will not help, and its pages would meet the same error
UNREACHABLE = (
    DownloadConnectionRefusedError,
    CannotResolveHostError,
    ConnectionRefusedError,  # Twisted's own, from other download handlers
    DNSLookupError,
)

# -- conditional GET ----------------------------------------------------------------------


def load_validators(data_dir: str, urls: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """Per watched URL: where its last good version was read from, and the ETag /
    Last-Modified that response carried (new pages and pages without validators: none).

    The validators of a changelog read through its feed are the feed's: they go with the
    feed request, never with the page's own (an HTML page that happens to share the
    feed's Last-Modified would answer 304 and hide the feed's new entries).
    """
    from intel.store import Store

    with Store.open(data_dir) as store:
        found = store.last_sources()
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for url in urls:
        source, content_type, validators = found.get(url, (None, "", {}))
        if not validators or source is None:
            continue
        if source != url and "html" not in content_type.lower():
            out[url] = (source, validators)  # read from a feed: for the feed request only
        else:
            out[url] = (url, validators)  # the page itself (a redirect's target included)
    return out


class ConditionalGetMiddleware:
    """Adds If-None-Match / If-Modified-Since to the first request of each watched page,
    or to the request for the feed it was read from."""

    def __init__(self, validators: dict[str, tuple[str, dict[str, str]]]) -> None:
        self.validators = validators

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        if not crawler.settings.getbool("INTEL_CONDITIONAL_GET"):
            raise NotConfigured
        spider = crawler.spider
        urls = [p.url for _, p in spider.watchlist.pages()] if spider is not None else []
        # Read once, before the crawl starts: no store queries on the reactor per request.
        return cls(load_validators(crawler.settings["INTEL_DATA"], urls))

    def process_request(self, request: Request) -> None:
        url = request.meta.get("intel_url")
        # Only the watched URL itself, or the feed it advertises: a redirect target or a
        # browser-rendered page answering 304 would leave us with nothing to compare.
        if url is None or request.meta.get("playwright") or url not in self.validators:
            return
        source, validators = self.validators[url]
        if request.meta.get("intel_feed"):
            if request.url != source:
                return  # another feed than last night's: fetch it whole
        elif request.url != url or source != url:
            return
        for name, value in conditional_headers(validators).items():
            request.headers.setdefault(name, value)


# -- private-network guard ----------------------------------------------------------------


class PrivateNetworkGuardMiddleware:
    """Refuses requests to loopback, private and link-local addresses, redirects included."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._resolved: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuardMiddleware:
        if crawler.settings.getbool("INTEL_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured  # the watchlist allows intranet / loopback hosts
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        why = refusal(host)
        if why is None and not is_ip(host):
            why = refusal(host, await self._resolve(host))
        if why is not None:
            self.crawler.stats.inc_value("intel/refused_private")
            hop = " (redirect)" if request.meta.get("redirect_urls") else ""
            raise IgnoreRequest(
                f"refused {request.url}{hop}: {why}; "
                "set `crawl: {allow_private_networks: true}` in the watchlist to allow it"
            )

    async def _resolve(self, host: str) -> str | None:
        """The address Scrapy will connect to (same resolver, same cache); None if unknown."""
        if host not in self._resolved:
            from twisted.internet import reactor

            try:
                self._resolved[host] = await maybe_deferred_to_future(reactor.resolve(host))
            except Exception:  # unresolvable here: the download reports it (or a proxy resolves)
                self._resolved[host] = None
        return self._resolved[host]


# -- retries with backoff -----------------------------------------------------------------


def backoff_delay(
    attempt: int, base: float, cap: float, retry_after: str | bytes | None = None
) -> float:
    """Seconds to wait before retry number `attempt` (1-based): base * 2^(attempt-1), capped.

    A server's Retry-After (seconds or an HTTP date) is honoured when it asks for longer,
    still within the cap: a night must end.
    """
    delay = base * (2 ** max(attempt - 1, 0))
    if retry_after:
        if isinstance(retry_after, bytes):
            retry_after = retry_after.decode("latin-1")
        retry_after = retry_after.strip()
        asked: float | None = None
        if retry_after.isdigit():
            asked = float(retry_after)
        else:
            try:
                from datetime import UTC, datetime

                asked = (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                asked = None
        if asked is not None:
            delay = max(delay, asked)
    return max(0.0, min(delay, cap))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting longer before each retry (exponential backoff)."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("INTEL_RETRY_BACKOFF")
        self.cap = settings.getfloat("INTEL_RETRY_BACKOFF_MAX")

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            await self._wait(result, response.headers.get("Retry-After"))
        return result

    async def process_exception(
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        if isinstance(exception, UNREACHABLE) and _is_robots_txt(request):
            return None  # the host's pages fail with this error at once (RobotsTxtMiddleware)
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, retry_after: bytes | None) -> None:
        delay = backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap, retry_after)
        if delay > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater

            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))


# -- robots.txt ---------------------------------------------------------------------------


def _is_robots_txt(request: Request) -> bool:
    """Whether `request` is the robots.txt fetch RobotsTxtMiddleware makes for a host."""
    return bool(request.meta.get("dont_obey_robotstxt")) and (
        urlparse_cached(request).path == "/robots.txt"
    )


class RobotsTxtMiddleware(_ScrapyRobotsTxt):
    """Scrapy's robots.txt middleware, with every waiter of a host's robots.txt served,
    and the pages of a host that cannot be reached failed at once."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        #: netloc -> the error its robots.txt met (connection refused, DNS failure)
        self._unreachable: dict[str, Exception] = {}

    async def process_request(self, request: Request) -> None:
        await super().process_request(request)
        if request.meta.get("dont_obey_robotstxt"):
            return
        exc = self._unreachable.get(urlparse_cached(request).netloc)
        if exc is not None:
            # The same error the host gave a moment ago, not retried: the page is stored
            # as failed with this reason, and the next night tries the host again.
            request.meta["dont_retry"] = True
            raise copy.copy(exc)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, UNREACHABLE):
            self._unreachable[netloc] = exc
        super()._robots_error(exc, netloc)

    async def robot_parser(self, request: Request) -> Any:
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            # Relay the result through a Deferred of our own and hand it on unchanged,
            # so the next waiter gets the parser too (asFuture would consume it).
            waiter: Deferred[Any] = Deferred()

            def relay(result: Any) -> Any:
                waiter.callback(result)
                return result

            pending.addCallback(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)
