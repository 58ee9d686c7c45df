"""Pricing markup the dev corpus does not show, read as a visitor reads it.

Each test is one way real pricing pages are built (found by writing held-out pages of
other builders: tests/data/heldout/pricing-*): a table with one row per plan, prices in a
comparison table's header row, plan cards as list items, names only in an aria-label,
currency switchers, UK "pcm", periods written before the amount, Stripe objects in
`__NEXT_DATA__`, a Nuxt 2 state function, JSON-LD unit codes.
"""

from __future__ import annotations

import json

import pytest

from intel.extract.pricing import PricingExtractor

X = PricingExtractor()
URL = "https://rival.example/pricing"


def _page(body: str, lang: str = "en", head: str = "") -> str:
    return f'<html lang="{lang}"><head><title>Pricing</title>{head}</head><body><main>{body}</main></body></html>'


def _plans(html: str) -> dict[str, dict]:
    return {p["name"]: p for p in X.extract(html, URL)["plans"]}


def _price(plan: dict) -> tuple:
    return tuple((p["amount"], p["currency"], p["period"], p["billing"]) for p in plan["prices"])


def _diff(before: str, after: str) -> list[dict]:
    return [c.to_dict() for c in X.diff(X.extract(before, URL), X.extract(after, URL))]


ROWS = """<table><thead><tr><th>Plan</th><th>Price</th><th>Users</th><th></th></tr></thead><tbody>
<tr><th>Starter</th><td>$9 / month</td><td>1</td><td><a href="/s">Select</a></td></tr>
<tr><th>Team</th><td>{team}</td><td>10</td><td><a href="/s">Select</a></td></tr>
<tr><th>Enterprise</th><td>Contact us</td><td>Unlimited</td><td><a href="/s">Select</a></td></tr>
</tbody></table>"""


def test_a_table_with_one_row_per_plan_gives_one_plan_per_row() -> None:
    plans = _plans(_page(ROWS.format(team="$29 / month")))
    assert list(plans) == ["Starter", "Team", "Enterprise"]
    assert _price(plans["Team"]) == ((29.0, "USD", "month", None),)
    assert plans["Enterprise"]["custom"] and "Users: 10" in plans["Team"]["features"]
    moves = _diff(_page(ROWS.format(team="$29 / month")), _page(ROWS.format(team="$35 / month")))
    assert [(m["type"], m["plan"], m["old_price"], m["new_price"]) for m in moves] == [
        ("price_change", "Team", 29.0, 35.0)
    ]


def test_row_table_columns_say_billing_and_period() -> None:
    table = """<table><tr><th>Tarif</th><th>Monatlich</th><th>Jährlich (pro Monat)</th></tr>
    <tr><td><strong>Mittel</strong><br><span>Für Händler</span></td><td>59 €</td><td>49 €</td></tr>
    <tr><td><strong>Groß</strong><br><span>Für Marken</span></td><td>119 €</td><td>99 €</td></tr></table>"""
    plans = _plans(_page(table, lang="de-AT"))
    assert _price(plans["Mittel"]) == (
        (59.0, "EUR", "month", "monthly"),
        (49.0, "EUR", "month", "annual"),
    )


def test_a_comparison_table_is_not_mistaken_for_rows_of_plans() -> None:
    table = """<table><tr><th></th><th>Basic</th><th>Pro</th></tr>
    <tr><td>Price</td><td>$10/mo</td><td>$20/mo</td></tr>
    <tr><td>Extra seat</td><td>$5/mo</td><td>$4/mo</td></tr>
    <tr><td>Storage add-on</td><td>$1/mo</td><td>$1/mo</td></tr></table>"""
    assert set(_plans(_page(table))) == {"Basic", "Pro"}


HEADER = """<table><thead><tr><th></th><th>Basis<div class='price'>CHF 19.–<small> / Monat</small></div></th>
<th>Firma<div class='price'>{firma}<small> / Monat</small></div></th></tr></thead>
<tbody><tr><td>Benutzer</td><td>1</td><td>Unbegrenzt</td></tr></tbody></table>"""


def test_prices_in_a_comparison_tables_header_row_and_contact_sales() -> None:
    before, after = (
        _page(HEADER.format(firma=f), lang="de-CH") for f in ("CHF 129.–", "Auf Anfrage")
    )
    assert _price(_plans(before)["Firma"]) == ((129.0, "CHF", "month", None),)
    assert _plans(after)["Firma"]["custom"]
    moves = _diff(before, after)
    assert [(m["type"], m["plan"], m["old_price"], m["new_price"]) for m in moves] == [
        ("price_change", "Firma", 129.0, None)
    ]


def test_header_name_run_together_with_contact_us() -> None:
    table = """<table><tr><th></th><th><span>Core</span><span>£6</span><span>/user/mo</span></th>
    <th><span>Enterprise</span><span>Contact us</span></th></tr>
    <tr><td>SSO</td><td>—</td><td>✓</td></tr></table>"""
    plans = _plans(_page(table, lang="en-GB"))
    assert set(plans) == {"Core", "Enterprise"} and plans["Enterprise"]["custom"]
    assert _price(plans["Core"]) == ((6.0, "GBP", "month", None),)


def test_list_items_built_like_cards_are_plans_and_bold_text_names_them() -> None:
    items = "".join(
        f'<li><b>{n}</b><div>{p}<small>/month</small></div><p>For {n}</p><a href="/buy">Buy</a></li>'
        for n, p in [("Personal", "$5"), ("Family", "$9")]
    )
    plans = _plans(_page(f"<ol>{items}</ol>"))
    assert {n: _price(p) for n, p in plans.items()} == {
        "Personal": ((5.0, "USD", "month", None),),
        "Family": ((9.0, "USD", "month", None),),
    }


def test_a_feature_bullet_with_a_price_is_still_not_a_plan() -> None:
    card = (
        '<div class="c"><h3>{n}</h3><p>{p}/mo</p><ul><li>Extra seats $5/mo</li>'
        "<li>Unlimited <span>projects</span></li></ul></div>"
    )
    plans = _plans(_page(card.format(n="Pro", p="$20") + card.format(n="Max", p="$40")))
    assert {n: _price(p) for n, p in plans.items()} == {
        "Pro": ((20.0, "USD", "month", None),),
        "Max": ((40.0, "USD", "month", None),),
    }


def test_card_names_from_aria_label_or_artwork_alt() -> None:
    cards = "".join(
        f'<div aria-label="{n} plan"><div><img src="/{n}.png" alt="{n}"></div><p>€{p} / month</p></div>'
        for n, p in [("Solo", 9), ("Crew", 24)]
    )
    assert set(_plans(_page(f"<div>{cards}</div>"))) == {"Solo plan", "Crew plan"}
    cards = "".join(
        f'<div><div><img src="/{n}.png" alt="{n}"></div><p>€{p} / month</p></div>'
        for n, p in [("Solo", 9), ("Crew", 24)]
    )
    assert set(_plans(_page(f"<div>{cards}</div>"))) == {"Solo", "Crew"}


def test_a_currency_switcher_reads_the_currency_shown() -> None:
    def page(order: list[str]) -> str:
        amounts = {"usd": "$20", "eur": "19 €", "gbp": "£16"}
        spans = "".join(
            f'<span data-currency="{c}"{"" if c == "usd" else " hidden"}>{amounts[c]}</span>'
            for c in order
        )
        other = spans.replace("$20", "$45").replace("19 €", "42 €").replace("£16", "£36")
        return _page(
            f"<div><div><h3>Pro</h3><p>{spans} per month</p></div><div><h3>Max</h3><p>{other} per month</p></div></div>"
        )

    assert _price(_plans(page(["usd", "eur", "gbp"]))["Pro"]) == ((20.0, "USD", "month", None),)
    assert _diff(page(["usd", "eur", "gbp"]), page(["eur", "gbp", "usd"])) == []


def test_uk_pcm_and_a_period_written_before_the_amount() -> None:
    cards = "<div><div><h3>A</h3><p>£8 pcm</p></div><div><h3>B</h3><p>£19 pcm</p></div></div>"
    assert _price(_plans(_page(cards, lang="en-GB"))["A"]) == ((8.0, "GBP", "month", None),)
    cards = "<div><div><h3>ライト</h3><p>月額 <span>980</span>円</p></div><div><h3>プロ</h3><p>月額 <span>2,980</span>円</p></div></div>"
    assert _price(_plans(_page(cards, lang="ja"))["プロ"]) == ((2980.0, "JPY", "month", None),)


def test_a_card_showing_monthly_and_yearly_prices_says_the_billing_of_each() -> None:
    card = "<div><h3>{n}</h3><p><b>${m}</b>/mo</p><p>or ${y}/yr (save 17%)</p></div>"
    body = (
        "<div>"
        + card.format(n="Personal", m=8, y=80)
        + card.format(n="Plus", m=29, y=290)
        + "</div>"
    )
    assert _price(_plans(_page(body))["Plus"]) == (
        (29.0, "USD", "month", "monthly"),
        (290.0, "USD", "year", "annual"),
    )


def test_stripe_products_in_next_data_are_in_cents_with_a_recurring_interval() -> None:
    data = {"props": {"pageProps": {"products": [
        {"name": n, "prices": [{"unit_amount": a, "currency": "usd", "recurring": {"interval": "month"}}]}
        for n, a in [("Free", 0), ("Team", 1200), ("Org", 2400)]
    ]}}}  # fmt: skip
    html = _page(
        f'<div id="__next"></div><script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>'
    )
    assert _price(_plans(html)["Team"])[0][:3] == (12.0, "USD", "month")


def test_nuxt2_state_function_is_read_with_its_arguments() -> None:
    script = (
        '<script>window.__NUXT__=(function(a,b,c){return {data:[{plans:[{name:"Starter",price:b,'
        'currency:a,period:c},{name:"Pro",price:39,currency:a,period:c,features:["Logic"]}]}],'
        'error:null,serverRendered:true}}("USD",19,"month"));</script>'
    )
    plans = _plans(_page('<div id="__nuxt"></div>' + script))
    assert _price(plans["Pro"]) == ((39.0, "USD", "month", None),)
    assert _price(plans["Starter"]) == ((19.0, "USD", "month", None),)


def test_json_ld_reference_quantity_gives_the_period() -> None:
    ld = {"@context": "https://schema.org", "@type": "SoftwareApplication", "name": "X", "offers": [
        {"@type": "Offer", "name": n, "price": p, "priceCurrency": "EUR", "priceSpecification": {
            "@type": "UnitPriceSpecification", "price": p, "priceCurrency": "EUR",
            "referenceQuantity": {"@type": "QuantitativeValue", "value": 1, "unitCode": "MON"}}}
        for n, p in [("Basic", 9), ("Plus", 24)]]}  # fmt: skip
    html = _page("", head=f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    assert _price(_plans(html)["Plus"]) == ((24.0, "EUR", "month", None),)


def test_a_lone_check_mark_in_a_comparison_table_means_included() -> None:
    def page(growth: str) -> str:
        return _page(
            "<table><tr><th></th><th><h3>Starter</h3><p>$15</p></th><th><h3>Growth</h3><p>$49</p></th></tr>"
            f"<tr><td>Email</td><td>✔</td><td>✓</td></tr><tr><td>SLA</td><td>✘</td><td>{growth}</td></tr></table>"
        )

    plans = _plans(page(""))
    assert plans["Starter"]["features"] == ["Email"] and plans["Growth"]["features"] == ["Email"]
    moves = _diff(page(""), page("✔️"))
    assert [(m["type"], m["feature"], m["plan"]) for m in moves] == [
        ("feature_added", "SLA", "Growth")
    ]


def test_an_approximate_conversion_next_to_a_price_is_not_a_price() -> None:
    def page(eur: str) -> str:
        card = "<div><h3>{n}</h3><p>${p}<span>/month</span></p><p>≈ €{e} at today's rate</p></div>"
        return _page(
            "<div>"
            + card.format(n="Indie", p=20, e=eur)
            + card.format(n="Team", p=80, e="73.60")
            + "</div>"
        )

    assert _price(_plans(page("18.40"))["Indie"]) == ((20.0, "USD", "month", None),)
    assert _diff(page("18.40"), page("18.52")) == []


def test_cards_without_headings_or_name_classes_are_named_by_their_first_line() -> None:
    card = '<div><p class="text">{n}</p><p class="text">For {n}</p><p class="text">{p}</p><p class="text">per seat / month</p></div>'
    body = (
        "<div>"
        + "".join(card.format(n=n, p=p) for n, p in [("Basic", "$6"), ("Team", "$12")])
        + "</div>"
    )
    plans = _plans(_page(body))
    assert {n: _price(p) for n, p in plans.items()} == {
        "Basic": ((6.0, "USD", "month", None),),
        "Team": ((12.0, "USD", "month", None),),
    }


def test_an_add_on_table_beside_plan_cards_adds_no_plans() -> None:
    def page(rows: str) -> str:
        cards = "<div><div><h3>Team</h3><p>$19 / month</p></div><div><h3>Company</h3><p>$49 / month</p></div></div>"
        return _page(
            f"{cards}<table><tr><th>Add-on</th><th>Price</th></tr><tr><td>Extra seat</td><td>$5 / month</td></tr>{rows}</table>"
        )

    extra = "<tr><td>Storage</td><td>$2 / month</td></tr>"
    assert set(_plans(page(extra))) == {"Team", "Company"}
    assert (
        _diff(page(extra), page(extra + "<tr><td>SMS credits</td><td>$12 / month</td></tr>")) == []
    )


def test_the_words_before_a_yearly_total_give_the_monthly_price_its_terms() -> None:
    card = "<div><h2>{n}</h2><p>${m}</p><p>per month, billed annually (${y} per year)</p></div>"
    body = (
        "<div>"
        + card.format(n="Growth", m=99, y="1,188")
        + card.format(n="Scale", m=249, y="2,988")
        + "</div>"
    )
    assert _price(_plans(_page(body))["Growth"]) == (
        (99.0, "USD", "month", "annual"),
        (1188.0, "USD", "year", "annual"),
    )


TOGGLE = """<div role="tablist"><button>Monthly</button><button>Annual (save 20%)</button></div>
<div class="cards"><div class="card"><h3>Solo</h3>
<span class="price" data-monthly="{solo}" data-annual="10">$<span class="amt">{solo}</span>/mo</span></div>
<div class="card"><h3>Crew</h3>
<span class="price" data-monthly="30" data-annual="24">$<span class="amt">30</span>/mo</span></div></div>"""


def test_bare_toggle_amounts_keep_the_currency_and_period_shown_around_them() -> None:
    # The toggle's attributes hold bare numbers; "$" and "/mo" are only in the markup.
    plans = _plans(_page(TOGGLE.format(solo=12)))
    assert _price(plans["Solo"]) == (
        (12.0, "USD", "month", "monthly"),
        (10.0, "USD", "month", "annual"),
    )
    assert _price(plans["Crew"]) == (
        (30.0, "USD", "month", "monthly"),
        (24.0, "USD", "month", "annual"),
    )
    moves = _diff(_page(TOGGLE.format(solo=12)), _page(TOGGLE.format(solo=15)))
    assert [
        (m["type"], m["plan"], m["old_price"], m["new_price"], m["billing"]) for m in moves
    ] == [("price_change", "Solo", 12.0, 15.0, "monthly")]


DEFINITIONS = """<h1>Pricing</h1><dl class="pricing"><dt>Hobby</dt><dd>Free</dd>
<dt>Pro</dt><dd>{pro} per month</dd><dt>Team</dt><dd>$49 per month</dd></dl>"""


def test_a_definition_list_names_each_price_by_its_term() -> None:
    plans = _plans(_page(DEFINITIONS.format(pro="$12")))
    assert list(plans) == ["Hobby", "Pro", "Team"]
    assert plans["Hobby"]["free"]
    assert _price(plans["Pro"]) == ((12.0, "USD", "month", None),)
    moves = _diff(_page(DEFINITIONS.format(pro="$12")), _page(DEFINITIONS.format(pro="$15")))
    assert [(m["type"], m["plan"], m["old_price"], m["new_price"]) for m in moves] == [
        ("price_change", "Pro", 12.0, 15.0)
    ]


def test_a_tooltip_added_to_a_feature_is_no_new_feature() -> None:
    card = '<div class="plan"><h3>Team</h3><p>$20/month</p><ul><li>SSO{tip}</li><li>API</li></ul></div>'
    other = '<div class="plan"><h3>Business</h3><p>$50/month</p><ul><li>Audit log</li></ul></div>'
    tip = ' <span role="tooltip">Single sign-on with SAML or OIDC</span>'
    before, after = _page(card.format(tip="") + other), _page(card.format(tip=tip) + other)
    assert "SSO" in _plans(after)["Team"]["features"]
    assert _diff(before, after) == []


USAGE = """<div class="grid"><div class="plan"><h3>Pay as you go</h3><p>{req} per request</p></div>
<div class="plan"><h3>Committed</h3><p>$500/month includes 1M requests</p></div></div>"""


def test_usage_prices_finer_than_a_cent_are_read_and_moves_between_them_seen() -> None:
    plans = _plans(_page(USAGE.format(req="$0.002")))
    assert _price(plans["Pay as you go"]) == ((0.002, "USD", None, None),)
    assert not plans["Pay as you go"].get("free")
    moves = _diff(_page(USAGE.format(req="$0.002")), _page(USAGE.format(req="$0.0015")))
    assert [(m["type"], m["plan"], m["old_price"], m["new_price"]) for m in moves] == [
        ("price_change", "Pay as you go", 0.002, 0.0015)
    ]


def test_a_usage_price_reads_with_its_digits() -> None:
    from intel.money import money

    assert money(0.0025, "EUR") == "€0.0025"
    assert money(0.002, "USD") == "$0.002"
    assert money(12.5, "USD") == "$12.50" and money(1299.0, "USD") == "$1,299"


PANELS = """<div role="tablist"><button role="tab">Monthly</button><button role="tab">Yearly</button></div>
<div role="tabpanel" id="monthly"><div class="grid">
<div class="plan"><h3>Team</h3><p>$20/month</p></div><div class="plan"><h3>Business</h3><p>$50/month</p></div></div></div>
<div role="tabpanel" id="yearly" hidden><div class="grid">
<div class="plan"><h3>Team</h3><p>{team}/month</p></div><div class="plan"><h3>Business</h3><p>$40/month</p></div></div></div>"""


def test_a_tab_panel_per_billing_says_which_billing_its_prices_are() -> None:
    plans = _plans(_page(PANELS.format(team="$16")))
    assert _price(plans["Team"]) == (
        (20.0, "USD", "month", "monthly"),
        (16.0, "USD", "month", "annual"),
    )
    moves = _diff(_page(PANELS.format(team="$16")), _page(PANELS.format(team="$18")))
    assert [(m["plan"], m["old_price"], m["new_price"], m["billing"]) for m in moves] == [
        ("Team", 16.0, 18.0, "annual")
    ]


def test_a_billing_line_under_the_price_says_how_it_is_billed() -> None:
    cards = (
        '<div class="p"><h3>Team</h3><p>$16<span>/user/mo</span></p><small>Billed annually</small></div>'
        '<div class="p"><h3>Biz</h3><p>$40/user/mo</p><small>Billed monthly</small></div>'
        '<div class="p"><h3>Max</h3><p>$90/user/mo</p><p>Save 20% when billed yearly</p></div>'
    )
    plans = _plans(_page(f'<div class="grid">{cards}</div>'))
    assert _price(plans["Team"]) == ((16.0, "USD", "month", "annual"),)
    assert _price(plans["Biz"]) == ((40.0, "USD", "month", "monthly"),)
    # a promise about the other billing is not this price's billing
    assert _price(plans["Max"]) == ((90.0, "USD", "month", None),)


def test_a_price_billed_monthly_is_a_monthly_price() -> None:
    card = '<div class="p"><h3>{n}</h3><p>${a} per seat/month billed annually</p><p>${m} billed monthly</p></div>'
    grid = card.format(n="Plus", a=10, m=12) + card.format(n="Business", a=15, m=18)
    plans = _plans(_page(f'<div class="grid">{grid}</div>'))
    assert _price(plans["Plus"]) == (
        (10.0, "USD", "month", "annual"),
        (12.0, "USD", "month", "monthly"),
    )


ARIA = """<div role="table"><div role="row"><div role="columnheader"></div>
<div role="columnheader">Starter</div><div role="columnheader">Pro</div></div>
<div role="row"><div role="rowheader">Price</div><div role="cell">$9/mo</div><div role="cell">{pro}/mo</div></div>
<div role="row"><div role="rowheader">SSO</div><div role="cell">—</div><div role="cell">✓</div></div></div>"""


def test_a_comparison_table_of_divs_with_aria_roles_reads_as_a_table() -> None:
    plans = _plans(_page(ARIA.format(pro="$29")))
    assert list(plans) == ["Starter", "Pro"]
    assert _price(plans["Pro"]) == ((29.0, "USD", "month", None),)
    assert plans["Pro"]["features"] == ["SSO"] and plans["Starter"]["features"] == []
    moves = _diff(_page(ARIA.format(pro="$29")), _page(ARIA.format(pro="$35")))
    assert [(m["plan"], m["old_price"], m["new_price"]) for m in moves] == [("Pro", 29.0, 35.0)]


GRID = """<div class="grid"><div class="row"><div>Starter</div><div>Pro</div><div>Scale</div></div>
<div class="row"><div>$9/mo</div><div>{pro}/mo</div><div>Contact sales</div></div>
<div class="row"><div>1 seat</div><div>5 seats</div><div>20 seats</div></div></div>"""


def test_a_grid_of_divs_with_a_row_of_names_over_a_row_of_prices_pairs_them_by_column() -> None:
    # Read as cards, every price went to the first name.
    plans = _plans(_page(GRID.format(pro="$29")))
    assert [(n, _price(p)) for n, p in plans.items()] == [
        ("Starter", ((9.0, "USD", "month", None),)),
        ("Pro", ((29.0, "USD", "month", None),)),
        ("Scale", ()),
    ]
    assert plans["Scale"]["custom"]
    moves = _diff(_page(GRID.format(pro="$29")), _page(GRID.format(pro="$35")))
    assert [(m["plan"], m["old_price"], m["new_price"]) for m in moves] == [("Pro", 29.0, 35.0)]


@pytest.mark.parametrize(
    ("lang", "shown", "amount", "currency"),
    [
        ("ko", "월 9,900원", 9900.0, "KRW"),
        ("tr", "₺99/ay", 99.0, "TRY"),
        ("pl", "49 zł/mc", 49.0, "PLN"),
        ("hu", "2 990 Ft/hó", 2990.0, "HUF"),
        ("id", "Rp 99.000/bulan", 99000.0, "IDR"),
        ("he", "₪49 לחודש", 49.0, "ILS"),
        ("zh", "每月 ¥99", 99.0, "CNY"),
    ],
)
def test_monthly_prices_in_more_languages(
    lang: str, shown: str, amount: float, currency: str
) -> None:
    cards = f'<div class="c"><h3>Basic</h3><p>{shown}</p></div><div class="c"><h3>Pro</h3><p>x</p></div>'
    plans = _plans(_page(f'<div class="g">{cards}</div>', lang=lang))
    assert _price(plans["Basic"]) == ((amount, currency, "month", None),)
