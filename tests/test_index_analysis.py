"""The stemmed text fields' analyzer gives exactly whoosh's StemmingAnalyzer's words."""

from __future__ import annotations

import pytest
from whoosh.analysis import StemmingAnalyzer

from index.analysis import StemmedText
from index.schema import SCHEMA

TEXTS = [
    "Pricing: the Team plan now costs $29 per user per month, billed annually.",
    "We launched SSO (SAML 2.0) and SCIM provisioning for all Enterprise customers!",
    "A the of and to in is it I a b c x y z",  # stop words and one-letter words only
    "v2.3.1 released — fixes 3.14159 rounding; e.g. naïve café Überraschung straße",
    "prices priced pricing launches launched launching connections connected",
    "",
    "   \n\t  ",
    "日本語のテキスト 中文 한국어 and English mixed",
    "word " * 300,
]


def _words(analyzer, text: str, **kwargs) -> list[tuple]:
    return [(t.text, getattr(t, "pos", None), t.boost, t.stopped) for t in analyzer(text, **kwargs)]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize(
    "kwargs",
    [
        {"positions": True, "boosts": True, "mode": "index"},
        {"positions": True, "start_pos": 7},
        {},
        {"mode": "query"},
    ],
)
def test_same_words_positions_and_stems(text: str, kwargs: dict) -> None:
    assert _words(StemmedText(), text, **kwargs) == _words(StemmingAnalyzer(), text, **kwargs)


@pytest.mark.parametrize(
    "kwargs", [{"chars": True, "positions": True}, {"removestops": False}, {"tokenize": False}]
)
def test_other_calls_are_the_chains(kwargs: dict) -> None:
    text = TEXTS[0]
    fast = [(t.text, t.__dict__.get("startchar"), t.stopped) for t in StemmedText()(text, **kwargs)]
    chain = [
        (t.text, t.__dict__.get("startchar"), t.stopped) for t in StemmingAnalyzer()(text, **kwargs)
    ]
    assert fast == chain


def test_the_schema_indexes_with_it() -> None:
    assert isinstance(SCHEMA["text"].analyzer, StemmedText)
    assert isinstance(SCHEMA["title"].analyzer, StemmedText)
