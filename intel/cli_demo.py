"""`intel demo`: three nights of four fictional rivals, crawled by the real nightly job.

The demo world (intel/demo/) is served on 127.0.0.1 from this process; each night the
server switches to that day and the ordinary `intel run` runs as a subprocess (Twisted's
reactor cannot restart in one process), exactly as cron would run it. What moved is then
read back from the store, so the demo shows the product itself, not a mock of it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click

from intel.cli import data_option

MARKER = ".intel-demo"  # a data dir holding this file was made by `intel demo` (safe to redo)
WATCHLIST_NAME = "demo-watchlist.yaml"


@click.command("demo")
@data_option
@click.option(
    "--days",
    type=click.IntRange(1, 4),
    default=3,
    show_default=True,
    help="Nights to crawl (day 4 is a quiet night: noise only).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Compare what was reported with the moves the world made; exit 1 on a miss or a false alarm.",
)
def demo_cmd(data_dir: Path, days: int, check: bool) -> None:
    """Crawl three nights of four fictional rivals and show what moved each night."""
    import yaml
    from rich.console import Console

    from intel.demo import MOVES, SITES, DemoServer, World, build_watchlist

    console = Console(highlight=False)
    prepare_data_dir(data_dir)
    # Day `days` is today, so the rivals' changelog dates and found_at agree with the calendar.
    world = World(start=date.today() - timedelta(days=days - 1))
    problems: list[str] = []
    started = time.perf_counter()
    with DemoServer(world) as server, WebhookInbox() as inbox:
        watchlist_path = data_dir / WATCHLIST_NAME
        watchlist = build_watchlist(server.base_urls())
        # Instant alerts go to a local webhook, as they would go to Slack or Teams.
        watchlist["alerts"] = {"urls": [inbox.apprise_url], "min_importance": 0.5}
        watchlist_path.write_text(
            "# Written by `intel demo`: four fictional rivals served on 127.0.0.1 by the demo.\n"
            + yaml.safe_dump(watchlist, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        console.print(
            f"[bold]Demo world[/] on 127.0.0.1: {len(server.base_urls())} rivals, "
            f"{sum(len(s.watched) for s in SITES)} watched pages; data dir [cyan]{_escape(str(data_dir))}[/]"
        )
        for day in range(1, days + 1):
            server.set_day(day)
            console.print()
            console.rule(f"[bold]Night {day}[/] · {world.date(day):%a %d %b %Y}", align="left")
            run_id, output, seconds = run_night(watchlist_path, data_dir)
            for line in output.splitlines():
                console.print(f"[dim]{_escape(line)}[/]")
            events = night_events(data_dir, run_id)
            print_night(console, day, events, seconds)
            for error in night_errors(data_dir, run_id):
                console.print(f"[yellow]not processed:[/] {_escape(error)}")
            for title in inbox.take():
                console.print(f"  [magenta]alert sent[/] {_escape(title)}")
            if check:
                problems += check_night(day, events, [m for m in MOVES if m.day == day])
    total = time.perf_counter() - started
    show_results(console, data_dir, watchlist_path)
    console.print()
    console.print(f"[bold]Done in {total:.0f}s.[/] Explore what the crawler stored:")
    for command, what in explore_commands(data_dir, watchlist_path):
        console.print(f"  [cyan]{_escape(command)}[/]\n      {what}")
    if check:
        console.print()
        if problems:
            for p in problems:
                console.print(f"[red]check:[/] {_escape(p)}")
            sys.exit(1)
        console.print("[green]check: every planned move was reported, and nothing else.[/]")


class WebhookInbox:
    """A local webhook endpoint standing in for Slack/Teams: keeps the alerts it receives."""

    def __init__(self) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[str] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's API
                n = int(self.headers.get("Content-Length") or 0)
                try:
                    title = json.loads(self.rfile.read(n)).get("title", "")
                except ValueError:
                    title = "(unreadable alert)"
                with lock:
                    outer.received.append(title)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def apprise_url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/demo-alerts"

    def take(self) -> list[str]:
        out, self.received = self.received, []
        return out

    def __enter__(self) -> WebhookInbox:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


EXAMPLE_SEARCHES = ["type:price_change direction:down", "tags:ai", '"single sign-on"']


def show_results(console: Any, data_dir: Path, watchlist_path: Path) -> None:
    """What the nights left behind: a briefing file, a CSV export and a few searches."""
    from datetime import UTC, datetime

    from briefings.compose import compose, write_files
    from intel import export
    from intel.store import Store
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path)
    now = datetime.now(UTC)
    with Store.open(data_dir) as store:
        briefing = compose(
            store,
            watchlist,
            since=(now - timedelta(days=7)).isoformat(timespec="seconds"),
            until=(now + timedelta(minutes=1)).isoformat(timespec="seconds"),
            kind="demo",
        )
        events = store.events()
    paths = write_files(briefing, data_dir / "briefing")
    console.print()
    console.rule("[bold]Results[/]", align="left")
    console.print(f"Briefing: [bold]{_escape(briefing.subject)}[/]")
    console.print(f"  written to [cyan]{_escape(str(paths[0]))}[/] (and .txt, .md beside it)")
    csv_path = data_dir / "events.csv"
    export.write_frame(export.events_frame(events), "csv", csv_path)
    console.print(f"Export: {len(events)} events as CSV in [cyan]{_escape(str(csv_path))}[/]")
    for query in EXAMPLE_SEARCHES:
        proc = subprocess.run(
            [sys.executable, "-m", "intel.cli", "search", "--data", str(data_dir), query,
             "--limit", "3", "--json"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        console.print(f"Search [cyan]intel search {_shell_quote(query)}[/]:")
        try:
            import json

            found = json.loads(proc.stdout)
        except ValueError:
            console.print(f"  [yellow]search failed:[/] {_escape(proc.stderr.strip()[-200:])}")
            continue
        hits = found.get("hits", [])
        console.print(
            f"  {found.get('total', len(hits))} hits in {found.get('took_ms', 0):.0f} ms; top: "
            + "; ".join(
                _escape(f"{h.get('competitor')}: {h.get('title') or h.get('type')}")
                for h in hits[:3]
            )
        )
    console.print(
        "Browse the same in a web UI: [cyan]intel serve --data "
        + _escape(_shell_quote(str(data_dir)))
        + "[/] (then open http://127.0.0.1:8000)"
    )


def prepare_data_dir(data_dir: Path) -> None:
    """Start from an empty data dir; redo a previous demo's dir, never touch anyone else's."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).exists():
            raise click.UsageError(
                f"{data_dir} is not empty and was not made by `intel demo`; "
                "pass --data with a new directory"
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("made by `intel demo`; the next demo run empties this dir\n")


def run_night(watchlist_path: Path, data_dir: Path) -> tuple[int | None, str, float]:
    """One nightly job as cron runs it; returns its run id, its printed summary and seconds."""
    from intel.store import Store

    env = {k: v for k, v in os.environ.items() if k not in ("INTEL_DATA", "INTEL_WATCHLIST")}
    env.setdefault("PYTHONIOENCODING", "utf-8")
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "intel.cli", "run", "--watchlist", str(watchlist_path),
         "--data", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-5:]
        raise click.ClickException(
            f"the nightly job failed (exit {proc.returncode}): " + " | ".join(detail)
        )
    with Store.open(data_dir) as store:
        runs = store.runs(limit=1)
    return (runs[0]["id"] if runs else None), proc.stdout.strip(), seconds


def night_events(data_dir: Path, run_id: int | None) -> list[dict[str, Any]]:
    from intel.store import Store

    if run_id is None:
        return []
    with Store.open(data_dir) as store:
        return store.events(run_id=run_id)


def night_errors(data_dir: Path, run_id: int | None) -> list[str]:
    """Pages fetched but not understood that night (the run summary keeps why)."""
    from intel.store import Store

    with Store.open(data_dir) as store:
        for run in store.runs(limit=5):
            if run["id"] == run_id:
                return list(((run.get("summary") or {}).get("process") or {}).get("errors") or [])
    return []


def print_night(console: Any, day: int, events: list[dict[str, Any]], seconds: float) -> None:
    """What moved that night, grouped by rival, one readable line per event."""
    from rich.text import Text

    from intel.demo import SITES

    if day == 1:
        note = "Night 1 is the baseline: every page stored, nothing to compare with yet"
        if events:
            note += f" (yet {len(events)} events were reported)"
        console.print(f"{note}. [dim]({seconds:.1f}s)[/]")
    elif not events:
        console.print(f"Nothing moved: noise on every page, no event. [dim]({seconds:.1f}s)[/]")
        return
    else:
        console.print(f"{len(events)} events [dim]({seconds:.1f}s)[/]")
    order = {s.name: i for i, s in enumerate(SITES)}
    by_rival: dict[str, list[dict]] = {}
    for e in events:
        by_rival.setdefault(e.get("competitor") or "?", []).append(e)
    quiet = [s.name for s in SITES if s.name not in by_rival]
    for rival in sorted(by_rival, key=lambda n: order.get(n, 99)):
        console.print(Text(rival, style="bold"))
        rows = sorted(by_rival[rival], key=lambda e: -(e.get("importance") or 0))
        for e in rows:
            console.print(event_line(e))
    if quiet and day > 1:
        console.print(Text("Quiet: " + ", ".join(quiet), style="dim"))


SIGNAL_STYLE = {"threat": ("red", "▼"), "opportunity": ("green", "▲"), "neutral": ("dim", "•")}


def event_line(e: dict[str, Any]) -> Any:
    """`  ▼ threat   0.82  price_change  Team: $12 -> $15 ...` as rich Text (page text is never markup)."""
    from rich.text import Text

    from intel.cli_run import describe

    signal = e.get("signal") or "neutral"
    style, mark = SIGNAL_STYLE.get(signal, ("", "•"))
    importance = e.get("importance")
    line = Text("  ")
    line.append(f"{mark} {signal:<12}", style=style)
    line.append(f"{importance:4.2f}  " if isinstance(importance, (int, float)) else "      ")
    line.append(f"{e['type']:<16}", style="cyan")
    line.append(e.get("why") or describe(e))
    return line


def check_night(day: int, events: list[dict[str, Any]], moves: list[Any]) -> list[str]:
    """Misses (planned moves not reported) and false alarms (reports no move explains)."""
    from intel.demo import SITES

    names = {s.slug: s.name for s in SITES}
    problems = []
    explained: set[int] = set()
    for m in moves:
        hits = [i for i, e in enumerate(events) if move_matches(m, names[m.site], e)]
        if not hits:
            problems.append(f"night {day}: missed {names[m.site]}: {m.note}")
        explained.update(hits)
    for i, e in enumerate(events):
        if i not in explained:
            what = e.get("why") or e["type"]
            problems.append(
                f"night {day}: false alarm {e.get('competitor')} {e.get('url')}: {what}"
            )
    return problems


def move_matches(move: Any, competitor: str, event: dict[str, Any]) -> bool:
    """Whether `event` reports `move`: same rival, page and type, and it names the subject."""
    if event.get("competitor") != competitor or event["type"] != move.type:
        return False
    if not (event.get("url") or "").endswith(move.path):
        return False
    if move.type == "content_change":
        return _norm(move.after or "") in _norm(" ".join(event.get("added") or []))
    field = {"changelog_entry": "title", "feature_added": "feature", "feature_removed": "feature"}
    value, subject = _norm(event.get(field.get(move.type, "plan")) or ""), _norm(move.subject)
    return bool(value) and (subject in value or value in subject)


def _norm(text: str) -> str:
    return re.sub(r"[^\w.]+", " ", text.lower()).strip()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def explore_commands(data_dir: Path, watchlist_path: Path) -> list[tuple[str, str]]:
    d = _shell_quote(str(data_dir))
    w = _shell_quote(str(watchlist_path))
    return [
        (f"intel events --data {d}", "every move, with its signal, importance and why"),
        (
            f"intel events --data {d} --competitor 'Acorn Analytics' --json",
            "one rival's moves as JSON, for scripts",
        ),
        (f"intel plans --data {d}", "today's plan table per rival"),
        (f"intel plans --data {d} --history", "the price history of each plan"),
        (f"intel search --data {d} 'type:price_change'", "search the intel index"),
        (f"intel serve --data {d}", "the search UI in your browser"),
        (
            f"intel brief --data {d} --watchlist {w} --since 7d --out {d}/briefing",
            "the market briefing as HTML, text and Markdown",
        ),
        (f"intel runs --data {d}", "each night: pages fetched, failed, events"),
    ]


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
