"""Hand each fetched page to the store: one job, no interpretation.

The only state is the store connection opened in `open_spider` (and the page ids the
watchlist sync returns). Each snapshot is its own transaction, so a crawl killed at any
point keeps every page already fetched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawlers.items import PageSnapshot

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

    from intel.store import Store

log = logging.getLogger(__name__)


class StorePipeline:
    """Stores each page snapshot in the data dir's store."""

    def __init__(self, crawler: Crawler, data_dir: str, run_id: int | None) -> None:
        self.crawler = crawler
        self.data_dir = data_dir
        self.run_id = run_id
        self.store: Store | None = None
        self.page_ids: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        run_id = crawler.settings.get("INTEL_RUN_ID")
        return cls(crawler, crawler.settings["INTEL_DATA"], int(run_id) if run_id else None)

    def open_spider(self) -> None:
        from intel.store import Store

        self.store = Store.open(self.data_dir)
        # Idempotent: `intel run` has synced already; `scrapy crawl` has not.
        self.page_ids = self.store.sync_watchlist(self.crawler.spider.watchlist)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageSnapshot) or self.store is None:
            return item
        self.store.add_snapshot(
            self.run_id,
            self.page_ids[item.url],
            url=item.url,
            final_url=item.final_url,
            status=item.status,
            headers=item.headers,
            body=item.body,
            fetched_at=item.fetched_at,
            error=item.error,
            not_modified=item.not_modified,
            probe=item.probe,
        )
        if item.probe:
            return item
        stats = self.crawler.stats
        stats.inc_value("intel/pages_ok" if item.ok else "intel/pages_failed")
        if item.not_modified:
            stats.inc_value("intel/pages_not_modified")
        return item
