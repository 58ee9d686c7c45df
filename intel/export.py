"""Tidy tables for spreadsheets and BI tools: one row per event, plan or price observation.

Typed columns (numbers as numbers, times as UTC datetimes, dates as ISO strings), so
Tableau, Excel or pandas read an export without cleaning it first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

EVENT_COLUMNS = [
    "id", "found_at", "competitor", "url", "kind", "type", "signal", "importance", "tags", "why",
    "plan", "old_price", "new_price", "currency", "period", "billing", "feature", "title", "date",
    "link", "added", "removed",
]  # fmt: skip


def events_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for e in events:
        row = {c: e.get(c) for c in EVENT_COLUMNS}
        row["tags"] = ";".join(e.get("tags") or [])
        row["added"] = " | ".join(e.get("added") or [])
        row["removed"] = " | ".join(e.get("removed") or [])
        rows.append(row)
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["found_at"] = pd.to_datetime(df["found_at"], utc=True, format="ISO8601")
    for col in ("importance", "old_price", "new_price"):
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
    df["id"] = df["id"].astype("Int64")
    return df


def prices_frame(observations: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per price seen: competitor, plan, when, amount, currency, period, billing."""
    cols = ["observed_at", "competitor", "url", "plan", "amount", "currency", "period", "billing",
            "per_seat", "custom", "free"]  # fmt: skip
    rows = []
    for obs in observations:
        for plan in obs["plans"]:
            prices = plan.get("prices") or [{}]
            for p in prices:
                rows.append(
                    {
                        "observed_at": obs["fetched_at"],
                        "competitor": obs["competitor"],
                        "url": obs["url"],
                        "plan": plan.get("name"),
                        "amount": p.get("amount"),
                        "currency": p.get("currency"),
                        "period": p.get("period"),
                        "billing": p.get("billing"),
                        "per_seat": bool(p.get("per_seat")),
                        "custom": bool(plan.get("custom")),
                        "free": bool(plan.get("free")),
                    }
                )
    df = pd.DataFrame(rows, columns=cols)
    df["observed_at"] = pd.to_datetime(df["observed_at"], utc=True, format="ISO8601")
    df["amount"] = pd.to_numeric(df["amount"], errors="coerce").astype("float64")
    return df


def plans_frame(observations: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per plan on each pricing page as last seen."""
    latest: dict[str, dict[str, Any]] = {}
    for obs in observations:
        latest[obs["url"]] = obs
    cols = ["observed_at", "competitor", "url", "plan", "free", "custom", "prices", "features",
            "feature_count"]  # fmt: skip
    rows = []
    for obs in latest.values():
        for plan in obs["plans"]:
            feats = plan.get("features") or []
            prices = "; ".join(
                f"{p.get('amount')} {p.get('currency') or ''}/{p.get('period') or ''}"
                + (f" ({p['billing']})" if p.get("billing") else "")
                for p in plan.get("prices") or []
            )
            rows.append(
                {
                    "observed_at": obs["fetched_at"],
                    "competitor": obs["competitor"],
                    "url": obs["url"],
                    "plan": plan.get("name"),
                    "free": bool(plan.get("free")),
                    "custom": bool(plan.get("custom")),
                    "prices": prices,
                    "features": "; ".join(feats),
                    "feature_count": len(feats),
                }
            )
    df = pd.DataFrame(rows, columns=cols)
    df["observed_at"] = pd.to_datetime(df["observed_at"], utc=True, format="ISO8601")
    df["feature_count"] = df["feature_count"].astype("Int64")
    return df


def write_frame(df: pd.DataFrame, fmt: str, out: Path | None) -> bytes | None:
    """Write to `out` (atomically) or return the bytes for stdout (csv/json only)."""
    if fmt in ("parquet", "xlsx") and out is None:
        raise ValueError(f"--format {fmt} is binary: pass --out FILE")
    if out is None:
        if fmt == "csv":
            return df.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%SZ").encode()
        return df.to_json(orient="records", date_format="iso", force_ascii=False, indent=1).encode()
    tmp = out.with_name(out.name + ".tmp")
    if fmt == "csv":
        df.to_csv(tmp, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    elif fmt == "json":
        df.to_json(tmp, orient="records", date_format="iso", force_ascii=False, indent=1)
    elif fmt == "parquet":
        df.to_parquet(tmp, index=False)
    elif fmt == "xlsx":
        xl = df.copy()
        for col in xl.select_dtypes(include=["datetimetz"]).columns:
            xl[col] = xl[col].dt.tz_localize(None)  # Excel has no time zones; all are UTC
        xl.to_excel(tmp, index=False, engine="openpyxl")
    tmp.replace(out)
    return None
