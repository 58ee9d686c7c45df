"""Find a Chromium: Playwright's own if installed, else Debian's; print its path.

`python -m intel.browser_path` exits 1 with a hint when there is none (the Makefile
uses this to decide whether to install one).
"""

from __future__ import annotations

import glob
import os
import shutil
import sys

from intel.errors import BrowserNotFound

HINT = (
    "no Chromium found: run `make install chromium` (Debian, as root: `apt-get install chromium`; "
    "elsewhere: `python -m playwright install chromium`)"
)


def find_chromium() -> str:
    """Path of a runnable Chromium, or BrowserNotFound saying how to install one."""
    env = os.environ.get("INTEL_CHROMIUM")
    if env and os.access(env, os.X_OK):
        return env
    cache = os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or os.path.expanduser("~/.cache/ms-playwright")
    for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-*/chrome-headless-shell"):
        for path in sorted(glob.glob(os.path.join(cache, pattern)), reverse=True):
            if os.access(path, os.X_OK):
                return path
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
        if path:
            return path
    raise BrowserNotFound(HINT)


if __name__ == "__main__":
    try:
        print(find_chromium())
    except BrowserNotFound as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
