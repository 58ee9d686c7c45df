"""Placeholder until the pricing extractor lands (being written now)."""

from intel.extract import Extractor


class PricingExtractor(Extractor):
    kind = "pricing"
