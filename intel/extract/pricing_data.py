"""Plans from structured data in the page: schema.org JSON-LD Offers and framework data blobs.

Used when the visible markup holds no prices (a JavaScript app before rendering): the
same plans usually sit in `__NEXT_DATA__`, Nuxt's payload, an embedded JSON island, a
`window.__STATE__ = {...}` assignment or a base64 `data:` URL. Rather than knowing each
framework's shape, the blobs are searched for a list of objects that have a name and a
price, which is what a plan list looks like in any of them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from intel.extract.pricing_money import (
    CUSTOM_RE,
    amount_of,
    billing_of_token,
    currency_code,
    find_prices,
    is_per_seat,
    period_of,
)

_NAME_KEYS = (
    "name",
    "title",
    "displayName",
    "display_name",
    "planName",
    "plan_name",
    "tierName",
    "tier_name",
    "label",
    "nickname",
    "tier",
)
_PRICE_KEY = re.compile(r"price|amount|cost|fee|monthly|annual|yearly|^rate$", re.I)
_NOT_PRICE_KEY = re.compile(
    r"discount|percent|saving|trial|limit|quota|count|min|max|^id$|_id$|index|order|rank|position"
    r"|currency|label|text|display|formatted|description|tagline|note|unit$|interval|period",
    re.I,
)
_FEATURE_KEYS = (
    "features",
    "featureList",
    "feature_list",
    "benefits",
    "highlights",
    "includes",
    "items",
    "bullets",
)
_UNIT_KEYS = (
    "unit",
    "interval",
    "period",
    "billing_period",
    "billingPeriod",
    "per",
    "frequency",
    "billingCycle",
    "recurring",
)
_ASSIGN = re.compile(r"(?:window\.|self\.|var |let |const )[\w$.\[\]\"']+\s*=\s*(?=[{\[])")
_DATA_URL = re.compile(r"data:application/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)")
_DEVALUE_TAGS = {
    "Reactive",
    "ShallowReactive",
    "Ref",
    "ShallowRef",
    "EmptyRef",
    "EmptyShallowRef",
    "Set",
    "Map",
    "Date",
    "null",
    "Object",
    "RegExp",
    "BigInt",
    "NuxtError",
}


def blobs_from_scripts(scripts: list[tuple[str | None, str]]) -> list[Any]:
    """Every JSON value found in the page's scripts: (type attribute, text) pairs."""
    out: list[Any] = []
    for typ, text in scripts:
        text = text.strip()
        if not text:
            continue
        typ = (typ or "").lower()
        if "json" in typ:
            value = _loads(text)
            if value is not None:
                out.append(_undevalue(value))
            continue
        if "price" not in text and "plan" not in text and "data:application/json" not in text:
            continue
        iife = _nuxt2_state(text)
        if iife is not None:
            out.append(iife)
        for m in _ASSIGN.finditer(text):
            try:
                value, _ = json.JSONDecoder().raw_decode(text, m.end())
            except ValueError:
                continue
            out.append(value)
        for m in _DATA_URL.finditer(text):
            try:
                value = _loads(base64.b64decode(m.group(1)).decode("utf-8", "replace"))
            except (binascii.Error, ValueError):
                continue
            if value is not None:
                out.append(value)
    return out


# Nuxt 2 writes its state as a function of its repeated values:
# window.__NUXT__=(function(a,b,c){return {data:[{price:b,currency:a}]}}("USD",19,"month"))
_NUXT2 = re.compile(r"__NUXT__\s*=\s*\(?\s*function\s*\(([\w$,\s]*)\)\s*\{\s*return\s+", re.S)
_JS_TOKEN = re.compile(
    r"""\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"""
    r"|(?P<word>[A-Za-z_$][\w$]*)|(?P<punct>[{}\[\]:,()]))",
    re.S,
)


class _JSError(ValueError):
    pass


def _nuxt2_state(text: str) -> Any:
    """The state of a Nuxt 2 page, its parameters replaced by the call's arguments; else None."""
    m = _NUXT2.search(text)
    if m is None:
        return None
    params = [p.strip() for p in m.group(1).split(",") if p.strip()]
    try:
        body, pos = _js_value(text, m.end(), {})
        # "}" closes the function, then "(" opens the call with the argument values
        close = _JS_TOKEN.match(text, pos)
        if close is None or close.group("punct") != "}":
            return None
        args_at = text.find("(", close.end())
        if args_at < 0:
            return None
        args, _ = _js_list(text, args_at + 1, {}, ")")
    except (_JSError, RecursionError):
        return None
    env = dict(zip(params, args, strict=False))
    return _bind(body, env)


class _Param(str):
    """A parameter name standing for a value of the call."""


def _bind(value: Any, env: dict[str, Any]) -> Any:
    if isinstance(value, _Param):
        return env.get(str(value))
    if isinstance(value, dict):
        return {k: _bind(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_bind(v, env) for v in value]
    return value


def _js_value(text: str, pos: int, env: dict[str, Any], depth: int = 0) -> tuple[Any, int]:
    """One JavaScript literal (object, array, string, number, word) from `pos`."""
    if depth > 40:
        raise _JSError("too deep")
    t = _JS_TOKEN.match(text, pos)
    if t is None:
        raise _JSError(f"unexpected at {pos}")
    if t.group("str") is not None:
        raw = t.group("str")
        try:
            return json.loads(
                '"' + raw[1:-1].replace("\\'", "'").replace('"', '\\"') + '"'
                if raw[0] == "'"
                else raw
            ), t.end()
        except ValueError:
            return raw[1:-1], t.end()
    if t.group("num") is not None:
        n = t.group("num")
        return (float(n) if any(c in n for c in ".eE") else int(n)), t.end()
    w = t.group("word")
    if w is not None:
        consts = {"true": True, "false": False, "null": None, "undefined": None}
        if w in consts:
            return consts[w], t.end()
        if w == "void":
            _, end = _js_value(text, t.end(), env, depth + 1)
            return None, end
        return _Param(w), t.end()
    p = t.group("punct")
    if p == "[":
        return _js_list(text, t.end(), env, "]", depth + 1)
    if p == "{":
        obj: dict[str, Any] = {}
        pos = t.end()
        while True:
            k = _JS_TOKEN.match(text, pos)
            if k is None:
                raise _JSError("object")
            if k.group("punct") == "}":
                return obj, k.end()
            if k.group("punct") == ",":
                pos = k.end()
                continue
            key = k.group("word") or k.group("num")
            if key is None and k.group("str") is not None:
                key = k.group("str")[1:-1]
            if key is None:
                raise _JSError("key")
            colon = _JS_TOKEN.match(text, k.end())
            if colon is None or colon.group("punct") != ":":
                raise _JSError("colon")
            obj[key], pos = _js_value(text, colon.end(), env, depth + 1)
    raise _JSError(f"unexpected {p!r}")


def _js_list(
    text: str, pos: int, env: dict[str, Any], close: str, depth: int = 0
) -> tuple[list[Any], int]:
    out: list[Any] = []
    while True:
        t = _JS_TOKEN.match(text, pos)
        if t is None:
            raise _JSError("list")
        if t.group("punct") == close:
            return out, t.end()
        if t.group("punct") == ",":
            pos = t.end()
            continue
        value, pos = _js_value(text, pos, env, depth + 1)
        out.append(value)


def _loads(text: str) -> Any:
    text = re.sub(r"^\s*(?:<!--|/\*<!\[CDATA\[\*/)|(?:-->|/\*\]\]>\*/)\s*$", "", text)
    try:
        return json.loads(text)
    except ValueError:
        return None


def _undevalue(value: Any) -> Any:
    """Nuxt 3 writes its state flattened (devalue): a list whose entries point at each other."""
    if not (isinstance(value, list) and value):
        return value
    head = value[0]
    if not (
        (isinstance(head, list) and head and head[0] in _DEVALUE_TAGS)
        or (isinstance(head, dict) and head and all(isinstance(v, int) for v in head.values()))
    ):
        return value
    cache: dict[int, Any] = {}

    def hyd(i: Any, depth: int = 0) -> Any:
        if not isinstance(i, int) or i < 0 or i >= len(value) or depth > 60:
            return None
        if i in cache:
            return cache[i]
        v = value[i]
        if isinstance(v, list):
            if v and isinstance(v[0], str) and v[0] in _DEVALUE_TAGS:
                tag = v[0]
                if tag in ("Reactive", "ShallowReactive", "Ref", "ShallowRef") and len(v) > 1:
                    return hyd(v[1], depth + 1)
                if tag == "Set":
                    return [hyd(x, depth + 1) for x in v[1:]]
                if tag == "Map":
                    return {
                        str(hyd(v[j], depth + 1)): hyd(v[j + 1], depth + 1)
                        for j in range(1, len(v) - 1, 2)
                    }
                if tag == "Date" and len(v) > 1:
                    return v[1]
                return None
            out: list[Any] = []
            cache[i] = out
            out.extend(hyd(x, depth + 1) for x in v)
            return out
        if isinstance(v, dict):
            obj: dict[str, Any] = {}
            cache[i] = obj
            for k, x in v.items():
                obj[k] = hyd(x, depth + 1)
            return obj
        return v

    return hyd(0)


# --- schema.org ---------------------------------------------------------------------------


def jsonld_plans(blobs: list[Any], lang: str | None) -> list[dict[str, Any]]:
    """Plans from schema.org Offers (Product/SoftwareApplication/Service `offers`)."""
    plans: list[dict[str, Any]] = []
    for node in _walk_nodes(blobs):
        offers = node.get("offers")
        if offers is None:
            continue
        if isinstance(offers, dict) and isinstance(offers.get("offers"), list):
            offers = offers["offers"]  # AggregateOffer
        if isinstance(offers, dict):
            offers = [offers]
        if not isinstance(offers, list):
            continue
        for offer in offers:
            if not isinstance(offer, dict):
                continue
            item = offer.get("itemOffered") if isinstance(offer.get("itemOffered"), dict) else {}
            name = (
                offer.get("name")
                or item.get("name")
                or (node.get("name") if len(offers) == 1 else None)
            )
            if not isinstance(name, str) or not name.strip():
                continue
            prices = _offer_prices(offer, lang)
            plans.append(
                {
                    "name": name.strip(),
                    "prices": prices,
                    "free": any(p["amount"] == 0 for p in prices),
                    "custom": not prices,
                    "features": [],
                }
            )
    return plans


def _walk_nodes(value: Any, depth: int = 0) -> Any:
    if depth > 12:
        return
    if isinstance(value, dict):
        yield value
        for v in value.values():
            if isinstance(v, (dict, list)):
                yield from _walk_nodes(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _walk_nodes(v, depth + 1)


def _offer_prices(offer: dict[str, Any], lang: str | None) -> list[dict[str, Any]]:
    specs = offer.get("priceSpecification")
    specs = specs if isinstance(specs, list) else [specs] if isinstance(specs, dict) else []
    out = []
    for spec in specs or [offer]:
        amount = _number(spec.get("price", offer.get("price")))
        cur = spec.get("priceCurrency") or offer.get("priceCurrency")
        if amount is None:
            continue
        unit = " ".join(
            str(spec.get(k) or "")
            for k in ("billingDuration", "unitCode", "unitText", "name", "description")
        )
        ref = (
            spec.get("referenceQuantity") if isinstance(spec.get("referenceQuantity"), dict) else {}
        )
        ref_text = f"{ref.get('unitText') or ''} {ref.get('unitCode') or ''}"
        # "price per referenceQuantity": a quantity of one MON/ANN is the price's period
        period = _duration_period(unit) or period_of(unit) or _duration_period(ref_text)
        billing = (
            billing_of_token(str(spec.get("billingDuration") or ""))
            if spec.get("billingIncrement")
            else None
        )
        out.append(
            {
                "amount": amount,
                "currency": currency_code(cur, lang) if isinstance(cur, str) else None,
                "period": period,
                "billing": billing,
                "per_seat": is_per_seat(ref_text) or is_per_seat(unit),
                "text": f"{amount:g} {cur or ''} {unit.strip()}".strip()[:100],
            }
        )
    return out


def _duration_period(unit: str) -> str | None:
    u = unit.upper()
    if re.search(r"\bP1M\b|\bMON\b", u):
        return "month"
    if re.search(r"\bP1Y\b|\bANN\b|\bP12M\b", u):
        return "year"
    return None


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return amount_of(v)
    if isinstance(v, str):
        s = v.strip().replace(",", "")
        try:
            return amount_of(float(s))
        except ValueError:
            return None
    return None


# --- framework blobs ------------------------------------------------------------------------


def blob_plans(
    blobs: list[Any], lang: str | None, page_currency: str | None
) -> list[dict[str, Any]]:
    """The longest list of plan-like objects in any blob, read as plans."""
    best: tuple[int, list[dict[str, Any]], dict[str, Any]] | None = None
    for blob in blobs:
        for items, ctx in _plan_lists(blob, {}, 0):
            score = len(items)
            if best is None or score > best[0]:
                best = (score, items, ctx)
    if best is None:
        return []
    _, items, ctx = best
    plans = []
    for item in items:
        plan = _item_plan(item, ctx, lang, page_currency)
        if plan:
            plans.append(plan)
    return plans


def _plan_lists(value: Any, ctx: dict[str, Any], depth: int) -> Any:
    if depth > 14:
        return
    if isinstance(value, dict):
        inner = dict(ctx)
        for k in ("currency", "currencyCode", "currency_code", "priceCurrency", *_UNIT_KEYS):
            v = value.get(k)
            if isinstance(v, str) and v.strip():
                inner[k] = v
        for v in value.values():
            if isinstance(v, (dict, list)):
                yield from _plan_lists(v, inner, depth + 1)
    elif isinstance(value, list):
        priced = [v for v in value if isinstance(v, dict) and _name(v) and _price_keys(v)]
        if len(priced) >= 2 or (priced and len(value) == 1):
            # a plan list: its unpriced members ("Enterprise: contact us") are plans too
            yield [v for v in value if isinstance(v, dict) and _name(v)], ctx
        for v in value:
            if isinstance(v, (dict, list)):
                yield from _plan_lists(v, ctx, depth + 1)


def _name(item: dict[str, Any]) -> str | None:
    for k in _NAME_KEYS:
        v = item.get(k)
        if isinstance(v, str) and 0 < len(v.strip()) <= 50:
            return v.strip()
    return None


def _price_keys(item: dict[str, Any]) -> list[str]:
    return [
        k
        for k, v in item.items()
        if _PRICE_KEY.search(k)
        and not _NOT_PRICE_KEY.search(k)
        and (v is None or isinstance(v, (int, float, str, dict, list)))
        and not isinstance(v, bool)
    ]


def _key_period(key: str) -> str | None:
    """`monthlyPrice` is a price per month, `yearly_price` one per year."""
    return {"monthly": "month", "annual": "year"}.get(_key_billing(key) or "")


def _key_billing(key: str) -> str | None:
    words = re.sub(r"([a-z])([A-Z])", r"\1_\2", key).lower()
    return billing_of_token(words.replace("_", "-"))


def _item_plan(
    item: dict[str, Any], ctx: dict[str, Any], lang: str | None, page_currency: str | None
) -> dict[str, Any] | None:
    name = _name(item)
    if not name:
        return None
    cur_raw = next(
        (
            item.get(k)
            for k in ("currency", "currencyCode", "currency_code", "priceCurrency")
            if isinstance(item.get(k), str)
        ),
        None,
    ) or next(
        (
            ctx[k]
            for k in ("currency", "currencyCode", "currency_code", "priceCurrency")
            if k in ctx
        ),
        None,
    )
    currency = currency_code(cur_raw, lang) if cur_raw else page_currency
    unit = next((str(item[k]) for k in _UNIT_KEYS if isinstance(item.get(k), str)), None) or next(
        (ctx[k] for k in _UNIT_KEYS if k in ctx), ""
    )
    prices: list[dict[str, Any]] = []
    for key in _price_keys(item):
        _collect(key, item[key], prices, currency, unit, lang, None)
    billings = {p["billing"] for p in prices}
    if "annual" in billings and None in billings:
        for p in prices:
            if p["billing"] is None:
                p["billing"] = "monthly"
    strings = [v for v in item.values() if isinstance(v, str)]
    custom = not prices and (
        any(CUSTOM_RE.match(s.strip()) for s in strings) or bool(item.get("custom"))
    )
    features: list[str] = []
    for k in _FEATURE_KEYS:
        v = item.get(k)
        if isinstance(v, list):
            for f in v:
                text = f if isinstance(f, str) else _name(f) if isinstance(f, dict) else None
                if text and text.strip() and text.strip() not in features:
                    features.append(text.strip())
            break
    return {
        "name": name,
        "prices": prices,
        "free": any(p["amount"] == 0 for p in prices),
        "custom": custom,
        "features": features,
    }


def _collect(
    key: str,
    value: Any,
    out: list[dict[str, Any]],
    currency: str | None,
    unit: str,
    lang: str | None,
    billing: str | None,
    cents: bool = False,
    depth: int = 0,
) -> None:
    """Read one price-ish value: a number, "$12", {"monthly": .., "annual": ..}, [{amount, interval}]."""
    billing = _key_billing(key) or billing
    cents = cents or bool(re.search(r"cents|unit_?amount|_minor", key, re.I))
    if depth > 3 or value is None:
        return
    if isinstance(value, dict):
        sub_unit = next((str(value[k]) for k in _UNIT_KEYS if isinstance(value.get(k), str)), unit)
        for k in _UNIT_KEYS:
            # Stripe-style {"recurring": {"interval": "month"}}: the unit one level down
            inner = value.get(k)
            if sub_unit == unit and isinstance(inner, dict):
                sub_unit = next(
                    (str(inner[j]) for j in _UNIT_KEYS if isinstance(inner.get(j), str)), unit
                )
        sub_billing = _key_billing(sub_unit) if sub_unit != unit else None
        sub_cur = next(
            (
                value[k]
                for k in ("currency", "currencyCode", "priceCurrency")
                if isinstance(value.get(k), str)
            ),
            None,
        )
        cur = currency_code(sub_cur, lang) if sub_cur else currency
        for k, v in value.items():
            if (
                _PRICE_KEY.search(k) or _key_billing(k) or k == "value"
            ) and not _NOT_PRICE_KEY.search(k):
                _collect(k, v, out, cur, sub_unit, lang, sub_billing or billing, cents, depth + 1)
        return
    if isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                _collect(key, v, out, currency, unit, lang, billing, cents, depth + 1)
        return
    cur = currency
    if isinstance(value, str):
        found = find_prices(value, lang)
        amount = found[0][2] if found else _number(value)
        if found:
            cur = found[0][3]
            cents = False
    else:
        amount = _number(value)
    if amount is None:
        return
    if cents:
        amount = amount_of(amount / 100)
    if any(p["amount"] == amount and p["billing"] == billing for p in out):
        return
    out.append(
        {
            "amount": amount,
            "currency": cur,
            "period": period_of(unit) if unit else _key_period(key),
            "billing": billing,
            "per_seat": is_per_seat(unit) if unit else False,
            "text": f"{amount:g} {cur or ''} {unit}".strip()[:100],
        }
    )
