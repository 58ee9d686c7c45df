"""The embedded demo world: fictional rivals that move on known days, served on 127.0.0.1.

`intel demo` serves it, crawls three nights with the real nightly job and prints what
moved. Tests use it as a realistic local web: `DemoServer(World(start)).start()`.
"""

from intel.demo.server import DemoServer
from intel.demo.world import DAYS, MOVES, SITES, US, Move, Noise, World, build_watchlist

__all__ = [
    "DAYS",
    "MOVES",
    "SITES",
    "US",
    "DemoServer",
    "Move",
    "Noise",
    "World",
    "build_watchlist",
]
