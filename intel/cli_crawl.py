"""`intel crawl`: fetch every watched page into the store, without processing."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from intel.cli import data_option
from intel.cli_run import watchlist_option


@click.command("crawl")
@watchlist_option
@data_option
@click.option("--verbose", "-v", is_flag=True, help="Show Scrapy's log on stderr.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def crawl_cmd(watchlist_path: Path, data_dir: Path, verbose: bool, quiet: bool) -> None:
    """Fetch every page of the watchlist into the store (`intel process` reads them).

    Exit 0 when the crawl went through, even with some failed pages; 1 when nothing
    could be fetched; 2 for a bad watchlist; 4 when a run holds the data dir.
    """
    from intel.crawl import crawl
    from intel.lock import RunLock, RunLocked
    from intel.logs import setup_file_logging
    from intel.store import Store
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path)  # a bad watchlist stops here: nothing runs
    setup_file_logging(data_dir)
    try:
        with RunLock(data_dir):
            with Store.open(data_dir) as store:
                store.sync_watchlist(watchlist)
                run_id = store.start_run()
            result = crawl(
                watchlist_path,
                data_dir,
                run_id=run_id,
                progress=sys.stderr.isatty() and not quiet,
                verbose=verbose,
            )
            status = "ok" if not result.failed else "partial"
            if result.fetched == 0 and result.pages:
                status = "failed"
            with Store.open(data_dir) as store:
                store.finish_run(run_id, {"crawl": result.summary()}, status=status)
    except RunLocked as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(4)
    if not quiet:
        click.echo(result.line())
        for failure in result.failures[:10]:
            click.echo(f"  failed: {failure}")
        if len(result.failures) > 10:
            click.echo(f"  ... and {len(result.failures) - 10} more (see `intel runs`)")
    if result.fetched == 0 and result.pages:
        first = result.failures[0] if result.failures else "no page was reached"
        click.echo(
            f"error: none of the {result.pages} pages could be fetched (first: {first})", err=True
        )
        sys.exit(1)
