"""Generic page diffs: golden pages of our own making, and volatile-region learning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intel.extract import get
from intel.extract.page import PageExtractor

DATA = Path(__file__).parent / "data" / "page"
CASES = sorted(p for p in DATA.iterdir() if (p / "expected.json").is_file())


def _diff(case: Path, state: dict | None = None) -> list[dict]:
    ex = get("page")
    old = ex.extract((case / "before.html").read_text(encoding="utf-8"), "https://x.example/")
    new = ex.extract((case / "after.html").read_text(encoding="utf-8"), "https://x.example/")
    return [c.to_dict() for c in ex.diff(old, new, state)]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_page(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    events = _diff(case)
    if expected["noise_only"]:
        assert events == []
        return
    assert len(events) == len(expected["events"]) == 1
    got, want = events[0], expected["events"][0]
    assert got["type"] == "content_change"
    for key in ("added", "removed"):
        shown = " ¶ ".join(got[key]).casefold()
        for phrase in want[key]:
            assert phrase.casefold() in shown, (key, phrase, got[key])
        if not want[key]:
            assert got[key] == []


def _page(extra: str, headline: str = "Plan work without the busywork") -> str:
    return f"""<html><body><nav><a href="/">Home</a></nav><main>
    <h1>{headline}</h1><p>Boards, docs and chat in one place.</p>
    <section><h2>Quote of the day</h2><p>{extra}</p></section>
    </main><footer>&copy; 2025 Example</footer></body></html>"""


QUOTES = [
    "Simplicity is prerequisite for reliability.",
    "Make it work, make it right, make it fast.",
    "Premature optimisation is the root of all evil.",
    "Talk is cheap, show me the code.",
    "Readability counts.",
]


def test_region_that_keeps_changing_is_learned_and_masked() -> None:
    ex = PageExtractor()
    state: dict | None = None
    pages = [ex.extract(_page(q), "u") for q in QUOTES]
    alarms = []
    for old, new in zip(pages, pages[1:], strict=False):
        alarms.append(bool(ex.diff(old, new, state)))
        state = ex.learn(old, new, state)
        json.dumps(state)  # the lead stores it as JSON
    # the first nights cry wolf, then the rotating quote is known to be volatile
    assert alarms[:3] == [True, True, True]
    assert alarms[3] is False
    # a real change elsewhere is still reported, the masked region is not
    old = ex.extract(_page("One more quote."), "u")
    new = ex.extract(_page("Yet another quote.", headline="The AI workspace for teams"), "u")
    (change,) = ex.diff(old, new, state)
    assert change.added == ["The AI workspace for teams"]
    assert change.removed == ["Plan work without the busywork"]


def test_quick_refetch_masks_at_once() -> None:
    ex = PageExtractor()
    a, b = ex.extract(_page(QUOTES[0]), "u"), ex.extract(_page(QUOTES[1]), "u")
    state = ex.learn(a, b, None, seconds_apart=4)
    c = ex.extract(_page(QUOTES[2]), "u")
    assert ex.diff(b, c, state) == []


def test_one_real_change_does_not_make_a_region_volatile() -> None:
    ex = PageExtractor()
    a = ex.extract(_page("Same quote.", headline="Old headline here"), "u")
    b = ex.extract(_page("Same quote.", headline="New headline here"), "u")
    state = ex.learn(a, b, None)
    for _ in range(5):
        state = ex.learn(b, b, state)
    assert state["volatile"] == {}
    c = ex.extract(_page("Same quote.", headline="Newer headline here"), "u")
    assert ex.diff(b, c, state)


def test_an_ab_test_taking_turns_night_by_night_is_reported_once() -> None:
    # A headline experiment: each night the crawler (a new visitor) draws a variant.
    ex = PageExtractor()
    a = ex.extract(_page("Same quote.", headline="Ship faster with Acme"), "u")
    b = ex.extract(_page("Same quote.", headline="Build better with Acme"), "u")
    state: dict | None = None
    alarms = []
    for old, new in [(a, b), (b, a), (a, b), (b, a), (a, a), (a, b)]:
        alarms.append(bool(ex.diff(old, new, state)))
        state = ex.learn(old, new, state)
        json.dumps(state)
    assert alarms == [True, False, False, False, False, False]


def test_going_back_after_a_night_or_more_is_news() -> None:
    ex = PageExtractor()
    a = ex.extract(_page("Same quote.", headline="Ship faster with Acme"), "u")
    b = ex.extract(_page("Same quote.", headline="Build better with Acme"), "u")
    state = ex.learn(b, b, ex.learn(a, b, None))  # changed, then a night unchanged
    (change,) = ex.diff(b, a, state)
    assert change.added == ["Ship faster with Acme"]


def test_text_for_the_index_is_the_main_text() -> None:
    ex = PageExtractor()
    data = ex.extract(_page("Readability counts."), "u")
    text = ex.text(data)
    assert "Plan work without the busywork" in text
    assert "Home" not in text and "2025 Example" not in text
