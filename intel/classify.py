"""Placeholder until classification lands (being written now)."""

from intel.changes import Change


def load_rules(watchlist_dir=None):
    return None


def classify(change: Change, *, rules=None, us=None, competitor=None, weight=1.0) -> dict:
    return change.to_dict()
