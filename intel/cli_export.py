"""`intel export`: events, plans or prices as CSV, Parquet, Excel or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from intel.cli import data_option
from intel.cli_run import parse_since


@click.command("export")
@click.argument("table", type=click.Choice(["events", "plans", "prices"]))
@data_option
@click.option("--since", help="7d, 24h or a date (events and prices).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet", "xlsx", "json"]),
    default="csv",
    show_default=True,
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (required for parquet/xlsx); default stdout.",
)
def export_cmd(table: str, data_dir: Path, since: str | None, fmt: str, out: Path | None) -> None:
    """Export a tidy table a spreadsheet or BI tool reads directly."""
    from intel import export
    from intel.store import Store

    if fmt in ("parquet", "xlsx") and out is None:
        raise click.UsageError(f"--format {fmt} writes a binary file: pass --out FILE")
    since_iso = parse_since(since)
    with Store.open(data_dir) as store:
        if table == "events":
            df = export.events_frame(store.events(since=since_iso))
        else:
            obs = store.plan_observations()
            if since_iso:
                obs = [o for o in obs if o["fetched_at"] >= since_iso]
            df = export.prices_frame(obs) if table == "prices" else export.plans_frame(obs)
    data = export.write_frame(df, fmt, out)
    if data is not None:
        sys.stdout.buffer.write(data)
    else:
        click.echo(f"{len(df)} {table} rows written to {out}", err=True)
