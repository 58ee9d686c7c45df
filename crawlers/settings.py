"""Polite, fast defaults for crawling competitor pages.

Read by `scrapy crawl watch` (through scrapy.cfg) and by `intel.crawl.crawl`. The
watchlist's `crawl:` block overrides the politeness knobs (user agent, concurrency,
timeout, page size, retries, robots.txt) in `WatchSpider.from_crawler`, at "spider"
priority, so `-s NAME=VALUE` on the command line still wins. Our own settings are
`INTEL_*`.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

from crawlers import http_rules

try:
    _VERSION = version("intel-crawler")
except PackageNotFoundError:  # running from a checkout that is not installed
    _VERSION = "0"

BOT_NAME = "intel-crawler"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# -- who we are -------------------------------------------------------------------------
# Honest: says what we are, so a site owner can recognise us and decide. The watchlist's
# `crawl.user_agent` replaces it (put a contact URL of your own there).
USER_AGENT = f"intel-crawler/{_VERSION} (competitive-intelligence page monitor; python-scrapy)"
# Scrapy's own defaults plus the encodings it accepts, spelled out once for every client
# (the revalidation pass asks with the same headers the stored validators answered).
DEFAULT_REQUEST_HEADERS = dict(http_rules.DEFAULT_REQUEST_HEADERS)
ROBOTSTXT_OBEY = True

# -- no remote code execution, no open ports -------------------------------------------
# Scrapy 2.19 starts a RemoteControl extension by default: an HTTP server on localhost that
# runs Python code sent to it. A nightly crawler of hostile pages needs none of that, nor
# the telnet console. Both are switched off, and unlisted from EXTENSIONS for good measure.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

# -- only the components a nightly monitor uses ------------------------------------------
# Scrapy imports every class named in its *_BASE lists to de-duplicate them, even one
# disabled with None: RemoteControl alone pulls in aiohttp and builds SSL contexts (~8% of
# an unchanged night), CookiesMiddleware pulls in tldextract. So the lists are ours, in
# full: what is not listed is neither imported nor run. Every response also passes through
# every spider middleware's async-generator wrapper, so the unused ones cost per page.
# Left out, and why:
# - RemoteControl, TelnetConsole: open ports running code (see above).
# - MemoryDebugger, SpiderState, AutoThrottle: off by default; no JOBDIR; per-domain
#   concurrency is our politeness.
# - OffsiteMiddleware: the spider has no allowed_domains (every URL is the user's own
#   choice); PrivateNetworkGuardMiddleware is the guard that matters.
# - HttpAuthMiddleware: no spider credentials. CookiesMiddleware: cookies are off (below).
# - HttpCacheMiddleware: a cache would hide the nightly change (conditional GET instead).
# - RefererMiddleware, UrlLengthMiddleware, DepthMiddleware, MetaCopyDetectionMiddleware:
#   the spider never follows links (a page's own feed and a second look only), so there is
#   no referrer worth sending, no depth, no URL the user did not write or the page named.
# Kept: robots.txt, timeouts, default headers, user agent, retries, meta refresh and
# redirects, compression (with the size caps), proxies from the environment, and the
# start/HTTP-error spider middlewares. Downloader stats (byte and status counts for the
# log's stats dump) are listed but off: they rebuild every request's HTTP text to measure
# it, ~1% of an unchanged night; `-s DOWNLOADER_STATS=True` brings them back.
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,  # finish_reason, read by intel.crawl
    "scrapy.extensions.logcount.LogCount": 0,
    "scrapy.extensions.memusage.MemoryUsage": 0,
    "scrapy.extensions.closespider.CloseSpider": 0,  # -s CLOSESPIDER_TIMEOUT=... caps a night
    "scrapy.extensions.feedexport.FeedExporter": 0,  # `scrapy crawl watch -o pages.jsonl`
    "scrapy.extensions.logstats.LogStats": 0,
}
EXTENSIONS: dict[str, int | None] = {}
DOWNLOADER_MIDDLEWARES_BASE = {
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
}
DOWNLOADER_STATS = False
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
}

# -- politeness and speed ---------------------------------------------------------------
# What a callback yields is handed on by CONCURRENT_ITEMS asyncio tasks made for each
# response (Scrapy's default 100, with the asyncio reactor: ~126,000 tasks for a
# 1,000-page night, a third of the crawl's CPU by cProfile). Our callbacks yield one
# snapshot, and at most one follow-up request (a feed, a second look): one task will do,
# and the store pipeline is synchronous anyway.
CONCURRENT_ITEMS = 1
# A watchlist holds a handful of pages per rival, so per-domain concurrency is what keeps
# us polite; no fixed delay, so that a re-crawl of unchanged pages (304s) stays cheap.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 15
REDIRECT_MAX_TIMES = 5
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
#: first retry waits this long (seconds), then twice as long each time; Retry-After wins
INTEL_RETRY_BACKOFF = 1.0
INTEL_RETRY_BACKOFF_MAX = 60.0

# -- size caps: oversized pages and decompression bombs are cut off ---------------------
# DOWNLOAD_MAXSIZE bounds both the bytes received and the bytes after gzip/br/zstd
# decompression (HttpCompressionMiddleware), so a 10 kB bomb cannot become 10 GB in memory.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True

# -- no cookies -------------------------------------------------------------------------
# A monitor must see what an anonymous visitor sees every night: session cookies only add
# A/B and personalisation noise. (Scrapy's cookie jar also looks up the public-suffix list,
# which needs the network on first use.)
COOKIES_ENABLED = False

# -- no per-response source parsing ----------------------------------------------------
# Scrapy checks whether a generator callback returns a value by reading and parsing its
# source; its cache is keyed by the bound method, which is new for every response, so it
# re-parses `parse`/`failed` on every page (7% of an unchanged night's CPU, measured).
WARN_ON_GENERATOR_RETURN_VALUE = False

# -- our components ---------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # before RobotsTxtMiddleware (100): a refused host gets no robots.txt request either
    "crawlers.middlewares.PrivateNetworkGuardMiddleware": 90,
    # Scrapy's robots.txt middleware misses concurrent requests to a host: see ours
    "crawlers.middlewares.RobotsTxtMiddleware": 100,
    # Scrapy's RetryMiddleware (not in the base list above) with backoff
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "crawlers.middlewares.ConditionalGetMiddleware": 560,
}
ITEM_PIPELINES = {"crawlers.pipelines.StorePipeline": 300}

#: where the store lives (the CLI's --data; env INTEL_DATA when run as `scrapy crawl`)
INTEL_DATA = os.environ.get("INTEL_DATA", "./intel-data")
#: the run the snapshots belong to (set by `intel run` / `intel crawl`; empty: none)
INTEL_RUN_ID = None
#: send If-None-Match / If-Modified-Since from the last good snapshot
INTEL_CONDITIONAL_GET = True
#: ask pages that look unchanged with a plain conditional GET before starting the crawl
#: (`crawlers.revalidate`); their 304s are stored and the crawl fetches only the rest
INTEL_REVALIDATE = True
#: fetch loopback / private / link-local addresses (set from the watchlist's crawl block)
INTEL_ALLOW_PRIVATE_NETWORKS = False

# -- quiet by default: cron mails whatever reaches stderr --------------------------------
LOG_LEVEL = "WARNING"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
