"""Hostile or broken pages never crash the core: every extractor and diff, fuzzed.

Properties, for every page kind: arbitrary bytes decode and extract without raising;
extraction is deterministic; diff(a, a) is empty; a diff between two arbitrary pages
returns well-formed changes.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intel import extract as core
from intel.changes import EVENT_TYPES
from intel.extract.html import decode

KINDS = ["pricing", "changelog", "features", "page"]
URL = "https://rival.example/x"

# Fragments real pages are made of, so the fuzzer reaches deep into the extractors
# instead of stopping at "not HTML".
FRAGMENTS = [
    "<html>", "<body>", "<main>", "</div>", "<div class='plan card'>", "<h2>Pro</h2>", "<h3>",
    "<span>$</span>12<sup>.99</sup>", "1.299,00 €", "¥980", "₹1,499", "/month", "per user",
    "Contact sales", "Free", "<ul><li>SSO</li><li>Audit log</li></ul>", "<table><tr><th>Plan</th>",
    "<td>✓</td>", "<td>—</td>", "<time datetime='2026-11-18'>Nov 18</time>", "## v2.9.0",
    "<h2>[1.2.0] - 2024-01-01</h2>", "<script type='application/ld+json'>{\"offers\":",
    "<script id='__NEXT_DATA__' type='application/json'>{\"props\":", "<?xml version='1.0'?>",
    "<rss><channel><item><title>", "<feed xmlns='http://www.w3.org/2005/Atom'><entry>",
    "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", "&e;", "<blockquote>", "\x00",
    "\ufeff", "<meta charset='shift_jis'>", "<p>", "</p>", "<", ">", "&amp;", "&#xD800;",
]  # fmt: skip

page_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=40)), max_size=40).map(
    "".join
)
raw_bytes = st.one_of(
    st.binary(max_size=2000), page_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
)

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def well_formed(changes) -> None:
    for c in changes:
        assert c.type in EVENT_TYPES
        json.dumps(c.to_dict(), default=str)  # stored and printed as JSON


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(body=raw_bytes)
def test_arbitrary_bytes_never_crash_and_extraction_is_deterministic(kind, body):
    extractor = core.get(kind)
    html = decode(body, None)
    first = extractor.extract(html, URL)
    json.dumps(first, default=str)
    assert extractor.extract(html, URL) == first
    assert extractor.diff(first, first, None) == []
    assert isinstance(extractor.text(first), str)


@pytest.mark.parametrize("kind", KINDS)
@FUZZ
@given(a=page_text, b=page_text)
def test_diff_of_any_two_pages_is_well_formed(kind, a, b):
    extractor = core.get(kind)
    old, new = extractor.extract(a, URL), extractor.extract(b, URL)
    well_formed(extractor.diff(old, new, None))
    state = extractor.learn(old, new, None)
    json.dumps(state, default=str)
    well_formed(extractor.diff(old, new, state))


@given(
    body=st.binary(max_size=3000),
    ctype=st.one_of(
        st.none(),
        st.sampled_from(
            [
                "text/html",
                "text/html; charset=utf-8",
                "text/html; charset=latin-1",
                "text/html; charset=bogus-9",
                "text/html; charset=",
            ]
        ),
    ),
)
@FUZZ
def test_decode_never_raises(body, ctype):
    assert isinstance(decode(body, ctype), str)
