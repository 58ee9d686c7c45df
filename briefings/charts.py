"""Price-history charts as small PNGs, inlined in the email by Content-ID.

matplotlib with the Agg backend: no display, no fonts fetched, deterministic output.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"]


def price_chart(title: str, series: dict[str, list[tuple[str, float]]], currency: str) -> bytes:
    """A step chart of each plan's price over time; `series` maps a label to (ISO time, amount)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 2.2), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    locator = AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    for i, (label, points) in enumerate(sorted(series.items())):
        if not points:
            continue
        xs = [datetime.fromisoformat(d) for d, _ in points]
        ys = [v for _, v in points]
        if len(xs) == 1:
            xs, ys = xs * 2, ys * 2
        ax.step(xs, ys, where="post", label=label, color=PALETTE[i % len(PALETTE)], linewidth=2)
        ax.plot(xs[-1:], ys[-1:], "o", color=PALETTE[i % len(PALETTE)])
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(currency, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def history_series(
    observations: list[dict[str, Any]], competitor: str, plans: set[str]
) -> tuple[dict[str, list[tuple[str, float]]], str]:
    """(series per plan/billing, currency) from stored pricing extractions of one competitor."""
    series: dict[str, list[tuple[str, float]]] = {}
    currency = ""
    for obs in observations:
        if obs["competitor"] != competitor:
            continue
        for plan in obs["plans"]:
            if plan.get("name") not in plans:
                continue
            for price in plan.get("prices") or []:
                if price.get("amount") is None:
                    continue
                label = plan["name"] + (f" ({price['billing']})" if price.get("billing") else "")
                points = series.setdefault(label, [])
                amount = float(price["amount"])
                if not points or points[-1][1] != amount or obs is observations[-1]:
                    points.append((obs["fetched_at"], amount))
                currency = currency or price.get("currency") or ""
    return series, currency
