"""The `intel` command line: a click group; each command lives in a module named after it.

Domain errors (`IntelError`) become one clear line and a meaningful exit code here,
and only here. Exit codes: 0 ok; 1 the night ran but nothing could be fetched, or a
command found nothing to do that it needed; 2 bad usage or a bad watchlist; 3 the
store cannot be opened; 4 another run holds the lock.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import click

from intel.errors import IntelError, StoreError, WatchlistError

DATA_HELP = "Data dir holding the store, index and outbox (env INTEL_DATA)."


def data_option(f):
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="INTEL_DATA",
        default="./intel-data",
        show_default=True,
        help=DATA_HELP,
    )(f)


# Every command but `diff` lives in its own module, imported only when it is used, so a
# quick `intel diff` never pays for Scrapy or Whoosh. Register a command with ONE line:
# "name": "module:attribute".
COMMANDS: dict[str, str] = {
    "run": "intel.cli_run:run_cmd",
    "process": "intel.cli_run:process_cmd",
    "events": "intel.cli_run:events_cmd",
    "plans": "intel.cli_plans:plans_cmd",
    "brief": "intel.cli_brief:brief_cmd",
    "export": "intel.cli_export:export_cmd",
    "doctor": "intel.cli_doctor:doctor_cmd",
    "runs": "intel.cli_doctor:runs_cmd",
    "reclassify": "intel.cli_reclassify:reclassify_cmd",
    "search": "intel.cli_search:search_cmd",
    "reindex": "intel.cli_search:reindex_cmd",
    "serve": "intel.cli_search:serve_cmd",
    "crawl": "intel.cli_crawl:crawl_cmd",
    "demo": "intel.cli_demo:demo_cmd",
}


class IntelGroup(click.Group):
    """Loads commands lazily and turns domain errors into one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WatchlistError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except StoreError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(3)
        except IntelError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=IntelGroup)
@click.version_option(package_name="intel-crawler")
def cli() -> None:
    """Competitive intelligence: what your rivals changed last night."""


@cli.command("diff")
@click.argument("before", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("after", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", required=True, help="Page kind: pricing, changelog, features or page.")
@click.option("--url", default="", help="Where the page lives (resolves relative links).")
@click.option(
    "--render",
    type=click.Choice(["static", "browser"]),
    default="static",
    show_default=True,
    help="browser: run the page's JavaScript in Chromium before extracting.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"events": [...]} (FORMAT.md).')
def diff_cmd(before: Path, after: Path, kind: str, url: str, render: str, as_json: bool) -> None:
    """Compare two saved versions of one page and print the moves found."""
    from intel import extract as core
    from intel.classify import classify_many, load_rules
    from intel.extract.html import decode

    extractor = core.get(kind)
    if render == "browser":
        from intel.render import render_files

        html_before, html_after = render_files([before, after], url=url)
    else:
        html_before, html_after = decode(before.read_bytes()), decode(after.read_bytes())
    old = extractor.extract(html_before, url)
    new = extractor.extract(html_after, url)
    rules = load_rules()
    events = classify_many(extractor.diff(old, new, None), rules=rules)
    if as_json:
        click.echo(json.dumps({"events": events}, ensure_ascii=False, indent=1, default=str))
        return
    if not events:
        click.echo("no change")
    for e in events:
        click.echo(e.get("why") or json.dumps(e, ensure_ascii=False, default=str))


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    from intel.heap import collect_less

    collect_less()  # from the first import on
    try:
        cli(prog_name="intel")  # standalone: always ends in SystemExit
    except SystemExit as exc:
        leave(exc.code)


def leave(code: Any) -> NoReturn:
    """Exit with `code` as `sys.exit` would, without the interpreter's teardown.

    A night leaves a heap of a few hundred MB; tearing it down object by object costs
    0.2-0.3 s after a cold 1,000-page night and ~0.1 s after an unchanged one, for
    memory the OS takes back anyway. Everything that must happen still does: the exit
    handlers run (log files are flushed and closed, finalizers of temporary files run),
    and standard output and error are flushed. With a thread still running that exit
    would wait for, the exit is the ordinary one.
    """
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if run_exit_handlers is None or others:
        sys.exit(code)
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        status = 1
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`intel search | head`): nothing to add
            pass
    os._exit(status)


if __name__ == "__main__":
    main()
