"""The cycle collector's settings for the night's processes.

CPython's collector looks at container objects in three generations. Its defaults suit
programs that make few of them; a night makes millions (Scrapy's requests, responses and
deferreds, lxml trees, extraction dicts) on top of a heap of a few hundred thousand that
start-up built and that live until exit (modules, classes, Scrapy's and Twisted's
machinery). A cold 1,000-page night spent ~0.5 s of the crawl's process in the
collector: 509 young collections (0.18 s, 200 of them during imports), 46 middle ones
(0.21 s) and 4 full ones (0.27 s), each full one walking the whole start-up heap again.
With both settings below: ~0.15 s. Cycles (Twisted's deferreds make some) are still
collected, a few thousand objects later.
"""

from __future__ import annotations

import gc

#: the young generation is collected every this many new container objects (CPython: 700)
YOUNG = 10_000


def collect_less() -> None:
    """Collect the young generation less often: at start, before the imports."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG, middle, old)


def settle() -> None:
    """Take what exists now out of the collector's sight: after start-up, before a long loop.

    Whatever start-up built stays until exit anyway; frozen, the full collections that
    follow walk only what the loop itself makes.
    """
    gc.freeze()
