"""Placeholder until the page extractor lands (being written now)."""

from intel.extract import Extractor


class PageExtractor(Extractor):
    kind = "page"
