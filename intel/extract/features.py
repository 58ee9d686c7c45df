"""Placeholder until the features extractor lands (being written now)."""

from intel.extract import Extractor


class FeaturesExtractor(Extractor):
    kind = "features"
