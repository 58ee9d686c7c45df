"""Render a briefing purely: events in; subject, HTML, plain text and Markdown out.

One Jinja environment, autoescaped (a rival's page is untrusted input) and strict (a
missing value is a bug, not a blank), with the user's templates first so a team can
restyle its briefing without forking the package.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from intel.money import money

TOP_N = 5
PERIOD_SHORT = {"month": "mo", "year": "yr", "one_time": "once"}


@dataclass
class Briefing:
    """A rendered briefing, ready to be written to files or sent."""

    id: str
    subject: str
    html: str
    text: str
    markdown: str
    images: dict[str, bytes] = field(default_factory=dict)  # Content-ID -> PNG


def environment(user_dir: Path | None = None) -> jinja2.Environment:
    """The one template environment: user templates (`<watchlist dir>/templates`) first."""
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None and (user_dir / "templates").is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_dir / "templates")))
    loaders.append(jinja2.PackageLoader("briefings", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        # Markdown viewers render raw HTML, so a rival's text is escaped there too.
        autoescape=jinja2.select_autoescape(["html", "html.j2", "md.j2"], default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["pct"] = lambda v: "" if v is None else f"{v:+.0f}%"
    return env


def build_context(
    events: list[dict[str, Any]],
    *,
    title: str,
    since: str,
    until: str,
    coverage: dict[str, Any],
    us_name: str | None = None,
    min_importance: float = 0.0,
) -> dict[str, Any]:
    """Everything the templates show, decided here so every format says the same thing."""
    events = [e for e in events if (e.get("importance") or 0) >= min_importance]
    by_importance = sorted(events, key=lambda e: (-(e.get("importance") or 0), e.get("id") or 0))
    threats = [e for e in by_importance if e.get("signal") == "threat"][:TOP_N]
    opportunities = [e for e in by_importance if e.get("signal") == "opportunity"][:TOP_N]

    price_moves = []
    for e in by_importance:
        if e["type"] != "price_change":
            continue
        old, new = e.get("old_price"), e.get("new_price")
        pct = (new - old) / old * 100 if old and new is not None else None
        price_moves.append(
            {
                "competitor": e.get("competitor", ""),
                "plan": e.get("plan") or "",
                "old": money(old, e.get("currency")),
                "new": money(new, e.get("currency")),
                "pct": pct,
                "currency": e.get("currency") or "",
                "period": (e.get("period") or "")
                + (f", {e['billing']}" if e.get("billing") else ""),
                "signal": e.get("signal") or "",
                "url": e.get("url") or "",
            }
        )

    launches: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in by_importance:
        if e["type"] == "changelog_entry":
            theme = next((t for t in e.get("tags") or [] if t != "pricing"), "other")
            launches[theme].append(e)
    launch_groups = sorted(launches.items(), key=lambda kv: (-len(kv[1]), kv[0]))

    digest = []
    per_comp: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in by_importance:
        per_comp[e.get("competitor") or "?"].append(e)
    for comp, evs in sorted(
        per_comp.items(), key=lambda kv: -sum(e.get("importance") or 0 for e in kv[1])
    ):
        counts = Counter(e["type"].replace("_", " ") for e in evs)
        digest.append(
            {
                "competitor": comp,
                "counts": ", ".join(f"{n} {t}" for t, n in counts.most_common()),
                "top": [e.get("why") or e["type"] for e in evs[:3]],
            }
        )

    signals = Counter(e.get("signal") or "neutral" for e in events)
    quiet = not events
    summary = _summary_lines(events, threats, opportunities, price_moves, per_comp, quiet)
    return {
        "title": title,
        "since": since[:10],
        "until": until[:10],
        "us_name": us_name or "us",
        "quiet": quiet,
        "summary": summary,
        "counts": {
            "events": len(events),
            "threats": signals["threat"],
            "opportunities": signals["opportunity"],
        },
        "threats": threats,
        "opportunities": opportunities,
        "price_moves": price_moves,
        "launch_groups": launch_groups,
        "digest": digest,
        "coverage": coverage,
        "charts": [],
    }


def _summary_lines(events, threats, opportunities, price_moves, per_comp, quiet) -> list[str]:
    if quiet:
        return ["No material moves by any watched rival in this window."]
    lines = [
        f"{len(events)} moves by {len(per_comp)} rival{'s' if len(per_comp) != 1 else ''}: "
        f"{len(price_moves)} price change{'s' if len(price_moves) != 1 else ''}, "
        f"{sum(1 for e in events if e['type'] == 'changelog_entry')} launches and release notes."
    ]
    if threats:
        lines.append(
            f"Top threat: {threats[0].get('competitor')} - {threats[0].get('why') or threats[0]['type']}"
        )
    else:
        lines.append("No threats this window.")
    if opportunities:
        o = opportunities[0]
        lines.append(f"Top opportunity: {o.get('competitor')} - {o.get('why') or o['type']}")
    else:
        lines.append("No new opportunities this window.")
    return lines


def render_briefing(
    context: dict[str, Any],
    *,
    briefing_id: str,
    env: jinja2.Environment | None = None,
    charts: dict[str, tuple[str, bytes]] | None = None,
) -> Briefing:
    """Render all three formats from one context; `charts` maps Content-ID to (caption, PNG)."""
    env = env or environment()
    ctx = dict(context)
    ctx["charts"] = [{"cid": cid, "caption": cap} for cid, (cap, _png) in (charts or {}).items()]
    subject = _subject(ctx)
    ctx["subject"] = subject
    html = env.get_template("briefing.html.j2").render(**ctx)
    text = env.get_template("briefing.txt.j2").render(**ctx)
    markdown = env.get_template("briefing.md.j2").render(**ctx)
    images = {cid: png for cid, (_cap, png) in (charts or {}).items()}
    return Briefing(briefing_id, subject, html, text, markdown, images)


def _subject(ctx: dict[str, Any]) -> str:
    if ctx["quiet"]:
        return f"{ctx['title']} {ctx['until']}: no material moves"
    c = ctx["counts"]
    return (
        f"{ctx['title']} {ctx['until']}: {c['threats']} threat{'s' if c['threats'] != 1 else ''}, "
        f"{c['opportunities']} opportunit{'ies' if c['opportunities'] != 1 else 'y'}"
    )
