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
