"""Crawl a few URLs through scrapy-playwright exactly as the watch crawl asks for them.

Run as a subprocess by tests/test_browser_crawl.py (a Twisted reactor cannot be
restarted inside pytest): `python crawl_pages.py WATCHLIST.yaml OUT.json`.
Every page of the watchlist is requested with `crawlers.browser.request_meta(page)`,
over `crawlers.browser.playwright_settings(watchlist)`; OUT.json gets one record per
page: url, status, body text or error, and the crawl's playwright/intel stats.
"""

from __future__ import annotations

import json
import os
import sys

import scrapy
from scrapy.crawler import CrawlerProcess

from crawlers.browser import playwright_settings, request_meta
from intel.watchlist import load_watchlist


class PagesSpider(scrapy.Spider):
    name = "browser_pages"

    def __init__(self, watchlist, out, **kwargs):
        super().__init__(**kwargs)
        self.watchlist, self.out, self.records = watchlist, out, []

    async def start(self):
        for _, page in self.watchlist.pages():
            meta = {"intel_url": page.url}
            if page.render == "browser":
                meta.update(request_meta(page))
            yield scrapy.Request(
                page.url, meta=meta, callback=self.parse, errback=self.failed, dont_filter=True
            )

    def parse(self, response):
        self.records.append(
            {
                "url": response.meta["intel_url"],
                "status": response.status,
                "flags": response.flags,
                "body": response.text,
            }
        )

    def failed(self, failure):
        self.records.append(
            {
                "url": failure.request.meta["intel_url"],
                "error": f"{type(failure.value).__name__}: {failure.value}",
            }
        )

    def closed(self, reason):
        stats = {
            k: v
            for k, v in self.crawler.stats.get_stats().items()
            if k.startswith(("playwright/", "intel/"))
        }
        with open(self.out, "w", encoding="utf-8") as fh:
            json.dump({"pages": self.records, "stats": stats}, fh, default=str)


def main(watchlist_path: str, out: str) -> None:
    watchlist = load_watchlist(watchlist_path)
    settings = {
        "LOG_LEVEL": os.environ.get("CRAWL_LOG_LEVEL", "WARNING"),
        "ROBOTSTXT_OBEY": False,
        "CONCURRENT_REQUESTS": watchlist.crawl.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": watchlist.crawl.concurrency,
        "RETRY_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }
    if any(p.render == "browser" for _, p in watchlist.pages()):
        settings.update(playwright_settings(watchlist))
    process = CrawlerProcess(settings)
    process.crawl(PagesSpider, watchlist=watchlist, out=out)
    process.start()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
