"""What moved between two extracted pricing pages, as `Change`s.

Plans are matched by name (case, punctuation and the words "plan"/"tier" do not count),
never by position, so a reordered or restyled grid yields nothing. A renamed plan is a
removal and an addition. Within a plan, prices are matched by (billing, period), so a page
that shows both monthly- and annual-billed prices gets one event per price that moved.
A new plan is one event: its prices and features are not reported separately.
"""

from __future__ import annotations

import math
from typing import Any

from intel.changes import Change
from intel.extract.pricing_dom import feature_key, plan_key


def _label(plan: dict[str, Any]) -> str:
    prices = plan.get("prices") or []
    if prices:
        shown = "; ".join(
            p.get("text") or f"{p.get('amount')} {p.get('currency')}" for p in prices[:2]
        )
    elif plan.get("custom"):
        shown = "Contact sales"
    elif plan.get("free"):
        shown = "Free"
    else:
        shown = "no price shown"
    return f"{plan.get('name')}: {shown}"[:160]


def _first(plan: dict[str, Any]) -> dict[str, Any]:
    prices = plan.get("prices") or []
    return prices[0] if prices else {}


def _match_prices(
    old: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Pair old and new prices: same (billing, period) first, then same billing, then the rest in order."""
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    left_old, left_new = list(old), list(new)
    for keyf in (
        lambda p: (p.get("billing"), p.get("period"), p.get("currency")),
        lambda p: (p.get("billing"), p.get("period")),
        lambda p: (p.get("billing"),),
    ):
        for o in list(left_old):
            match = next((n for n in left_new if keyf(n) == keyf(o)), None)
            if match is not None:
                pairs.append((o, match))
                left_old.remove(o)
                left_new.remove(match)
    if len(left_old) == 1 and len(left_new) == 1:
        pairs.append((left_old[0], left_new[0]))
    return pairs


def _price_change(
    plan: str, o: dict[str, Any] | None, n: dict[str, Any] | None, ev: dict[str, Any]
) -> Change:
    ref = n or o or {}
    return Change(
        type="price_change",
        plan=plan,
        old_price=o.get("amount") if o else None,
        new_price=n.get("amount") if n else None,
        currency=ref.get("currency") or (o or {}).get("currency"),
        period=ref.get("period") or (o or {}).get("period"),
        billing=ref.get("billing") or (o or {}).get("billing"),
        per_seat=bool(ref.get("per_seat")),
        evidence=ev,
    )


def diff_plans(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    old_plans = {plan_key(p["name"]): p for p in old.get("plans") or [] if p.get("name")}
    new_plans = {plan_key(p["name"]): p for p in new.get("plans") or [] if p.get("name")}
    # A page that lost all its plans is a page we failed to read, not a market move.
    if old_plans and not new_plans:
        return []
    switched = _market_switch(old, new)
    changes: list[Change] = []
    for key, plan in old_plans.items():
        if key not in new_plans:
            p = _first(plan)
            changes.append(
                Change(
                    type="plan_removed",
                    plan=plan["name"],
                    old_price=p.get("amount"),
                    currency=p.get("currency"),
                    period=p.get("period"),
                    billing=p.get("billing"),
                    per_seat=p.get("per_seat"),
                    evidence={"before": _label(plan), "after": None},
                )
            )
    for key, plan in new_plans.items():
        if key not in old_plans:
            if not old_plans:
                continue  # first time the page's plans could be read: nothing "appeared"
            p = _first(plan)
            changes.append(
                Change(
                    type="plan_added",
                    plan=plan["name"],
                    new_price=p.get("amount"),
                    currency=p.get("currency"),
                    period=p.get("period"),
                    billing=p.get("billing"),
                    per_seat=p.get("per_seat"),
                    evidence={"before": None, "after": _label(plan)},
                )
            )
            continue
        before = old_plans[key]
        changes.extend(_plan_moves(before, plan, market_switch=switched))
    return changes


def _currencies(page: dict[str, Any]) -> set[str]:
    return {
        p["currency"]
        for plan in page.get("plans") or []
        for p in plan.get("prices") or []
        if p.get("currency")
    }


def _market_switch(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Every price of the page now shows in currencies it did not show before.

    That is the crawl landing on another market (a geo-IP or country-selector default, a
    store converting its prices), not a rival repricing: $22.00 and €20,95 cannot be
    compared, and calling it a 5% cut would be an invented move. A single plan changing
    currency among unchanged ones is still reported.
    """
    before, after = _currencies(old), _currencies(new)
    return bool(before and after and not before & after)


def _plan_moves(
    before: dict[str, Any], after: dict[str, Any], *, market_switch: bool = False
) -> list[Change]:
    name = after["name"]
    ev = {"before": _label(before), "after": _label(after)}
    out: list[Change] = []
    old_prices = before.get("prices") or []
    new_prices = after.get("prices") or []
    if old_prices and not new_prices:
        if after.get("custom"):
            out.extend(_price_change(name, o, None, ev) for o in old_prices)
    elif new_prices and not old_prices:
        if before.get("custom"):
            out.extend(_price_change(name, None, n, ev) for n in new_prices)
    else:
        for o, n in [] if market_switch else _match_prices(old_prices, new_prices):
            moved = not math.isclose(
                o.get("amount") or 0, n.get("amount") or 0, rel_tol=1e-6, abs_tol=1e-9
            )
            if moved or (
                o.get("currency") and n.get("currency") and o["currency"] != n["currency"]
            ):
                out.append(_price_change(name, o, n, ev))
    old_feats = {feature_key(f): f for f in before.get("features") or []}
    new_feats = {feature_key(f): f for f in after.get("features") or []}
    for k, f in old_feats.items():
        if k not in new_feats:
            out.append(
                Change(
                    type="feature_removed",
                    plan=name,
                    feature=f,
                    evidence={"before": f, "after": None, "plan": ev["after"]},
                )
            )
    for k, f in new_feats.items():
        if k not in old_feats:
            out.append(
                Change(
                    type="feature_added",
                    plan=name,
                    feature=f,
                    evidence={"before": None, "after": f, "plan": ev["after"]},
                )
            )
    return out
