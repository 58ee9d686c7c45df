"""Pricing extraction and diff on golden pages of our own making (tests/data/pricing).

Each diff case is a page seen twice with the moves an analyst would report; each
extraction case pins what a reader of the plan table would see. The dev corpus runs too
when `../shared/corpus` is beside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intel.extract import get
from intel.extract.pricing import PricingExtractor

DATA = Path(__file__).parent / "data" / "pricing"
DIFF_CASES = json.loads((DATA / "diff_cases.json").read_text())
EXTRACT_CASES = json.loads((DATA / "extract_cases.json").read_text())
X = PricingExtractor()


def _read(name: str) -> dict:
    return X.extract((DATA / name).read_text(encoding="utf-8"), "https://rival.example/pricing")


def _matches(event: dict, expected: dict) -> bool:
    for k, v in expected.items():
        if isinstance(v, float) or isinstance(event.get(k), float):
            if event.get(k) is None or v is None or abs(event[k] - v) > 0.005:
                if not (event.get(k) is None and v is None):
                    return False
        elif event.get(k) != v:
            return False
    return True


@pytest.mark.parametrize("case", DIFF_CASES, ids=[c["id"] for c in DIFF_CASES])
def test_diff_reports_exactly_the_moves(case: dict) -> None:
    old, new = _read(f"{case['id']}.before.html"), _read(f"{case['id']}.after.html")
    events = [c.to_dict() for c in X.diff(old, new, None)]
    unmatched = list(events)
    for exp in case["events"]:
        hit = next((e for e in unmatched if _matches(e, exp)), None)
        assert hit is not None, f"missing {exp} in {events}"
        unmatched.remove(hit)
    assert not unmatched, f"unexpected {unmatched}"


@pytest.mark.parametrize("name", sorted(EXTRACT_CASES))
def test_extraction_golden(name: str) -> None:
    got = _read(name)
    want = EXTRACT_CASES[name]
    assert got["source"] == want["source"]
    assert [p["name"] for p in got["plans"]] == [p["name"] for p in want["plans"]]
    for g, w in zip(got["plans"], want["plans"], strict=True):
        assert (g["free"], g["custom"], g["features"]) == (w["free"], w["custom"], w["features"]), (
            g["name"]
        )
        shown = [
            {k: p[k] for k in ("amount", "currency", "period", "billing", "per_seat")}
            for p in g["prices"]
        ]
        assert shown == w["prices"], g["name"]


def test_localised_amounts_and_currencies() -> None:
    plans = {p["name"]: p["prices"][0] for p in _read("localised.html")["plans"]}
    assert (plans["Basis"]["amount"], plans["Basis"]["currency"]) == (9.99, "EUR")
    assert (plans["Unternehmen"]["amount"], plans["Unternehmen"]["period"]) == (1299.0, "year")
    assert (
        plans["Indien"]["amount"],
        plans["Indien"]["currency"],
        plans["Indien"]["per_seat"],
    ) == (1499.0, "INR", True)
    assert (plans["Japan"]["amount"], plans["Japan"]["currency"]) == (980.0, "JPY")
    assert (plans["Lifetime"]["amount"], plans["Lifetime"]["period"]) == (1299.0, "one_time")


def test_new_plan_is_one_event_not_its_features() -> None:
    events = X.diff(_read("hidden-spans.before.html"), _read("hidden-spans.after.html"), None)
    assert [e.type for e in events] == ["plan_added"]
    assert events[0].plan == "Team" and events[0].evidence["after"].startswith("Team")


def test_price_change_carries_what_the_classifier_needs() -> None:
    (event,) = X.diff(_read("split-cents.before.html"), _read("split-cents.after.html"), None)
    d = event.to_dict()
    assert (d["old_price"], d["new_price"], d["currency"], d["period"]) == (
        12.99,
        14.99,
        "USD",
        "month",
    )
    assert "12.99" in d["evidence"]["before"] and "14.99" in d["evidence"]["after"]
    assert "signal" not in d


def test_extraction_is_json_and_registered() -> None:
    data = _read("table-checks.before.html")
    assert json.loads(json.dumps(data)) == data
    assert isinstance(get("pricing"), PricingExtractor)
    assert "Compare plans" in X.text(data)


def test_unreadable_page_is_not_a_market_move() -> None:
    old = _read("split-cents.before.html")
    empty = X.extract("<html><body><p>Service unavailable</p></body></html>", "")
    assert empty["plans"] == []
    assert X.diff(old, empty, None) == []
    assert X.diff(empty, old, None) == []
    assert X.extract("", "")["plans"] == []


def _cards(*plans: tuple[str, str]) -> str:
    cards = "".join(
        f'<div class="tier"><h3>{name}</h3><p class="cost">{price} / month</p></div>'
        for name, price in plans
    )
    return f"<html lang='en'><body><h1>Plans</h1><div class='tiers'>{cards}</div></body></html>"


@pytest.mark.parametrize(
    ("lang", "price", "words", "period", "billing"),
    [
        ("nb", "1 290 kr", "per mnd. eks. mva.", "month", None),
        ("it", "€ 39,90", "/mese, fatturato annualmente", "month", "annual"),
        ("es", "29 €", "al mes, facturado anualmente", "month", "annual"),
        ("pt-BR", "R$ 49", "por mês, cobrado mensalmente", "month", "monthly"),
        ("nl", "€ 19", "per maand, jaarlijks gefactureerd", "month", "annual"),
        ("cs", "490 Kč", "za měsíc", "month", None),
        ("fi", "19 €", "/kk", "month", None),
        ("sv", "990 kr", "per år", "year", None),
    ],
)
def test_period_and_billing_read_in_the_pages_language(lang, price, words, period, billing):
    html = _cards(("Basic", f"{price} {words}")).replace("lang='en'", f"lang='{lang}'")
    html = html.replace(" / month", "")
    (plan,) = X.extract(html, "")["plans"]
    (got,) = plan["prices"]
    assert (got["period"], got["billing"]) == (period, billing)


def test_name_glued_to_its_tagline_by_markup_keeps_the_name() -> None:
    rows = "".join(
        f'<div role="row"><div role="rowheader"><span>{n}</span><span>{tag}</span></div>'
        f'<div role="cell"><span>{p}</span><span> per month</span></div></div>'
        for n, tag, p in [
            ("Hobby", "Side projects and tinkering", "$0"),
            ("Crew", "Small teams shipping weekly", "$30"),
            ("Fleet", "Many teams, one bill", "$90"),
        ]
    )
    page = f"<html><body><h1>Pricing</h1><div role='table'>{rows}</div></body></html>"
    assert [p["name"] for p in X.extract(page, "")["plans"]] == ["Hobby", "Crew", "Fleet"]


def test_contact_sales_with_a_typographic_apostrophe() -> None:
    page = _cards(("Solo", "$9"), ("Team", "$29")).replace(
        "</div></body>", "<div class='tier'><h3>Scale</h3><p>Let\u2019s talk</p></div></div></body>"
    )
    plans = {p["name"]: p for p in X.extract(page, "")["plans"]}
    assert plans["Scale"]["custom"] is True


def test_whole_page_switching_currency_is_not_a_price_move() -> None:
    # The crawler landed on another market: every price converted, none repriced.
    usd = X.extract(_cards(("Lite", "$15"), ("Plus", "$45"), ("Max", "$90")), "")
    gbp = X.extract(_cards(("Lite", "£12"), ("Plus", "£36"), ("Max", "£72")), "")
    assert [p["prices"][0]["currency"] for p in gbp["plans"]] == ["GBP"] * 3
    assert X.diff(usd, gbp, None) == []
    # A plan that really moves in the same currency is still reported...
    moved = X.extract(_cards(("Lite", "$15"), ("Plus", "$49"), ("Max", "$90")), "")
    assert [(c.plan, c.old_price, c.new_price) for c in X.diff(usd, moved, None)] == [
        ("Plus", 45, 49)
    ]
    # ...and so is one plan alone switching currency among unchanged ones.
    one = X.extract(_cards(("Lite", "$15"), ("Plus", "€45"), ("Max", "$90")), "")
    assert [c.plan for c in X.diff(usd, one, None)] == ["Plus"]


CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev"
STATIC = sorted(
    d.name
    for d in (CORPUS.iterdir() if CORPUS.is_dir() else [])
    if d.name.startswith("pricing-")
    and json.loads((d / "case.json").read_text()).get("render") == "static"
)


@pytest.mark.skipif(not STATIC, reason="shared dev corpus not present")
@pytest.mark.parametrize("case", STATIC)
def test_dev_corpus_static_cases(case: str) -> None:
    from intel.extract.html import decode

    d = CORPUS / case
    old = X.extract(decode((d / "before.html").read_bytes()), "")
    new = X.extract(decode((d / "after.html").read_bytes()), "")
    events = [c.to_dict() for c in X.diff(old, new, None)]
    expected = json.loads((d / "expected.json").read_text())["events"]
    keys = ("type", "old_price", "new_price", "currency", "period", "billing")
    for exp in expected:
        want = {k: exp[k] for k in keys if k in exp}
        assert any(_matches(e, want) for e in events), f"missing {exp}"
    assert len(events) == len(expected), events


def test_text_split_by_comments_reads_as_written() -> None:
    # React and other server renderers put empty comments between text pieces.
    page = (
        "<html><body><main><div class='grid'>"
        "<div><h3>Team</h3><p><span>$<!-- -->12</span> per user/month</p></div>"
        "<div><h3>Enterprise</h3><p>Contact<!-- --> sales</p></div>"
        "<div><h3>Starter</h3><p>$<!-- -->5<!-- -->/mo</p></div>"
        "</div></main></body></html>"
    )
    plans = {p["name"]: p for p in X.extract(page, "")["plans"]}
    assert (plans["Team"]["prices"][0]["amount"], plans["Team"]["prices"][0]["per_seat"]) == (
        12.0,
        True,
    )
    assert plans["Enterprise"]["custom"] and not plans["Enterprise"]["prices"]
    assert plans["Starter"]["prices"][0]["amount"] == 5.0


def test_benchmark_page_reads_every_plan() -> None:
    # The page benchmarks/bench_pricing.py times: what it times must stay a correct read.
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from benchmarks.bench_pricing import build_page

    data = X.extract(build_page(29), "")
    plans = {p["name"]: p for p in data["plans"]}
    assert list(plans) == ["Free", "Starter", "Pro", "Business", "Scale", "Enterprise"]
    pro = {(p["billing"], p["amount"]) for p in plans["Pro"]["prices"]}
    assert pro == {("monthly", 29.0), ("annual", 23.2)}
    assert len(plans["Pro"]["features"]) > 12  # card bullets and checked table rows
    events = X.diff(data, X.extract(build_page(35), ""), None)
    assert {(e.type, e.plan, e.old_price, e.new_price) for e in events} == {
        ("price_change", "Pro", 29.0, 35.0),
        ("price_change", "Pro", 23.2, 28.0),
    }
