"""`intel reclassify`: judge every stored event again after the rules or `us:` changed.

Facts (prices, titles, evidence) never change; only signal, tags, importance and why are
rewritten, in one transaction, so a kill half-way leaves the old judgement intact. The
search index is then brought in line at once, as `intel run` does at the end of a night:
`intel search` trusts an index whose event count matches the store, so without this the
new judgements would reach search only at the next run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from intel.cli import data_option
from intel.cli_run import watchlist_option


@click.command("reclassify")
@watchlist_option
@data_option
@click.option("--dry-run", is_flag=True, help="Show what would change; store nothing.")
def reclassify_cmd(watchlist_path: Path, data_dir: Path, dry_run: bool) -> None:
    """Re-judge stored events with the current rules, `us:` block and weights."""
    from intel.classify import load_rules, reclassify
    from intel.store import Store
    from intel.watchlist import load_watchlist

    watchlist = load_watchlist(watchlist_path)  # a bad watchlist or tags.yaml stops here
    rules = load_rules(watchlist.directory)
    us = watchlist.us.model_dump() if watchlist.us else None
    with Store.open(data_dir) as store:
        weights = {p["competitor"]: p["weight"] for p in store.pages(active_only=False)}
        weights.update({c.name: c.weight for c in watchlist.competitors})
        events = store.events()
        judged = reclassify(events, rules, us, weights)
        changed = Counter()
        updates = []
        for old, new in zip(events, judged, strict=True):
            if all(old.get(k) == new.get(k) for k in ("signal", "tags", "importance", "why")):
                continue
            changed["signal" if old.get("signal") != new["signal"] else "other"] += 1
            updates.append(new)
        if not dry_run and updates:
            with store.transaction():
                for e in updates:
                    store.update_event_classification(
                        e["id"],
                        signal=e["signal"],
                        tags=e["tags"],
                        importance=e["importance"],
                        why=e["why"],
                        extra={"importance_explained": e["importance_explained"]},
                    )
        index = None if dry_run else _update_index(store, data_dir)
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{len(events)} events judged again; {len(updates)} {verb} "
        f"({changed['signal']} with a new signal)"
    )
    if index is not None:
        click.echo(f"search index: {_describe(index)}")


def _update_index(store: Any, data_dir: Path) -> dict:
    """Bring the index in line with the re-judged store, as `intel run` does (a missing,
    stale or corrupt one is rebuilt); the index is derived, so failing is not fatal."""
    from index.writer import sync_from_store

    try:
        return sync_from_store(Path(data_dir) / "index", store) or {"unchanged": True}
    except Exception as exc:  # `intel search` and `intel reindex` heal it later
        return {"error": f"{type(exc).__name__}: {exc}"}


def _describe(summary: dict) -> str:
    if "error" in summary:
        return f"not updated ({summary['error']}); `intel reindex` rebuilds it"
    if summary.get("rebuilt"):
        return f"rebuilt, {summary['events']} events"
    if summary.get("unchanged"):
        return "already current"
    return f"{summary.get('updated', 0)} events updated"
