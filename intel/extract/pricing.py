"""Pricing pages: plans, their prices and features, and the moves between two nights.

The extraction is self-describing, so it can be stored per snapshot and shown later
(`intel plans`) without the page:

    {"plans": [{"name": "Pro",
                "prices": [{"amount": 12.99, "currency": "USD", "period": "month",
                            "billing": "monthly", "per_seat": true, "text": "$12.99 per user/month"}],
                "free": false, "custom": false, "features": ["SAML SSO", ...]}],
     "source": "dom" | "json-ld" | "json" | "none",
     "text": "the page's main text"}

The visible markup is the source of truth (cards, comparison tables); structured data
(JSON-LD Offers, `__NEXT_DATA__`, Nuxt payloads, JSON islands) is read only when the
markup shows no price, as on a JavaScript app fetched without a browser.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lxml import etree

from intel.changes import Change
from intel.extract import Extractor
from intel.extract.html import parse_plain
from intel.extract.pricing_data import blob_plans, blobs_from_scripts, jsonld_plans
from intel.extract.pricing_diff import diff_plans
from intel.extract.pricing_dom import (
    aria_tables,
    div_tables,
    dom_plans,
    expand_toggles,
    strip_noise,
)
from intel.extract.pricing_money import currency_code, find_prices, page_locale

_TEXT_LIMIT = 20_000
# The text nodes under an element, as `itertext()` gives them (the tree holds no comments
# by then, and strip_noise joins the text around what it removes), at a tenth of the cost.
_TEXT_NODES = etree.XPath(".//text()", smart_strings=False)


def extract_pricing(html: str, url: str = "") -> dict[str, Any]:
    """Plans and main text of a pricing page (pure: text in, data out)."""
    root = parse_plain(html)
    lang = root.get("lang") or root.get("xml:lang")
    scripts = [(s.get("type"), s.text or "") for s in root.iter("script") if not s.get("src")]
    aria_tables(strip_noise(root))
    div_tables(root)
    expand_toggles(root)
    body = root.find("body")
    body = body if body is not None else root
    main = body.find(".//main")
    # The search text needs words, not layout: itertext is an order of magnitude cheaper.
    text = _main_text(main if main is not None else body)

    plans = dom_plans(body, lang)
    source = "dom" if plans else "none"
    if not any(p["prices"] for p in plans):
        blobs = blobs_from_scripts(scripts)
        page_cur = _page_currency(text, lang)
        candidates = [
            ("json-ld", jsonld_plans(blobs, lang)),
            ("json", blob_plans(blobs, lang, page_cur)),
        ]
        best = max(candidates, key=lambda c: sum(1 for p in c[1] if p["prices"]))
        if sum(1 for p in best[1] if p["prices"]) > 0:
            source, plans = best
    # Reading every price of the page's text for its currency is only worth it when a
    # price lacks one or a free plan shows none.
    if any(
        (plan.get("free") and not plan["prices"])
        or any(not p.get("currency") for p in plan["prices"])
        for plan in plans
    ):
        _fill_currency(plans, _page_currency(text, lang))
    _both_billings(plans)
    return {"plans": plans, "source": source, "text": text}


def _both_billings(plans: list[dict[str, Any]]) -> None:
    """A card showing "$29/mo" and "$290/yr" offers both billings: each price says which.

    Without it the two are told apart by period only, and a page that later adds a
    "billed annually" line would look like a new price.
    """
    for plan in plans:
        prices = plan["prices"]
        if len(prices) < 2 or any(p.get("billing") for p in prices):
            continue
        periods = {p.get("period") for p in prices}
        if "month" in periods and "year" in periods:
            for p in prices:
                p["billing"] = {"month": "monthly", "year": "annual"}.get(p.get("period"))


def _main_text(el: Any) -> str:
    """Text nodes, whitespace collapsed, one a line, up to `_TEXT_LIMIT` characters.

    Stops reading once the limit is reached: a long page's tail would be cut anyway.
    """
    lines: list[str] = []
    size = 0
    for t in _TEXT_NODES(el):
        w = t.strip()
        if w:
            # A long text node (legal copy) past the limit: only its head is kept, so only
            # its head is read, when that gives enough characters.
            head = 2 * (_TEXT_LIMIT - size) + 64
            line = " ".join(w[:head].split()) if len(w) > head else ""
            if len(line) < _TEXT_LIMIT - size:
                line = " ".join(w.split())
            lines.append(line)
            size += len(line) + 1
            if size > _TEXT_LIMIT:
                break
    return "\n".join(lines)[:_TEXT_LIMIT]


def _page_currency(text: str, lang: str | None) -> str | None:
    """The currency most prices on the page are in; else the one of the page's country."""
    counts = Counter(code for *_, code in find_prices(text, lang))
    if counts:
        return counts.most_common(1)[0][0]
    territory, _ = page_locale(lang)
    if territory:
        from babel.numbers import get_territory_currencies

        try:
            codes = get_territory_currencies(territory)
        except Exception:
            codes = []
        if codes:
            return currency_code(codes[0], lang)
    return None


def _fill_currency(plans: list[dict[str, Any]], currency: str | None) -> None:
    for plan in plans:
        for p in plan["prices"]:
            if not p.get("currency"):
                p["currency"] = currency
        if plan.get("free") and not plan["prices"] and currency:
            plan["prices"] = [
                {
                    "amount": 0.0,
                    "currency": currency,
                    "period": None,
                    "billing": None,
                    "per_seat": False,
                    "text": "Free",
                }
            ]


class PricingExtractor(Extractor):
    """Plans, prices (amount, currency, period, billing, per seat) and features of a pricing page."""

    kind = "pricing"
    # 2: sub-cent amounts kept, bare toggle amounts, <dt> names, tooltips dropped
    version = 2

    def extract(self, html: str, url: str) -> dict[str, Any]:
        return extract_pricing(html, url)

    def diff(
        self, old: dict[str, Any], new: dict[str, Any], state: dict[str, Any] | None = None
    ) -> list[Change]:
        return diff_plans(old, new)

    def text(self, data: dict[str, Any]) -> str:
        return str(data.get("text", ""))
