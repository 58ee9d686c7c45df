"""`intel doctor` checks the set-up and says what to fix; `intel runs` lists recent nights."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import click

from intel.cli import data_option
from intel.cli_run import watchlist_option


def _checks(data_dir: Path, watchlist_path: Path) -> list[tuple[str, bool, str]]:
    """(what, ok, detail or what to do) for each part of the set-up."""
    out: list[tuple[str, bool, str]] = []
    out.append(
        (
            "python",
            sys.version_info >= (3, 11),
            f"{sys.version.split()[0]}"
            + ("" if sys.version_info >= (3, 11) else ": install Python >= 3.11"),
        )
    )
    from intel.browser_path import find_chromium
    from intel.errors import BrowserNotFound, IntelError, WatchlistError

    try:
        out.append(("chromium", True, find_chromium()))
    except BrowserNotFound as exc:
        out.append(("chromium", False, str(exc)))

    watchlist = None
    try:
        from intel.watchlist import load_watchlist

        watchlist = load_watchlist(watchlist_path)
        n = len(watchlist.pages())
        out.append(
            (
                "watchlist",
                True,
                f"{watchlist_path}: {len(watchlist.competitors)} competitors, {n} pages",
            )
        )
    except WatchlistError as exc:
        out.append(("watchlist", False, str(exc)))

    try:
        from intel.store import Store

        with Store.open(data_dir) as store:
            ok = store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            runs = store.runs(limit=1)
            last = runs[0] if runs else None
            cov = store.coverage()
            version = store.schema_version
        detail = f"{data_dir} (schema {version})"
        if last:
            detail += f", last run {last['id']} {last['status']} at {last['started_at']}"
        out.append(
            ("store", ok, detail if ok else f"{detail}: integrity check failed; restore a backup")
        )
        flagged = [f for f in cov["failed"] if f["flagged"]]
        out.append(
            (
                "pages",
                not flagged,
                f"{cov['watched']} watched, {len(cov['failed'])} failing"
                + "".join(
                    f"; {f['url']} failing {f['nights']} nights: {f['error']}" for f in flagged
                ),
            )
        )
    except IntelError as exc:
        out.append(("store", False, str(exc)))

    from index.writer import check_index

    problem = check_index(data_dir / "index")
    if problem is None:
        out.append(("index", True, f"{data_dir / 'index'} healthy"))
    elif problem == "missing":
        out.append(
            ("index", True, "not built yet (the next `intel run` or `intel search` builds it)")
        )
    else:
        out.append(
            ("index", False, f"{problem}: run `intel reindex` (it is rebuilt from the store)")
        )

    if watchlist is not None and watchlist.smtp is not None:
        smtp = watchlist.smtp
        try:
            with socket.create_connection((smtp.host, smtp.port), timeout=5):
                pass
            out.append(("smtp", True, f"{smtp.host}:{smtp.port} reachable"))
        except OSError as exc:
            out.append(
                ("smtp", False, f"{smtp.host}:{smtp.port} not reachable ({exc}); check host/port")
            )
    return out


@click.command("doctor")
@data_option
@watchlist_option
def doctor_cmd(data_dir: Path, watchlist_path: Path) -> None:
    """Check Python, Chromium, the watchlist, the data dir, the index and SMTP; say what to fix."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    results = _checks(data_dir, watchlist_path)
    for what, ok, detail in results:
        line = Text("ok   " if ok else "FIX  ", style="green" if ok else "bold red")
        line.append(f"{what:10} ")
        line.append(detail)
        console.print(line, soft_wrap=True)
    if not all(ok for _, ok, _ in results):
        sys.exit(1)


@click.command("runs")
@data_option
@click.option("--limit", default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def runs_cmd(data_dir: Path, limit: int, as_json: bool) -> None:
    """Recent nightly runs: pages fetched, failed, unchanged; events by type; duration."""
    from intel.store import Store

    with Store.open(data_dir) as store:
        runs = store.runs(limit=limit)
    if as_json:
        click.echo(json.dumps(runs, indent=1))
        return
    if not runs:
        click.echo("no runs yet")
    for r in runs:
        s = r["summary"] or {}
        c, p = s.get("crawl", {}), s.get("process", {})
        ev = (
            ", ".join(f"{n} {t}" for t, n in sorted((p.get("events") or {}).items())) or "no events"
        )
        click.echo(
            f"run {r['id']} {r['status']:8} {r['started_at']}: "
            f"{c.get('fetched', '?')}/{c.get('pages', '?')} fetched, {c.get('failed', '?')} failed, "
            f"{p.get('unchanged', '?')} unchanged; {ev}; {s.get('seconds', '?')}s"
        )
        for f in c.get("failures", [])[:5]:
            click.echo(f"    failed: {f}")
