"""The pricing extractor's shortcuts give what the slow path gives.

The speed work (benchmarks/bench_core.py, bench_pricing.py) replaced full reads by cheap
tests that must never change a result: a text skipped as "cannot be a Contact sales or
Free label" really cannot be one, a card read once reads like each item read alone.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intel.extract.pricing import extract_pricing
from intel.extract.pricing_dom import _LABEL_FIRST, _LABEL_PAIRS, clean
from intel.extract.pricing_money import CUSTOM_RE, FREE_RE

# Every alternative of the two label patterns, as a page could write it.
LABELS = [
    "custom", "Custom pricing", "custom plan", "Custom quote", "Contact us", "Contact sales",
    "contact sales for pricing", "Talk to us", "talk to sales", "Let's talk", "lets talk",
    "Get a quote", "get quote", "Request a quote", "request demo", "Request pricing",
    "On request", "Call us", "Book a call", "book a demo", "Price on request", "Tailored",
    "Flexible pricing", "Auf Anfrage", "Kontakt", "Kontaktieren Sie uns", "Preis auf Anfrage",
    "Sur devis", "Nous contacter", "Contactez-nous", "Contáctanos", "Contactanos", "A medida",
    "Su richiesta", "お問い合わせ", "お見積もり", "要相談", "联系我们", "문의",
    "Free", "free forever", "Gratis", "Kostenlos", "Gratuit", "Gratuito", "無料", "免费", "무료",
]  # fmt: skip


def _passes(text: str) -> bool:
    """The shortcut of `price_elements`: may this text be a label?"""
    return (
        text.lstrip()[:1].casefold() in _LABEL_FIRST and clean(text)[:2].casefold() in _LABEL_PAIRS
    )


def _variants(label: str) -> list[str]:
    """Case and spacing a page may use, including the two non-ASCII letters that match
    ASCII ones case-blind (Kelvin sign for k, long s for s)."""
    return [
        label,
        label.upper(),
        label.lower(),
        label.title(),
        f"  {label}!  ",
        label.replace(" ", "\u00a0 \n"),
        label.replace("k", "\u212a").replace("K", "\u212a"),
        label.replace("s", "\u017f"),
    ]


@pytest.mark.parametrize("label", LABELS)
def test_every_label_passes_the_prefilter(label: str) -> None:
    assert CUSTOM_RE.match(clean(label)) or FREE_RE.match(clean(label)), label
    for text in _variants(label):
        if CUSTOM_RE.match(clean(text)) or FREE_RE.match(clean(text)):
            assert _passes(text), repr(text)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(LABELS).flatmap(
        lambda lab: st.lists(
            st.sampled_from(sorted(set(lab + lab.upper() + " \u212a\u017fıİ\u00a0\n-!"))),
            min_size=1,
            max_size=len(lab) + 3,
        ).map("".join)
    )
)
def test_prefilter_never_drops_a_match(text: str) -> None:
    """Strings over the labels' own letters, any case: whatever the regexes match passes."""
    if CUSTOM_RE.match(clean(text)) or FREE_RE.match(clean(text)):
        assert _passes(text), repr(text)


@pytest.mark.parametrize(
    "label", ["CONTACT SALES", "LET'S TALK", "\u212aontakt", "Preis auf Anfrage"]
)
def test_custom_plan_in_any_case_is_read(label: str) -> None:
    """A 'Contact sales' plan beside priced plans is still read as custom."""
    html = (
        "<html><body><main><div class='g'>"
        "<div><h3>Team</h3><p>$12 per user/month</p></div>"
        "<div><h3>Business</h3><p>$29 per user/month</p></div>"
        f"<div><h3>Enterprise</h3><p>{label}</p></div>"
        "</div></main></body></html>"
    )
    plans = {p["name"]: p for p in extract_pricing(html)["plans"]}
    expect_custom = bool(CUSTOM_RE.match(label))
    assert "Enterprise" in plans
    assert plans["Enterprise"]["custom"] is expect_custom
    assert plans["Team"]["prices"][0]["amount"] == 12.0


def test_labels_list_covers_the_patterns() -> None:
    """A new alternative added to CUSTOM_RE/FREE_RE must be added to LABELS and to the
    prefilter's pairs: the count of top-level alternatives is pinned here."""

    def alternatives(pattern: str) -> int:
        body = re.match(r"\^\(\?:(.*)\)", pattern).group(1)
        depth, count = 0, 1
        for ch in body:
            depth += ch == "("
            depth -= ch == ")"
            count += ch == "|" and depth == 0
        return count

    assert alternatives(CUSTOM_RE.pattern) == 26
    assert alternatives(FREE_RE.pattern) == 8
