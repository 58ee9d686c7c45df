"""`intel reclassify`: judge every stored event again after the rules or `us:` changed.

Facts (prices, titles, evidence) never change; only signal, tags, importance and why are
rewritten, in one transaction, so a kill half-way leaves the old judgement intact.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

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
    verb = "would change" if dry_run else "changed"
    click.echo(
        f"{len(events)} events judged again; {len(updates)} {verb} "
        f"({changed['signal']} with a new signal)"
    )
