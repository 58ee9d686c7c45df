"""A night whose briefing was killed: its moves reach the next night's briefing, once.

The daily briefing used to cover "the last 24 hours" before the moment it was composed.
Moves are dated when their page was fetched, so the moves of a night whose briefing was
never sent (the run was killed while composing, or was only finished the next night) fell
before the next night's window and reached no one; and a night that starts an hour
earlier than the one before re-reported that night's last hour. Now each scheduled
briefing starts where the last one of its kind ended.

The nights are real `intel run --brief daily` subprocesses against a real local site and
a real SMTP server; between nights the data dir is aged (every stored time, and the
queued and sent briefings) so that "yesterday" needs no clock tricks in the product.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from briefings.compose import CATCH_UP, window
from tests.servers import SmtpSink
from tests.test_briefing import free_port
from tests.test_crash_stages import kill_when, night_state, query, start
from tests.test_run_e2e import World, intel, write_watchlist

#: the home page moves on night 2, the docs page on night 3
MOVE2, MOVE3 = "Meet Acme Agents, your new teammates", "Offline mode for every workspace"


class Site(World):
    """Two pages, each with one move: / on night 2, /docs on night 3."""

    def page(self, path: str) -> str:
        if path == "/":
            headline = MOVE2 if self.night >= 2 else "Ship faster with Acme"
        else:
            headline = MOVE3 if self.night >= 3 else "Read the Acme docs"
        return (
            f"<html><head><title>Acme</title></head><body><main><h1>{headline}</h1>"
            "<p>Acme is the platform for teams who build and ship software together.</p>"
            "</main></body></html>"
        )


def shift(value: str | None, delta: timedelta) -> str | None:
    return (datetime.fromisoformat(value) - delta).isoformat(timespec="seconds") if value else value


def age(data: Path, delta: timedelta) -> None:
    """Move everything stored `delta` into the past: tonight becomes an earlier night."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(data / "intel.sqlite3")) as db, db:
        for table, column in (
            ("runs", "started_at"),
            ("runs", "finished_at"),
            ("snapshots", "fetched_at"),
            ("events", "found_at"),
        ):
            rows = db.execute(f"SELECT rowid, {column} FROM {table}").fetchall()  # noqa: S608
            for rowid, value in rows:
                db.execute(
                    f"UPDATE {table} SET {column} = ? WHERE rowid = ?",  # noqa: S608
                    (shift(value, delta), rowid),
                )
    for folder in (data / "outbox", data / "sent"):
        for path in list(folder.glob("*.eml")) if folder.is_dir() else []:
            msg = BytesParser(policy=policy.SMTP).parsebytes(path.read_bytes())
            for header in ("X-Intel-Since", "X-Intel-Until"):
                if msg[header]:
                    value = shift(str(msg[header]), delta)
                    msg.replace_header(header, value)
            kind, day = path.stem.split("-", 1)
            new_day = (datetime.fromisoformat(day) - delta).date().isoformat()
            msg.replace_header("X-Intel-Briefing", f"{kind}-{new_day}")
            path.unlink()
            (folder / f"{kind}-{new_day}.eml").write_bytes(msg.as_bytes())


def briefing_text(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


@pytest.mark.slow
def test_the_moves_of_a_killed_briefing_reach_the_next_one_and_only_it(tmp_path):
    site = Site()
    port = free_port()
    data = tmp_path / "data"
    wl = write_watchlist(
        tmp_path,
        [site.url("/"), site.url("/docs")],
        f"smtp: {{host: 127.0.0.1, port: {port}, security: none, from: intel@ourco.example}}\n"
        "briefings: {daily: {to: [cpo@ourco.example]}}\n",
    )
    brief = ("--brief", "daily")
    delivered: list[bytes] = []

    def night(n: int) -> None:
        site.night = n
        with SmtpSink(port) as smtp:
            r = intel("run", "--watchlist", str(wl), "--data", str(data), *brief)
            delivered.extend(smtp.delivered)
        assert r.returncode == 0, r.stdout + r.stderr

    try:
        night(1)  # the baseline night, and a first (quiet) briefing
        assert len(delivered) == 1
        age(data, timedelta(days=1))

        site.night = 2  # the headline moves; the run is killed while composing the briefing
        run_id = query(data, "SELECT max(id) FROM runs")[0][0] + 1
        with SmtpSink(port) as smtp:
            proc = start(wl, data, *brief)
            kill_when(proc, lambda: night_state(data, run_id)[2], "the briefing")
            assert smtp.delivered == []
        assert list((data / "outbox").glob("*.eml")) == []  # killed before it was queued
        age(data, timedelta(days=1))

        night(3)  # the headline moves again: tonight's briefing holds both moves
        assert len(delivered) == 2
        text = briefing_text(delivered[1])
        assert MOVE2 in text, text  # last night's move, never briefed before
        assert MOVE3 in text, text
        # tomorrow's run starts an hour earlier than tonight's
        age(data, timedelta(hours=23))

        night(3)  # nothing moved since the last briefing: nothing is told twice
        assert len(delivered) == 3
        text = briefing_text(delivered[2])
        assert MOVE2 not in text and MOVE3 not in text, text
    finally:
        site.close()


NOW = datetime.fromisoformat("2026-11-22T02:09:59.250+00:00")  # until: 02:10:00, see window()


@pytest.mark.parametrize(
    ("kind", "covered_until", "since"),
    [
        ("daily", None, "2026-11-21T02:10:00+00:00"),  # no earlier briefing: the last day
        ("weekly", None, "2026-11-15T02:10:00+00:00"),
        ("daily", "2026-11-21T02:20:00+00:00", "2026-11-21T02:20:00+00:00"),  # longer night
        ("daily", "2026-11-20T02:05:00+00:00", "2026-11-20T02:05:00+00:00"),  # a lost night
        ("daily", "2026-10-01T02:00:00+00:00", "2026-11-15T02:10:00+00:00"),  # capped
        ("weekly", "2026-11-01T02:00:00+00:00", "2026-11-01T02:00:00+00:00"),
        ("daily", "2026-11-23T00:00:00+00:00", "2026-11-21T02:10:00+00:00"),  # ahead: ignored
        ("daily", "yesterday", "2026-11-21T02:10:00+00:00"),  # unreadable: ignored
    ],
)
def test_a_scheduled_window_starts_where_the_last_briefing_ended(kind, covered_until, since):
    assert window(kind, NOW, covered_until) == (since, "2026-11-22T02:10:00+00:00")
    assert CATCH_UP["daily"] == timedelta(days=7)
