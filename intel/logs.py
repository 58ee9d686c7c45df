"""Logs of the nightly job: a rotating file in the data dir, so cron output stays short.

Secrets never reach it: SMTP passwords and tokens are read from the environment and are
never formatted into a message.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_file_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Log to `<data>/logs/intel.log` (5 x 2 MB, rotated); returns the file's path."""
    log_dir = Path(data_dir) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "intel.log"
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    root.setLevel(min(root.level or level, level))
    return path
