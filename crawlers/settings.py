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
ROBOTSTXT_OBEY = True

# -- no remote code execution, no open ports -------------------------------------------
# Scrapy 2.19 starts a RemoteControl extension by default: an HTTP server on localhost that
# runs Python code sent to it. A nightly crawler of hostile pages needs none of that, nor
# the telnet console. Both are switched off, and unlisted from EXTENSIONS for good measure.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
}

# -- politeness and speed ---------------------------------------------------------------
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
    "crawlers.middlewares.ConditionalGetMiddleware": 560,
    # Scrapy's robots.txt middleware misses concurrent requests to a host: see ours
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.RobotsTxtMiddleware": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
}
ITEM_PIPELINES = {"crawlers.pipelines.StorePipeline": 300}

#: where the store lives (the CLI's --data; env INTEL_DATA when run as `scrapy crawl`)
INTEL_DATA = os.environ.get("INTEL_DATA", "./intel-data")
#: the run the snapshots belong to (set by `intel run` / `intel crawl`; empty: none)
INTEL_RUN_ID = None
#: send If-None-Match / If-Modified-Since from the last good snapshot
INTEL_CONDITIONAL_GET = True
#: fetch loopback / private / link-local addresses (set from the watchlist's crawl block)
INTEL_ALLOW_PRIVATE_NETWORKS = False

# -- quiet by default: cron mails whatever reaches stderr --------------------------------
LOG_LEVEL = "WARNING"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
