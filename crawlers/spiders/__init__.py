"""Spiders of the project: one, `watch`, built from the watchlist."""
