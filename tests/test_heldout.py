"""Held-out golden set: pages of other builders, languages and phrasings than the dev corpus.

tests/data/heldout/<case>/ is in the corpus format of shared/eval/FORMAT.md (case.json,
before.html, after.html, expected.json). Each case runs in-process through the same
path as `intel diff` (extract -> diff -> classify_many) and is matched by the rules of
shared/eval/score.py, re-implemented here so the test never needs ../shared.

Pricing cases are held to the same bar: every one passed once the pricing extractor
learned their markup, so a miss is a regression, not an expected failure.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from intel import extract as core
from intel.classify import classify_many, load_rules
from intel.extract.html import decode

DATA = Path(__file__).parent / "data" / "heldout"
CASES = sorted(p.name for p in DATA.iterdir() if (p / "case.json").is_file())

# ---------------------------------------------------------------- matching (FORMAT.md)


def _fold(text: Any) -> str:
    if text is None:
        return ""
    if isinstance(text, (list, tuple)):
        text = "\n".join(str(t) for t in text if t is not None)
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    return s.translate({0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-",
                        0x2014: "-", 0x2212: "-", 0x00A0: " "})  # fmt: skip


def _plan(name: Any) -> str:
    s = re.sub(r"[^\w\s]|_", " ", _fold(name))
    return " ".join(w for w in s.split() if w not in {"plan", "plans", "tier", "tiers"})


def _tokens(text: Any) -> list[str]:
    s = re.sub(r"(?<![\w.])v(?=\d)", "", _fold(text))
    return re.findall(r"\d+(?:[.,]\d+)*|[^\W_]+", s)


def _similar(a: Any, b: Any) -> bool:
    ta, tb = _tokens(a), _tokens(b)
    return difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio() >= 0.8


def _price(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return abs(float(a) - float(b)) <= 0.005 + 1e-9
    except (TypeError, ValueError):
        return False


def _ws(text: Any) -> str:
    if isinstance(text, (list, tuple)):
        return " \u00b6 ".join(_ws(t) for t in text if t is not None)
    return " ".join(_fold(text).split())


def matches(exp: dict[str, Any], emi: dict[str, Any]) -> bool:
    """True when emitted event `emi` stands for expected event `exp` (score.py's rules)."""
    kind = exp["type"]
    if emi.get("type") != kind:
        return False
    if kind in ("price_change", "plan_added", "plan_removed"):
        if _plan(exp.get("plan")) != _plan(emi.get("plan")):
            return False
    if kind == "price_change":
        if not (_price(exp.get("old_price"), emi.get("old_price"))
                and _price(exp.get("new_price"), emi.get("new_price"))):  # fmt: skip
            return False
        return all(
            exp.get(k) is None or _fold(exp[k]).strip() == _fold(emi.get(k)).strip()
            for k in ("currency", "period", "billing")
        )
    if kind in ("feature_added", "feature_removed"):
        if not _similar(exp.get("feature"), emi.get("feature")):
            return False
        return exp.get("plan") is None or _plan(exp["plan"]) == _plan(emi.get("plan"))
    if kind == "changelog_entry":
        if not _similar(exp.get("title"), emi.get("title")):
            return False
        return exp.get("date") is None or str(exp["date"]) == str(emi.get("date") or "")[:10]
    if kind == "content_change":
        for key in ("added", "removed"):
            text = _ws(emi.get(key))
            if any(_ws(p) not in text for p in exp.get(key) or [] if str(p).strip()):
                return False
    return True


def match_all(expected: list[dict], emitted: list[dict]) -> tuple[list[dict], list[dict]]:
    """(missed expected, unmatched emitted) under a one-to-one matching (augmenting paths)."""
    cands = [[j for j, e in enumerate(emitted) if matches(x, e)] for x in expected]
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in cands[i]:
            if j not in seen:
                seen.add(j)
                if j not in owner or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(expected)):
        augment(i, set())
    found = set(owner.values())
    missed = [x for i, x in enumerate(expected) if i not in found]
    extra = [e for j, e in enumerate(emitted) if j not in owner]
    return missed, extra


# ---------------------------------------------------------------- the golden set


def run_case(name: str) -> tuple[dict, list[dict]]:
    d = DATA / name
    case = json.loads((d / "case.json").read_text(encoding="utf-8"))
    expected = json.loads((d / "expected.json").read_text(encoding="utf-8"))
    extractor = core.get(case["kind"])
    if case.get("render") == "browser":
        # Built by JavaScript: rendered in Chromium as `intel diff --render browser` does.
        from intel.render import render_files

        pages = render_files(
            [d / "before.html", d / "after.html"], url=case["url"], wait_for=case.get("wait_for")
        )
    else:
        pages = [decode((d / f).read_bytes()) for f in ("before.html", "after.html")]
    old, new = (extractor.extract(html, case["url"]) for html in pages)
    events = classify_many(extractor.diff(old, new, None), rules=load_rules())
    return {**case, **expected}, events


def test_golden_set_is_well_formed() -> None:
    assert len(CASES) >= 25
    kinds = {json.loads((DATA / c / "case.json").read_text())["kind"] for c in CASES}
    assert {"changelog", "features", "page", "pricing"} <= kinds
    for c in CASES:
        exp = json.loads((DATA / c / "expected.json").read_text())
        assert exp["noise_only"] == (not exp["events"]), c


@pytest.mark.parametrize("name", CASES)
def test_heldout_case(name: str) -> None:
    case, events = run_case(name)
    missed, extra = match_all(case["events"], events)
    if case["noise_only"]:
        assert events == [], f"noise-only page reported {events}"
    assert not missed, f"missed {missed}; emitted {events}"
    assert not extra, f"extra {extra}"


def test_matcher_follows_the_scoring_rules() -> None:
    """The re-implemented matcher agrees with FORMAT.md on the cases that decide scores."""
    exp = {"type": "changelog_entry", "title": "v3.4.0", "date": "2026-11-18"}
    assert matches(exp, {"type": "changelog_entry", "title": "3.4.0", "date": "2026-11-18"})
    assert not matches(exp, {"type": "changelog_entry", "title": "3.4.0", "date": "2026-11-17"})
    assert matches({**exp, "date": None}, {"type": "changelog_entry", "title": "v3.4.0"})
    feat = {"type": "feature_added", "feature": "SAML SSO", "plan": "Team"}
    assert matches(feat, {"type": "feature_added", "feature": "SAML SSO", "plan": "Team plan"})
    assert not matches(feat, {"type": "feature_added", "feature": "SAML SSO", "plan": "Business"})
    cc = {"type": "content_change", "added": ["now in beta"], "removed": []}
    assert matches(cc, {"type": "content_change", "added": ["Copilot: NOW in  beta."]})
    assert not matches(cc, {"type": "content_change", "added": ["now", "in beta"]})
    price = {"type": "price_change", "plan": "Pro", "old_price": 12, "new_price": None}
    assert matches(price, {"type": "price_change", "plan": "pro", "old_price": 12.0})
    missed, extra = match_all([feat, feat], [{**feat}])
    assert len(missed) == 1 and extra == []
