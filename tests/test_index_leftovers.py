"""What killed rebuilds leave next to the index is cleared, but never a live rebuild's dir."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.search import forget
from index.writer import check_index, clear_leftovers, rebuild_index, sync_from_store
from tests.test_index import EVENTS, keys, make_store


@pytest.fixture
def data(tmp_path: Path):
    yield tmp_path / "data"
    forget(tmp_path / "data" / "index")


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_pid():
    """The pid of a process that runs for the whole test, started before any dir is made."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    time.sleep(1.2)  # dirs made from here on are younger than the process, by > 1 s
    yield proc.pid
    proc.kill()
    proc.wait()


def partial_copy(data: Path, name: str) -> Path:
    """A copy of the index under `name`, as a killed rebuild or swap leaves it."""
    rebuild_index(data / "scratch", copy.deepcopy(EVENTS))
    forget(data / "scratch")
    return Path(shutil.move(data / "scratch", data / name))


def test_a_dead_rebuilds_tmp_and_old_dirs_are_removed_by_the_next_sync(data):
    make_store(data, copy.deepcopy(EVENTS))
    from intel.store import Store

    with Store.open(data) as store:
        sync_from_store(data / "index", store)
    pid = dead_pid()
    partial_copy(data, f".index.tmp-{pid}-0badc0de")
    partial_copy(data, f".index.old-{pid}-0badc0de")
    partial_copy(data, ".index.old-1234abcd")  # an earlier version's swap, no pid
    with Store.open(data) as store:
        assert sync_from_store(data / "index", store) is None  # the index itself is current
    assert sorted(p.name for p in data.iterdir() if p.name.startswith(".")) == []
    assert keys(data / "index") == sorted(f"event:{i}" for i in range(1, 9))


def test_a_live_pids_tmp_dir_is_kept(data, live_pid):
    """`intel search` may rebuild outside the run lock: another process's rebuild goes on."""
    tmp = partial_copy(data, f".index.tmp-{live_pid}-0badc0de")
    old = partial_copy(data, f".index.old-{live_pid}-0badc0de")
    own = partial_copy(data, f".index.tmp-{os.getpid()}-0badc0de")  # another thread's
    rebuild_index(data / "index", copy.deepcopy(EVENTS))
    assert tmp.is_dir() and old.is_dir() and own.is_dir()
    assert check_index(data / "index") is None


def test_a_reused_pids_old_tmp_dir_is_removed(data, live_pid):
    """The pid runs again, but a process that started after the dir was last written."""
    tmp = partial_copy(data, f".index.tmp-{live_pid}-0badc0de")
    past = time.time() - 3600
    os.utime(tmp, (past, past))
    assert clear_leftovers(data / "index") == [tmp]
    assert not tmp.exists()


def test_a_swap_killed_between_its_renames_is_rebuilt_from_the_store(data):
    """No index, the old one parked aside: the store, not the parked copy, is the truth."""
    from intel.store import Store

    make_store(data, copy.deepcopy(EVENTS))
    with Store.open(data) as store:
        sync_from_store(data / "index", store)
    forget(data / "index")
    os.rename(data / "index", data / f".index.old-{dead_pid()}-0badc0de")
    with Store.open(data) as store:
        summary = sync_from_store(data / "index", store)
    assert summary["rebuilt"] and summary["reason"] == "missing" and summary["events"] == 8
    assert [p.name for p in data.glob(".index.*")] == []
    assert keys(data / "index") == sorted(f"event:{i}" for i in range(1, 9))


def test_other_dot_dirs_are_left_alone(data):
    data.mkdir(parents=True)
    for name in (".index.tmp-notapid", ".index.tmpfoo", ".other.tmp-1-ab", ".index.old-a-b-c"):
        (data / name).mkdir()
    assert clear_leftovers(data / "index") == []
