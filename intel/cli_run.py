"""`intel run`, `intel process` and `intel events`: the nightly job and its results."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from intel.changes import EVENT_TYPES
from intel.cli import data_option

WATCHLIST_HELP = "The watchlist YAML (env INTEL_WATCHLIST)."


def watchlist_option(f=None, *, help: str = WATCHLIST_HELP):  # noqa: A002 - click's name
    """`--watchlist/-w` (env INTEL_WATCHLIST); `@watchlist_option` or `@watchlist_option(help=...)`."""
    option = click.option(
        "--watchlist",
        "-w",
        "watchlist_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="INTEL_WATCHLIST",
        default="watchlist.yaml",
        show_default=True,
        help=help,
    )
    return option(f) if f is not None else option


def parse_since(value: str | None) -> str | None:
    """`7d`, `12h`, `2026-09-01` or an ISO time -> ISO string for comparisons on found_at."""
    if not value:
        return None
    value = value.strip()
    units = {"d": "days", "h": "hours", "w": "weeks", "m": "minutes"}
    if value[:-1].isdigit() and value[-1] in units:
        delta = timedelta(**{units[value[-1]]: int(value[:-1])})
        return (datetime.now(UTC) - delta).isoformat(timespec="seconds")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use 7d, 24h, 2w or a date like 2026-09-01") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.isoformat(timespec="seconds")


@click.command("run")
@watchlist_option
@data_option
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
@click.option(
    "--brief",
    type=click.Choice(["daily", "weekly"]),
    help="After the crawl, render and send this briefing when it is due.",
)
def run_cmd(watchlist_path: Path, data_dir: Path, quiet: bool, brief: str | None) -> None:
    """The nightly job: crawl every watched page, then find and store what moved."""
    from intel.lock import RunLock, RunLocked
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path)  # a bad watchlist stops here: nothing runs
    from intel.logs import setup_file_logging

    setup_file_logging(data_dir)
    try:
        with RunLock(data_dir):
            summary = nightly(watchlist, data_dir, quiet=quiet)
            if brief:
                scheduled_briefing(watchlist, data_dir, brief, quiet=quiet)
    except RunLocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(4)
    if summary["crawl"]["fetched"] == 0 and summary["crawl"]["pages"] > 0:
        click.echo(
            f"error: none of the {summary['crawl']['pages']} pages could be fetched "
            f"(see `intel runs --data {data_dir}`)",
            err=True,
        )
        sys.exit(1)


def nightly(watchlist: Any, data_dir: Path, *, quiet: bool = False) -> dict:
    """Crawl, process and index one night; returns the run summary (also stored)."""
    from intel.crawl import crawl
    from intel.process import process_pending
    from intel.store import Store

    started = time.perf_counter()
    with Store.open(data_dir) as store:
        store.sync_watchlist(watchlist)
        run_id = store.start_run()
    crawl_result = crawl(
        watchlist,
        data_dir,
        run_id=run_id,
        progress=sys.stderr.isatty() and not quiet,
        # Extraction on the core the crawl leaves idle: a quiet 2-core box, 1,000 pages,
        # cold night 10.3 s -> 8.2 s (median of 3 side by side); same events either way.
        process_alongside=True,
    )
    preload = _preload(extractors=crawl_result.fetched > crawl_result.not_modified)
    with Store.open(data_dir) as store:
        # Pending snapshots left by a killed run are processed here too: nothing is lost.
        result = process_pending(store, watchlist)
        preload.join()
        summary = {
            "run_id": run_id,
            "crawl": crawl_result.summary(),
            "process": result.summary(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        summary["index"] = _update_index(store, data_dir, run_id)
        if watchlist.alerts is not None:
            from intel.alerts import send_alerts

            summary["alerts"] = send_alerts(store, watchlist.alerts)
        status = "ok" if not crawl_result.failed else "partial"
        if crawl_result.fetched == 0 and crawl_result.pages:
            status = "failed"
        store.finish_run(run_id, summary, status=status)
    import logging

    logging.getLogger("intel.run").info("run %s finished: %s", run_id, json.dumps(summary))
    if not quiet:
        _print_summary(summary)
    return summary


def scheduled_briefing(watchlist: Any, data_dir: Path, kind: str, *, quiet: bool = False) -> None:
    """Render the briefing when due (once per day at most) and send everything queued."""
    from briefings.compose import compose, is_due, window, write_files
    from briefings.delivery import Outbox, SmtpSettings, build_message
    from intel.store import Store

    config = getattr(watchlist.briefings, kind, None) if watchlist.briefings else None
    if config is None or watchlist.smtp is None:
        click.echo(
            f"error: --brief {kind} needs `smtp:` and `briefings: {{{kind}: {{to: [...]}}}}` "
            "in the watchlist",
            err=True,
        )
        sys.exit(2)
    now = datetime.now(UTC)
    outbox = Outbox(data_dir)
    settings = SmtpSettings.from_watchlist(watchlist.smtp)
    briefing_id = f"{kind}-{now.date().isoformat()}"
    if is_due(kind, config.weekday, now.date()) and not outbox.known(briefing_id):
        since, until = window(kind, now, outbox.covered_until(kind))
        with Store.open(data_dir) as store:
            briefing = compose(
                store,
                watchlist,
                since=since,
                until=until,
                kind=kind,
                min_importance=config.min_importance,
            )
        write_files(briefing, data_dir / "briefings" / briefing.id)
        message = build_message(briefing, settings.sender, list(config.to), (since, until))
        outbox.put(briefing.id, message)
    sent, failures = outbox.send_pending(settings)
    if not quiet:
        for s in sent:
            click.echo(f"briefing sent: {s}")
    for f in failures:
        click.echo(f"briefing not sent, kept in the outbox for the next run: {f}", err=True)


def _preload(*, extractors: bool) -> threading.Thread:
    """Import, in a thread, what indexing the night will need, while the tail of extraction runs.

    After the crawl this process mostly waits for the alongside processes to finish the
    pages they have not done yet; the index writer (and, with pages fetched anew, the
    extractors that give each page its text) load then instead of after: ~0.2 s of one core
    less after a cold 1,000-page night. An import that fails fails again, and is reported,
    where it is needed.
    """

    def load() -> None:
        try:
            import index.writer  # noqa: F401

            if extractors:
                from intel import extract

                extract.kinds()  # loads every extractor module
        except Exception:  # noqa: S110 - reported by the import that needs it
            pass

    thread = threading.Thread(target=load, name="intel-preload-index", daemon=True)
    thread.start()
    return thread


def _update_index(store: Any, data_dir: Path, run_id: int) -> dict:
    """Add the night's events to the search index; the index is derived, so failing is not fatal."""
    from index.writer import sync_from_store

    try:
        # Events and each page's latest text; a missing, stale or corrupt index is rebuilt.
        return sync_from_store(data_dir / "index", store) or {"unchanged": True}
    except Exception as exc:  # derived data: `intel search` and `intel reindex` heal it
        return {"error": f"{type(exc).__name__}: {exc}"}


def _print_summary(summary: dict) -> None:
    c, p = summary["crawl"], summary["process"]
    events = p["events"]
    ev = ", ".join(f"{n} {t}" for t, n in sorted(events.items())) or "no events"
    click.echo(
        f"run {summary['run_id']}: {c['fetched']}/{c['pages']} pages fetched, {c['failed']} failed; "
        f"{p['changed']} changed, {p['unchanged']} unchanged, {p['baseline']} new; {ev} "
        f"({summary['seconds']}s)"
    )
    if summary.get("alerts"):
        a = summary["alerts"]
        click.echo(f"  alerts: {a['sent']} sent, {a['failed']} failed (retried next run)")
    for failure in c.get("failures", [])[:10]:
        click.echo(f"  failed: {failure}")


@click.command("process")
@watchlist_option
@data_option
def process_cmd(watchlist_path: Path, data_dir: Path) -> None:
    """Extract and diff every snapshot not processed yet (after `intel crawl`)."""
    from intel.process import process_pending
    from intel.store import Store
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path) if watchlist_path.exists() else None
    with Store.open(data_dir) as store:
        result = process_pending(store, watchlist)
    s = result.summary()
    click.echo(
        f"processed {s['processed']}: {s['changed']} changed, {s['unchanged']} unchanged, "
        f"{s['baseline']} new, {s['failed']} failed; events: "
        + (", ".join(f"{n} {t}" for t, n in sorted(s["events"].items())) or "none")
    )


@click.command("events")
@data_option
@click.option("--since", help="7d, 24h, or a date (2026-09-01).")
@click.option("--until", help="A date or ISO time (exclusive).")
@click.option("--competitor", "-c", help="Only this competitor (name, case-insensitive).")
@click.option("--type", "type_", type=click.Choice(list(EVENT_TYPES)), help="Only this event type.")
@click.option("--signal", type=click.Choice(["threat", "opportunity", "neutral"]))
@click.option(
    "--min-importance", type=click.FloatRange(0, 1), help="Only events at least this important."
)
@click.option("--limit", type=int, default=None)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of events for scripts.")
def events_cmd(
    data_dir: Path,
    since: str | None,
    until: str | None,
    competitor: str | None,
    type_: str | None,
    signal: str | None,
    min_importance: float | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Show what moved: each event with its signal, importance and reason."""
    from intel.store import Store

    with Store.open(data_dir) as store:
        events = store.events(
            since=parse_since(since),
            until=parse_since(until),
            competitor=competitor,
            type=type_,
            signal=signal,
            min_importance=min_importance,
            limit=limit,
        )
    if as_json:
        for e in events:
            e.pop("key", None)
        click.echo(json.dumps(events, ensure_ascii=False, indent=1, default=str))
        return
    print_events(events)


def print_events(events: list[dict], title: str | None = None) -> None:
    """A table a person reads at a glance; competitor text is printed as text, never markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    if not events:
        console.print("no events")
        return
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("found", no_wrap=True)
    table.add_column("competitor")
    table.add_column("type")
    table.add_column("signal")
    table.add_column("imp.", justify="right")
    table.add_column("what")
    colours = {"threat": "red", "opportunity": "green", "neutral": "dim"}
    for e in events:
        sig = e.get("signal") or ""
        imp = e.get("importance")
        table.add_row(
            Text((e.get("found_at") or "")[:10]),
            Text(e.get("competitor") or ""),
            Text(e["type"]),
            Text(sig, style=colours.get(sig, "")),
            Text(f"{imp:.2f}" if isinstance(imp, (int, float)) else ""),
            Text(e.get("why") or describe(e)),
        )
    console.print(table)
    counts = Counter(e.get("signal") or "none" for e in events)
    console.print(
        f"{len(events)} events: " + ", ".join(f"{n} {s}" for s, n in counts.most_common())
    )


def describe(e: dict) -> str:
    """A fallback one-liner for an event without a `why`."""
    t = e["type"]
    if t == "price_change":
        return f"{e.get('plan')}: {e.get('old_price')} -> {e.get('new_price')} {e.get('currency') or ''}/{e.get('period') or ''}"
    if t in ("plan_added", "plan_removed"):
        return f"{t.replace('_', ' ')}: {e.get('plan')}"
    if t in ("feature_added", "feature_removed"):
        where = f" on {e['plan']}" if e.get("plan") else ""
        return f"{t.replace('_', ' ')}: {e.get('feature')}{where}"
    if t == "changelog_entry":
        return f"new entry: {e.get('title')} ({e.get('date') or 'undated'})"
    added = "; ".join(e.get("added") or [])
    removed = "; ".join(e.get("removed") or [])
    return f"+ {added[:120]}" + (f"  - {removed[:120]}" if removed else "")
