"""The Scrapy project of intel-crawler: fetch watched pages and hand them to the store.

`scrapy.cfg` at the repository root points at `crawlers.settings`, so
`scrapy crawl watch -a watchlist=PATH -s INTEL_DATA=DIR` works from there; `intel crawl`
(and `intel run`) run the same spider through `intel.crawl.crawl`. Nothing in here
interprets a page: parsing, extraction and diffing live in `intel/`, off the reactor.
"""
