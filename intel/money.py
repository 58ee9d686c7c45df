"""Amounts as people read them: `$1,299`, `€12.50`, `CHF 129`, `Contact sales`.

One formatter for every place a price is shown (the why of an event, `intel plans`,
briefings), so the same price never reads two ways. babel knows the symbols.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=4096)
def money(amount: float | None, currency: str | None = None) -> str:
    """A price with its currency's symbol, without decimals when it is whole."""
    if amount is None:
        return "Contact sales"
    from babel.numbers import format_currency

    code = (currency or "").upper()
    # A usage price finer than the currency's cents keeps its digits: "$0.0025", not "$0.00".
    fine = round(amount, 2) != amount
    digits = f"{amount:,.6f}".rstrip("0") if fine else f"{amount:,.2f}"
    try:
        if not code:
            text = digits
        elif fine:
            text = format_currency(
                amount, code, locale="en_US", format="¤#,##0.00####", currency_digits=False
            )
        else:
            text = format_currency(amount, code, locale="en_US")
    except Exception:  # an unknown code still shows the number
        text = f"{digits} {code}".strip()
    return text.replace(".00", "", 1) if float(amount).is_integer() else text


def price_text(price: dict[str, Any]) -> str:
    """`$12.99/user/month (annual)` from one extracted price."""
    text = money(price.get("amount"), price.get("currency"))
    if price.get("amount") is None:
        return text
    unit = "/user" if price.get("per_seat") else ""
    period = {"month": "/month", "year": "/year", "one_time": " once"}.get(
        price.get("period") or "", ""
    )
    billing = f" ({price['billing']})" if price.get("billing") else ""
    return f"{text}{unit}{period}{billing}"
