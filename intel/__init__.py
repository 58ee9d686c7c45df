"""Competitive and market intelligence: what rivals changed, and why it matters."""

__version__ = "0.1.0"
