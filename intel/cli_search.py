"""`intel search`, `intel reindex` and `intel serve`: the intel index from a terminal or a browser.

The index lives in `<data>/index` and is derived from the store: each command first makes
sure it is there and current (rebuilding a missing, stale or corrupt one), so a search
never fails because of the index.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

import click

from intel.cli import data_option
from intel.errors import IndexError_, IntelError

SORT_CHOICE = click.Choice(["relevance", "date", "importance"])


def index_dir_of(data_dir: Path) -> Path:
    return Path(data_dir) / "index"


def ensure_index(data_dir: Path, *, force: bool = False, quiet: bool = False) -> dict | None:
    """Bring the index in line with the store; without a store, use the index as it is."""
    from index.writer import check_index, sync_from_store
    from intel.store import DB_NAME, Store

    index_dir = index_dir_of(data_dir)
    if not (Path(data_dir) / DB_NAME).exists():
        if force or check_index(index_dir):
            raise IntelError(
                f"no store in {data_dir}: run `intel run` first (or pass --data / set INTEL_DATA)"
            )
        return None
    with Store.open(data_dir) as store:
        # thorough=False: an index whose event count and newest id match the store's is
        # used as it is; the per-page and re-judged-event checks are the nightly run's.
        summary = sync_from_store(index_dir, store, force=force, thorough=False)
    if summary and summary.get("rebuilt") and not quiet:
        why = summary.get("reason") or summary.get("rebuilt")
        click.echo(
            f"index rebuilt ({why}): {summary['events']} events, {summary['seconds']} s", err=True
        )
    return summary


@click.command("search")
@click.argument("query", nargs=-1)
@data_option
@click.option("--competitor", help="Only this competitor (name or words of it; a,b for either).")
@click.option("--type", "etype", help="Only this event type, e.g. price_change (a,b for either).")
@click.option("--signal", help="threat, opportunity or neutral.")
@click.option("--tag", help="Only events with this tag, e.g. ai.")
@click.option("--since", help="Found on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Found on or before this date (YYYY-MM-DD).")
@click.option("--sort", type=SORT_CHOICE, help="Default: relevance with a query, else date.")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--pages", "with_pages", is_flag=True, help="Search page texts too, not only events.")
@click.option("--json", "as_json", is_flag=True, help="Print results and facets as JSON.")
def search_cmd(
    query: tuple[str, ...],
    data_dir: Path,
    competitor: str | None,
    etype: str | None,
    signal: str | None,
    tag: str | None,
    since: str | None,
    until: str | None,
    sort: str | None,
    limit: int,
    page: int,
    with_pages: bool,
    as_json: bool,
) -> None:
    """Search events with Whoosh's query language.

    \b
    Examples:
      intel search sso
      intel search 'competitor:acme type:price_change tags:ai date:[20260901 to]'
      intel search 'type:price_change direction:down plan:team' --since 2026-09-01
      intel search '"ai assistant"' --competitor acme --json
    """
    from index.search import SearchRequest

    req = SearchRequest(
        q=" ".join(query),
        competitor=competitor,
        type=etype,
        signal=signal,
        tag=tag,
        since=since,
        until=until,
        sort=sort,
        limit=limit,
        page=page,
        pages=with_pages,
    )
    for value, name in ((since, "--since"), (until, "--until")):
        if value and _bad_date(value):
            raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=name)
    ensure_index(data_dir, quiet=as_json)
    results = _search_or_rebuild(data_dir, req)
    if as_json:
        click.echo(json.dumps(results.to_dict(), ensure_ascii=False, indent=1, default=str))
        return
    _print_results(results)


def _search_or_rebuild(data_dir: Path, req: Any):
    """Search; when the index turns out damaged mid-search, rebuild it once and search again."""
    from index.search import forget, search

    index_dir = index_dir_of(data_dir)
    try:
        return search(index_dir, req)
    except IndexError_:
        forget(index_dir)
        ensure_index(data_dir, force=True)
        return search(index_dir, req)


def _bad_date(value: str) -> bool:
    from index.docs import parse_date

    return parse_date(value) is None


def _print_results(results: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from index.docs import MARK_END, MARK_START

    console = Console(highlight=False, soft_wrap=False)
    shown_from = (results.page - 1) * results.limit + 1
    head = (
        f"{results.total} match{'es' if results.total != 1 else ''}"
        + (f", showing {shown_from}-{shown_from + len(results.hits) - 1}" if results.hits else "")
        + f" (sorted by {results.sort}, {results.took_ms:.0f} ms)"
    )
    console.print(Text(head, style="bold"))
    if results.hits:
        table = Table(show_lines=False, expand=True)
        table.add_column("date", no_wrap=True)
        table.add_column("competitor")
        table.add_column("type")
        table.add_column("signal")
        table.add_column("what / snippet", ratio=3)
        table.add_column("id", justify="right", no_wrap=True)
        for hit in results.hits:
            cell = Text(hit.title or "", style="bold")
            snippet = " ".join(hit.snippet.split())
            if snippet:
                cell.append("\n")
                _append_marked(cell, snippet, MARK_START, MARK_END)
            signal_style = {"threat": "red", "opportunity": "green"}.get(hit.signal or "", "")
            table.add_row(
                (hit.date or "")[:10],
                Text(hit.competitor or ""),
                hit.type or hit.doctype,
                Text(hit.signal or "", style=signal_style),
                cell,
                str(hit.event_id or ""),
            )
        console.print(table)
    for name, counts in results.facets.items():
        if counts:
            line = Text(f"{name}: ", style="bold")
            line.append(" · ".join(f"{k} ({v})" for k, v in list(counts.items())[:12]))
            console.print(line)


def _append_marked(text: Any, marked: str, start: str, end: str) -> None:
    """Append a snippet to a rich Text, matches in bold yellow; page text is never markup."""
    inside = False
    for part in marked.replace(end, start).split(start):
        if part:
            text.append(part, style="bold yellow" if inside else None)
        inside = not inside


@click.command("reindex")
@data_option
def reindex_cmd(data_dir: Path) -> None:
    """Rebuild the search index from the store (safe to run any time)."""
    summary = ensure_index(data_dir, force=True, quiet=True) or {}
    click.echo(
        f"index rebuilt: {summary.get('events', 0)} events, "
        f"{summary.get('documents', 0) - summary.get('events', 0)} pages "
        f"in {summary.get('seconds', 0)} s -> {index_dir_of(data_dir)}"
    )


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@data_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--token",
    envvar="INTEL_SERVE_TOKEN",
    help="Access token; required when --host is not loopback (env INTEL_SERVE_TOKEN).",
)
def serve_cmd(data_dir: Path, host: str, port: int, token: str | None) -> None:
    """Serve the search UI and /api/search over HTTP (127.0.0.1 only, unless given a token)."""
    if not is_loopback(host) and not token:
        click.echo(
            f"error: refusing to serve on {host} without a token: set INTEL_SERVE_TOKEN "
            "(or pass --token), or bind 127.0.0.1",
            err=True,
        )
        sys.exit(2)
    import uvicorn

    from index.search import warm
    from index.web import create_app

    ensure_index(data_dir)
    app = create_app(index_dir_of(data_dir), token=token)
    click.echo("opening the index (its common words are decoded now, not on a first search)")
    try:
        warm(index_dir_of(data_dir))
    except IndexError_ as exc:  # the pages say so; `intel reindex` heals it
        click.echo(f"warning: {exc}", err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(
        f"serving {data_dir} on http://{shown}:{port}/" + (" (token required)" if token else "")
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
