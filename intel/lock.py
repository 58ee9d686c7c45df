"""One nightly run at a time per data dir.

An OS-level lock (fcntl) is released by the kernel when its holder dies, so a run killed
with SIGKILL never leaves a lock that blocks the next night: the stale file is simply
taken over. The file records the holder's pid for the error message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from intel.errors import IntelError


class RunLocked(IntelError):
    """Another `intel run` holds the data dir."""


class RunLock:
    """Exclusive lock on `<data>/run.lock`; raises RunLocked at once if held."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "run.lock"
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise RunLocked(
                f"another intel run (pid {holder}) is using {self.path.parent}; "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
