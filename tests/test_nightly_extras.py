"""Cron-facing behaviour: one run at a time, briefings on schedule, the plan table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from intel.cli import cli
from intel.lock import RunLock
from intel.store import Store
from intel.watchlist import parse_watchlist
from tests.servers import LocalServer, page, robots
from tests.test_briefing import SmtpServer, free_port


def intel(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intel.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_a_second_run_exits_at_once_while_one_holds_the_data_dir(tmp_path):
    wl = tmp_path / "w.yaml"
    wl.write_text(
        "crawl: {allow_private_networks: true}\ncompetitors: [{name: A, pages: [{url: 'http://127.0.0.1:9/', kind: page}]}]\n"
    )
    data = tmp_path / "data"
    with RunLock(data):
        r = intel("run", "--watchlist", str(wl), "--data", str(data))
    assert r.returncode == 4
    assert "another intel run" in r.stderr and "wait for it to finish" in r.stderr
    # A lock file left behind by a killed run holds no lock: the next run takes it over.
    (data / "run.lock").write_text("99999")
    r = intel("run", "--watchlist", str(wl), "--data", str(data))
    assert r.returncode == 1 and "could be fetched" in r.stderr  # it ran (the page is down)


@pytest.mark.slow
def test_run_with_brief_sends_the_due_briefing_once_and_retries_a_failed_one(tmp_path):
    port = free_port()
    html = "<html><body><main><h1>Acme</h1><p>The platform for teams.</p></main></body></html>"
    with LocalServer({"/robots.txt": robots(""), "/": page(html)}) as srv:
        wl = tmp_path / "w.yaml"
        wl.write_text(
            "crawl: {allow_private_networks: true}\n"
            f"smtp: {{host: 127.0.0.1, port: {port}, security: none, from: intel@ourco.example}}\n"
            "briefings: {daily: {to: [cpo@ourco.example]}}\n"
            f"competitors: [{{name: Acme, pages: [{{url: '{srv.url('/')}', kind: page}}]}}]\n"
        )
        data = tmp_path / "data"
        down = intel("run", "--brief", "daily", "--watchlist", str(wl), "--data", str(data))
        assert down.returncode == 0, down.stderr  # the night went through; the mail waits
        assert "kept in the outbox" in down.stderr
        assert len(list((data / "outbox").glob("*.eml"))) == 1
        with SmtpServer(port) as smtp:
            again = intel("run", "--brief", "daily", "--watchlist", str(wl), "--data", str(data))
            assert again.returncode == 0, again.stderr
            third = intel("run", "--brief", "daily", "--watchlist", str(wl), "--data", str(data))
            assert third.returncode == 0
        assert len(smtp.messages) == 1, "one daily briefing a day, delivered once"
        assert b"no material moves" in smtp.messages[0]
        assert not list((data / "outbox").glob("*.eml"))


def seed_prices(data: Path) -> None:
    wl = parse_watchlist(
        "crawl: {allow_private_networks: true}\n"
        "competitors: [{name: Acme, pages: [{url: 'http://127.0.0.1:9/pricing', kind: pricing}]}]\n"
    )
    with Store.open(data) as st:
        pid = st.sync_watchlist(wl)["http://127.0.0.1:9/pricing"]
        for day, team in (("2026-11-01", 19.0), ("2026-11-02", 19.0), ("2026-11-03", 29.0)):
            sid = st.add_snapshot(
                None,
                pid,
                url="u",
                status=200,
                body=day.encode(),
                fetched_at=f"{day}T02:00:00+00:00",
            )
            plans = [
                {
                    "name": "Free",
                    "free": True,
                    "prices": [{"amount": 0.0, "currency": "USD", "period": "month"}],
                    "features": ["1 project"],
                },
                {
                    "name": "Team",
                    "prices": [
                        {"amount": team, "currency": "USD", "period": "month", "per_seat": True}
                    ],
                    "features": ["SSO", "Audit log"],
                },
                {"name": "Enterprise", "custom": True, "prices": [], "features": ["SCIM"]},
            ]
            st.save_processed(
                st.snapshot(sid), outcome="changed", extraction=("pricing", 1, {"plans": plans})
            )


def test_plans_table_and_history(tmp_path):
    seed_prices(tmp_path)
    r = CliRunner().invoke(cli, ["plans", "--data", str(tmp_path)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "Acme" in r.output and "as of 2026-11-03" in r.output
    team = next(ln for ln in r.output.splitlines() if "Team" in ln)
    assert "$29/user/month" in team and "SSO, Audit log" in team
    assert "Contact sales" in next(ln for ln in r.output.splitlines() if "Enterprise" in ln)
    h = CliRunner().invoke(cli, ["plans", "--data", str(tmp_path), "--history"], terminal_width=200)
    rows = [ln for ln in h.output.splitlines() if "Team" in ln]
    assert len(rows) == 2, "one row per price the plan had, not per night"
    assert (
        "2026-11-01" in rows[0]
        and "$19" in rows[0]
        and "2026-11-03" in rows[1]
        and "$29" in rows[1]
    )


def test_plans_on_an_empty_store_says_so(tmp_path):
    r = CliRunner().invoke(cli, ["plans", "--data", str(tmp_path)])
    assert r.exit_code == 1 and "no pricing pages have been read yet" in r.output
