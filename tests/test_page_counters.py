"""Live counters in any wording are noise on a page; small limits, prices and rates are not."""

from __future__ import annotations

import pytest

from intel.extract import get

PAGE = """<html><body><main><h1>Design together</h1>
<p>Acme is the canvas for product teams.</p>
<p>{counter}</p><p>{limit}</p></main></body></html>"""

CASES = [
    ("viewers", "124 designers editing right now", "1,364 designers editing right now", False),
    (
        "deals",
        "9,009 deals closed in Acme this week",
        "9,464 deals closed in Acme this week",
        False,
    ),
    ("german", "Heute schon 2.310 Anmeldungen", "Heute schon 2.477 Anmeldungen", False),
    ("seat-limit", "Free for up to 3 users", "Free for up to 5 users", True),
    ("uptime", "99.9% uptime, guaranteed", "99.99% uptime, guaranteed", True),
    ("price", "Plans from $29 a month", "Plans from $39 a month", True),
    # running money totals tick like any counter, in any currency notation
    ("payout-total", "$48,213,907 paid out to creators", "$48,377,012 paid out to creators", False),
    (
        "euro-total-de",
        "1.204.556,40 € an Händler ausgezahlt",
        "1.209.118,90 € an Händler ausgezahlt",
        False,
    ),
    (
        "code-total",
        "GBP 3,402,118 saved in fees so far",
        "GBP 3,417,560 saved in fees so far",
        False,
    ),
    (
        "count-beside-price",
        "Starter at $29 a month, chosen by 1,204 shops",
        "Starter at $29 a month, chosen by 1,219 shops",
        False,
    ),
    # counts of thousands and millions written short are counters too ...
    ("stars-k", "★ 12.4k stars on GitHub", "★ 12.5k stars on GitHub", False),
    (
        "members-k",
        "Join 48.2K developers in our community",
        "Join 47.9K developers in our community",
        False,
    ),
    # ... but a short round claim, like any round claim, is news, and a unit is no magnitude
    ("round-claim-k", "Trusted by 10k+ teams", "Trusted by 20k+ teams", True),
    ("storage-unit", "25 GB of storage per seat", "50 GB of storage per seat", True),
    # ... but prices (with cents, in any locale) and round claims are news
    ("price-cents-eu", "Licences from €1.299,00 once", "Licences from €1.499,00 once", True),
    ("round-claim", "Trusted by 10,000 teams", "Trusted by 50,000 teams", True),
    ("round-claim-plus", "Loved by 2,500+ agencies", "Loved by 4,000+ agencies", True),
]


@pytest.mark.parametrize("before,after,reported", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_number_only_changes(before, after, reported):
    page = get("page")
    old = page.extract(PAGE.format(counter=before, limit="Start in minutes."), "https://a.example/")
    new = page.extract(PAGE.format(counter=after, limit="Start in minutes."), "https://a.example/")
    events = page.diff(old, new, None)
    assert bool(events) is reported, events
    if reported:
        assert any(after.split()[-2] in a for a in events[0].added)


TESTIMONIALS = """<html><body><main><h1>Data for the Mittelstand</h1>
<p>One platform for finance and operations.</p>
<section><h2>What customers say</h2>{quotes}</section></main></body></html>"""


def test_rotating_attributed_quotes_are_noise():
    figure = "<figure><blockquote>{q}</blockquote><figcaption>{w}</figcaption></figure>"
    cite = "<blockquote><p>{q}</p><footer>&mdash; <cite>{w}</cite></footer></blockquote>"
    page = get("page")
    for shape in (figure, cite):
        a = "".join(
            shape.format(q=q, w=w)
            for q, w in [
                ("Setup took one coffee.", "Tomás R."),
                ("Support answers fast.", "Ana P."),
            ]
        )
        b = shape.format(
            q="Our weekly review went from two hours to twenty minutes.", w="Marcus O."
        )
        old = page.extract(TESTIMONIALS.format(quotes=a), "https://f.example/")
        new = page.extract(TESTIMONIALS.format(quotes=b), "https://f.example/")
        assert page.diff(old, new, None) == []
