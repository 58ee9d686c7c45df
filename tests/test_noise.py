"""Noise never becomes an event: normalisation table, URLs, and property tests.

The property tests build random pages and apply only noise (timestamps, tokens,
counters, shuffled testimonials, class churn, the copyright year); every kind owned
here must stay silent, and diff(a, a) must always be empty.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intel.extract import get
from intel.extract.html import parse_plain
from intel.extract.noise import clean_url, normalize_text, split_sentences, strip_boilerplate


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Updated 3 minutes ago", "Updated 45 minutes ago"),
        ("Rendered at 02:14:09 UTC", "Rendered at 23:59:01 UTC"),
        ("Status as of Tuesday, November 18, 2025", "Status as of Wednesday, November 19, 2025"),
        ("Built 2025-11-18T02:47:16Z", "Built 2025-11-19T02:27:00Z"),
        ("15 people are viewing this page right now", "26 people are viewing this page right now"),
        ("Offer ends in 1d 16h 25m 14s", "Offer ends in 0d 15h 11m 09s"),
        ("© 2016–2025 Ferrum Ltd", "© 2016–2026 Ferrum Ltd"),
        ("Copyright 2025 Acme", "Copyright 2026 Acme"),
        (
            "request 3c967916-dd22-4710-b6e8-474af9ad4123",
            "request 648f8b31-62e4-4b28-92a6-638cf37da7f2",
        ),
        (
            "token AHeuCCO7AK_og1MZ42Pd4iBdQAIVKAj4PUnAvahpndU",
            "token 0AoBnR4M4w6TWXeCPNvyfLdrzqSNrkNIg0LZTdiCZWA",
        ),
        ("Only 3 left in stock", "Only 1 left in stock"),
        ("“Smart” quotes — and dashes", '"smart" quotes - and dashes'),
    ],
)
def test_noise_normalises_away(a: str, b: str) -> None:
    assert normalize_text(a) == normalize_text(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Free forever for teams of up to 10", "Free forever for teams of up to 5"),
        ("SOC 2 Type II", "SOC 2 Type I"),
        ("Starts at $12 per month", "Starts at $15 per month"),
        ("Now with vector search", "Now with full-text search"),
    ],
)
def test_real_differences_survive(a: str, b: str) -> None:
    assert normalize_text(a) != normalize_text(b)


def test_long_text_gets_the_same_key_as_short_text():
    # Texts over a thousand characters (legal copy, long release notes) skip the key
    # cache: the key must be the one the cached path gives, noise masked all the same.
    body = "Our terms apply to every plan and every seat. " * 30
    for a, b in [
        ("Updated 3 minutes ago. ", "Updated 45 minutes ago. "),
        ("© 2016–2025 Ferrum Ltd. ", "© 2016–2026 Ferrum Ltd. "),
    ]:
        assert len(a + body) > 1000
        assert normalize_text(a + body) == normalize_text(b + body)
        assert normalize_text(a + body).startswith(normalize_text(a.strip()))
    assert normalize_text("Free for 10 seats. " + body) != normalize_text(
        "Free for 5 seats. " + body
    )


def test_clean_url_drops_tracking_and_cache_busting() -> None:
    a = "https://x.example/features/?utm_source=web&_gl=1*abc&sid=f6a9551b0114&page=2"
    b = "https://x.example/features/?utm_source=mail&_gl=1*zzz&sid=dcf566be945b&page=2"
    assert clean_url(a) == clean_url(b) == "https://x.example/features/?page=2"
    assert clean_url("/_next/static/media/logo.61fb650c.svg?v=ad5a") == clean_url(
        "/_next/static/media/logo.d6390646.svg?v=434a"
    )


def test_sentences_split_on_full_stops_and_separators() -> None:
    assert split_sentences("Write, plan, and share. Together.") == [
        "Write, plan, and share.",
        "Together.",
    ]
    assert split_sentences("· SOC 2 · · ISO 27001 ·") == ["SOC 2", "ISO 27001"]


def test_strip_boilerplate_keeps_content_and_drops_chrome() -> None:
    html = """<html><body>
      <header><nav><a href="/">Home</a></nav></header>
      <main><header><h1>Kept title</h1></header><p>Kept text.</p>
        <div class="card-header">Kept card header</div>
        <div aria-live="polite">12 viewing</div>
        <div class="chat-launcher">Hi there</div><div class="feature-chat">Kept chat feature</div>
      </main>
      <div role="dialog">We use cookies</div><div id="cookie-notice">Cookies!</div>
      <footer>© 2025</footer><script>var x = 1;</script>
    </body></html>"""
    text = " ".join(strip_boilerplate(parse_plain(html)).itertext())
    for kept in ("Kept title", "Kept text.", "Kept card header", "Kept chat feature"):
        assert kept in text
    for gone in ("Home", "12 viewing", "Hi there", "cookies", "Cookies!", "© 2025", "var x"):
        assert gone not in text


# ---------------------------------------------------------------------------
# Property tests

WORDS = (
    "fast secure simple teams boards docs search reports invoices alerts billing "
    "workflow export import insights roles audit sync mobile offline templates forms "
    "payments calendar planning tracking goals analytics storage backups projects"
).split()
words = st.lists(st.sampled_from(WORDS), min_size=2, max_size=7).map(
    lambda ws: " ".join(ws).capitalize()
)


@st.composite
def pages(draw: st.DrawFn) -> dict:
    return {
        "headline": draw(words),
        "paras": draw(st.lists(words, min_size=1, max_size=4)),
        "features": draw(st.lists(words, min_size=2, max_size=6, unique=True)),
        "quotes": draw(st.lists(words, min_size=2, max_size=4, unique=True)),
        "rows": draw(st.lists(words, min_size=1, max_size=4, unique=True)),
        "checks": draw(st.lists(st.booleans(), min_size=12, max_size=12)),
    }


def render(p: dict, *, noise: dict | None = None) -> str:
    """A page in the shape of a SaaS site; `noise` varies only what must not count."""
    n = noise or {}
    cls = n.get("cls", "c1")
    token = n.get("token", "AHeuCCO7AK_og1MZ42Pd4iBdQAIVKAj4PUnAvahpndU")
    minutes = n.get("minutes", 3)
    viewers = n.get("viewers", 15)
    year = n.get("year", 2025)
    stamp = n.get("stamp", "2025-11-18 02:47:16")
    quotes = list(p["quotes"])
    features = list(p["features"])
    if n.get("seed") is not None:
        random.Random(n["seed"]).shuffle(quotes)
        random.Random(n["seed"] + 1).shuffle(features)
    checks = iter(p["checks"] * 4)
    rows = "".join(
        f"<tr><th scope='row'>{r}</th>"
        + "".join(f"<td>{'✓' if next(checks) else '—'}</td>" for _ in range(3))
        + "</tr>"
        for r in p["rows"]
    )
    return f"""<!doctype html><html><head><title>T</title>
<meta name="csrf-token" content="{token}"><script nonce="{token[:22]}">var t="{stamp}";</script>
<link rel="stylesheet" href="/static/app.{token[:8].lower()}.css?v={minutes}"></head>
<body class="{cls}-body"><!-- rendered {stamp} req={token[:12]} -->
<header class="{cls}-hd"><nav><a href="/?utm_source=x&sid={token[:10]}">Home</a></nav></header>
<main class="{cls}-main">
<h1 class="{cls}-h1">{p["headline"]}</h1>
{"".join(f'<p class="{cls}-p">{t}.</p>' for t in p["paras"])}
<p class="{cls}-meta">Updated {minutes} minutes ago</p>
<div class="{cls}-live">{viewers} people are viewing this page right now</div>
<div class="{cls}-grid">{"".join(f'<div class="{cls}-card"><h3>{f}</h3><p>About {f.lower()}.</p></div>' for f in features)}</div>
<table class="{cls}-t"><thead><tr><td></td><th>Free</th><th>Team</th><th>Business</th></tr></thead><tbody>{rows}</tbody></table>
<section class="testimonials">{"".join(f"<blockquote>{q}.</blockquote>" for q in quotes)}</section>
</main>
<footer class="{cls}-ft"><p>&copy; {year} Example Inc.</p></footer>
<div id="cookie-consent" role="dialog"><p>We use cookies {minutes}.</p></div>
</body></html>"""


noises = st.fixed_dictionaries(
    {
        "cls": st.sampled_from(["c1", "css-9f9ec8", "sc-a1b2c3", "x_Q7"]),
        "token": st.text(
            alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
            min_size=43,
            max_size=43,
        ).filter(lambda t: any(c.isdigit() for c in t) and any(c.isalpha() for c in t)),
        "minutes": st.integers(1, 59),
        "viewers": st.integers(2, 999),
        "year": st.integers(2024, 2031),
        "stamp": st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
        "seed": st.one_of(st.none(), st.integers(0, 10_000)),
    }
)

KINDS = ("page", "features")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(p=pages())
@pytest.mark.parametrize("kind", KINDS)
def test_diff_of_a_page_with_itself_is_empty(kind: str, p: dict) -> None:
    ex = get(kind)
    data = ex.extract(render(p), "https://x.example/")
    assert ex.diff(data, data, None) == []


@SETTINGS
@given(p=pages(), noise=noises)
@pytest.mark.parametrize("kind", KINDS)
def test_noise_only_mutations_yield_no_event(kind: str, p: dict, noise: dict) -> None:
    ex = get(kind)
    old = ex.extract(render(p), "https://x.example/")
    new = ex.extract(render(p, noise=noise), "https://x.example/")
    assert ex.diff(old, new, None) == []


@SETTINGS
@given(p=pages(), noise=noises, extra=words)
def test_a_real_new_sentence_is_still_found_under_noise(p: dict, noise: dict, extra: str) -> None:
    ex = get("page")
    extra = f"Announcing {extra} integration"
    changed = dict(p, paras=[*p["paras"], extra])
    old = ex.extract(render(p), "u")
    new = ex.extract(render(changed, noise=noise), "u")
    (change,) = ex.diff(old, new, None)
    assert any(extra in a for a in change.added)
    assert change.removed == []
