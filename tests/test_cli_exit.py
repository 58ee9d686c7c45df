"""`intel` leaves without the interpreter's teardown, but nothing it owes is lost.

Each case runs `intel.cli.leave` in a fresh interpreter, as the `intel` command ends.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def _leave(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent(
        f"""
        import atexit, logging, threading, time
        from pathlib import Path
        from intel.cli import leave
        out = Path({str(tmp_path)!r})
        """
    ) + textwrap.dedent(body)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )


def test_exit_status_output_handlers_and_log_survive(tmp_path: Path) -> None:
    done = _leave(
        tmp_path,
        """
        atexit.register(lambda: (out / "handler").write_text("ran"))
        handler = logging.FileHandler(out / "night.log")
        logging.getLogger("t").addHandler(handler)
        logging.getLogger("t").warning("the last line of the night")
        print("summary without a newline", end="")
        leave(3)
        """,
    )
    assert done.returncode == 3
    assert done.stdout == "summary without a newline"
    assert (tmp_path / "handler").read_text() == "ran"
    assert "the last line of the night" in (tmp_path / "night.log").read_text()


def test_a_message_goes_to_stderr_with_status_1(tmp_path: Path) -> None:
    done = _leave(tmp_path, 'leave("error: nothing to do")')
    assert done.returncode == 1
    assert done.stderr.strip() == "error: nothing to do"
    assert _leave(tmp_path, "leave(None)").returncode == 0


def test_a_running_thread_is_waited_for(tmp_path: Path) -> None:
    done = _leave(
        tmp_path,
        """
        def late():
            time.sleep(0.3)
            (out / "late").write_text("written")
        threading.Thread(target=late).start()
        leave(0)
        """,
    )
    assert done.returncode == 0
    assert (tmp_path / "late").read_text() == "written"
