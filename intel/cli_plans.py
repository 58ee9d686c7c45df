"""`intel plans`: today's plan table for each rival, and the price history of each plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from intel.cli import data_option


def format_price(price: dict[str, Any]) -> str:
    """`$12.99/user/month (annual)` from one extracted price."""
    from intel.money import price_text

    return price_text(price)


def plan_price_text(plan: dict[str, Any]) -> str:
    prices = plan.get("prices") or []
    if prices:
        return ", ".join(format_price(p) for p in prices)
    if plan.get("custom"):
        return "Contact sales"
    if plan.get("free"):
        return "Free"
    return "-"


def latest_plans(observations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest observation of each pricing page, keyed by URL."""
    latest: dict[str, dict[str, Any]] = {}
    for obs in observations:
        latest[obs["url"]] = obs
    return latest


def price_history(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (competitor, plan, billing) and each time its price changed."""
    rows: list[dict[str, Any]] = []
    last: dict[tuple, str] = {}
    for obs in observations:
        for plan in obs["plans"]:
            for price in plan.get("prices") or [{"amount": None}]:
                key = (
                    obs["competitor"],
                    plan.get("name"),
                    price.get("billing"),
                    price.get("period"),
                )
                shown = format_price(price) if plan.get("prices") else plan_price_text(plan)
                if last.get(key) != shown:
                    last[key] = shown
                    rows.append(
                        {
                            "competitor": obs["competitor"],
                            "plan": plan.get("name"),
                            "date": obs["fetched_at"][:10],
                            "amount": price.get("amount"),
                            "currency": price.get("currency"),
                            "period": price.get("period"),
                            "billing": price.get("billing"),
                            "price": shown,
                        }
                    )
    return rows


@click.command("plans")
@click.argument("competitor", required=False)
@data_option
@click.option("--history", is_flag=True, help="The price history of each plan over time.")
@click.option("--json", "as_json", is_flag=True)
def plans_cmd(competitor: str | None, data_dir: Path, history: bool, as_json: bool) -> None:
    """Today's plans and prices for each rival (or one COMPETITOR)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from intel.store import Store

    with Store.open(data_dir) as store:
        observations = store.plan_observations(competitor)
    if not observations:
        raise click.ClickException(
            "no pricing pages have been read yet" + (f" for {competitor!r}" if competitor else "")
        )
    console = Console(highlight=False)
    if history:
        rows = price_history(observations)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        table = Table(title="Price history")
        for col in ("competitor", "plan", "since", "price"):
            table.add_column(col)
        for r in rows:
            table.add_row(Text(r["competitor"]), Text(r["plan"] or ""), r["date"], Text(r["price"]))
        console.print(table)
        return
    latest = latest_plans(observations)
    if as_json:
        click.echo(json.dumps(list(latest.values()), ensure_ascii=False, indent=1))
        return
    for obs in latest.values():
        console.print(
            Text(f"{obs['competitor']}", style="bold")
            + Text(f"  {obs['url']} (as of {obs['fetched_at'][:10]})", style="dim"),
            soft_wrap=True,
        )
        table = Table()
        table.add_column("plan")
        table.add_column("price")
        table.add_column("features")
        for plan in obs["plans"]:
            feats = plan.get("features") or []
            more = f" (+{len(feats) - 4} more)" if len(feats) > 4 else ""
            table.add_row(
                Text(plan.get("name") or "?"),
                Text(plan_price_text(plan)),
                Text(", ".join(feats[:4]) + more),
            )
        console.print(table)
