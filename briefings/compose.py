"""From the store to a rendered briefing, and the schedule of `intel run --brief`.

This is the I/O edge of briefings: it reads events, coverage and price history from the
store, draws the charts and hands everything to the pure renderer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from briefings.charts import history_series, price_chart
from briefings.render import Briefing, build_context, environment, render_briefing

MAX_CHARTS = 4
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def compose(
    store: Any,
    watchlist: Any | None,
    *,
    since: str,
    until: str,
    kind: str = "briefing",
    min_importance: float = 0.0,
) -> Briefing:
    """Render the briefing of the window [since, until) from the store."""
    events = store.events(since=since, until=until)
    title = "Market briefing"
    if watchlist is not None and watchlist.briefings is not None:
        title = watchlist.briefings.title
    us_name = watchlist.us.name if watchlist is not None and watchlist.us else None
    context = build_context(
        events,
        title=title,
        since=since,
        until=until,
        coverage=store.coverage(),
        us_name=us_name,
        min_importance=min_importance,
    )
    charts = _charts(store, context["price_moves"])
    env = environment(watchlist.directory if watchlist is not None else None)
    return render_briefing(context, briefing_id=f"{kind}-{until[:10]}", env=env, charts=charts)


def _charts(store: Any, price_moves: list[dict[str, Any]]) -> dict[str, tuple[str, bytes]]:
    """One price-history chart per rival with a price move (the most important first)."""
    plans_by_comp: dict[str, set[str]] = {}
    for m in price_moves:
        plans_by_comp.setdefault(m["competitor"], set()).add(m["plan"])
    charts: dict[str, tuple[str, bytes]] = {}
    for i, (comp, plans) in enumerate(list(plans_by_comp.items())[:MAX_CHARTS]):
        series, currency = history_series(store.plan_observations(comp), comp, plans)
        if not series:
            continue
        caption = f"{comp}: price history of {', '.join(sorted(plans))}"
        charts[f"chart{i + 1}"] = (caption, price_chart(caption, series, currency))
    return charts


def write_files(briefing: Briefing, out_dir: Path) -> list[Path]:
    """briefing.html (charts beside it), briefing.txt, briefing.md; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    html = briefing.html
    paths = []
    for cid, png in briefing.images.items():
        (out_dir / f"{cid}.png").write_bytes(png)
        html = html.replace(f'src="cid:{cid}"', f'src="{cid}.png"')
        paths.append(out_dir / f"{cid}.png")
    for name, content in (
        ("briefing.html", html),
        ("briefing.txt", briefing.text),
        ("briefing.md", briefing.markdown),
    ):
        (out_dir / name).write_text(content, encoding="utf-8")
        paths.insert(0 if name == "briefing.html" else len(paths), out_dir / name)
    return paths


#: how far back a scheduled briefing catches up on moves no briefing of its kind has shown
CATCH_UP = {"daily": timedelta(days=7), "weekly": timedelta(days=28)}


def window(kind: str, now: datetime, covered_until: str | None = None) -> tuple[str, str]:
    """The window a scheduled briefing covers: from where the last one of its kind ended.

    Windows that meet end to end put every move in exactly one briefing. "The last day"
    does not: nights differ in length (a shorter night re-reports the end of the one
    before), and the moves of a night whose briefing was never sent (the run was killed,
    or only processed the next night) fall before it. With no earlier briefing, or a
    `covered_until` that makes no sense, it is the last day (or seven); it never reaches
    further back than CATCH_UP.

    `until` is the next whole second: moves are dated to the second, and one fetched in
    the very second the briefing is composed belongs to it (not, a day late, to the next).
    """
    until = now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    since = until - timedelta(days=7 if kind == "weekly" else 1)
    last = _parse_time(covered_until)
    if last is not None and last < until:
        since = max(last, until - CATCH_UP.get(kind, timedelta(days=7)))
    return since.isoformat(timespec="seconds"), until.isoformat(timespec="seconds")


def _parse_time(value: str | None) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


def is_due(kind: str, weekday: str, today: date) -> bool:
    """A daily briefing is due every day; a weekly one on its weekday."""
    return kind == "daily" or WEEKDAYS[today.weekday()] == weekday
