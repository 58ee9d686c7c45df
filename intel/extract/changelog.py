"""Placeholder until the changelog extractor lands (being written now)."""

from intel.extract import Extractor


class ChangelogExtractor(Extractor):
    kind = "changelog"
