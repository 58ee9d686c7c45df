"""`intel brief`: render (and optionally send) a market briefing of a window of events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from intel.cli import data_option
from intel.cli_run import parse_since, watchlist_option


@click.command("brief")
@data_option
@watchlist_option(help="For the title, our side, templates and SMTP settings (optional for files).")
@click.option("--since", default="7d", show_default=True, help="7d, 24h or a date (2026-09-01).")
@click.option("--until", default=None, help="A date (exclusive); default now.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write briefing.html/.txt/.md (and chart PNGs) here.",
)
@click.option("--send", is_flag=True, help="Email it to the watchlist's briefing recipients.")
@click.option(
    "--to", "recipients", multiple=True, help="Send to this address instead (repeatable)."
)
def brief_cmd(
    data_dir: Path,
    watchlist_path: Path,
    since: str,
    until: str | None,
    out_dir: Path | None,
    send: bool,
    recipients: tuple[str, ...],
) -> None:
    """Render the market briefing of a window: threats, opportunities, price moves, launches."""
    from briefings.compose import compose, write_files
    from intel.store import Store
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path) if watchlist_path.exists() or send else None
    since_iso = parse_since(since)
    until_iso = parse_since(until) or datetime.now(UTC).isoformat(timespec="seconds")
    with Store.open(data_dir) as store:
        briefing = compose(store, watchlist, since=since_iso, until=until_iso, kind="brief")
    out_dir = out_dir or (data_dir / "briefings" / until_iso[:10])
    paths = write_files(briefing, out_dir)
    click.echo(f"{briefing.subject}\nwritten: {paths[0]}")
    if send:
        to = list(recipients) or _configured_recipients(watchlist)
        if not to:
            raise click.ClickException(
                "no recipients: add `briefings: {weekly: {to: [...]}}` or pass --to"
            )
        deliver(briefing, watchlist, data_dir, to)


def _configured_recipients(watchlist: Any) -> list[str]:
    b = watchlist.briefings if watchlist is not None else None
    out: list[str] = []
    for one in (b.daily, b.weekly) if b else ():
        if one:
            out += [a for a in one.to if a not in out]
    return out


def deliver(briefing: Any, watchlist: Any, data_dir: Path, to: list[str]) -> None:
    """Queue in the outbox, then send everything queued (earlier failures included)."""
    from briefings.delivery import Outbox, SmtpSettings, build_message

    if watchlist is None or watchlist.smtp is None:
        raise click.ClickException("no `smtp:` block in the watchlist; add host, port and from")
    settings = SmtpSettings.from_watchlist(watchlist.smtp)
    outbox = Outbox(data_dir)
    if outbox.put(briefing.id, build_message(briefing, settings.sender, to)) is None:
        click.echo(f"{briefing.id} was already queued or sent; not sending it twice")
    sent, failures = outbox.send_pending(settings)
    for s in sent:
        click.echo(f"sent: {s}")
    for f in failures:
        click.echo(f"not sent (kept in {outbox.pending_dir}): {f}", err=True)
    if failures:
        raise SystemExit(1)
