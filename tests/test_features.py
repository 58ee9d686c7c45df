"""Features pages and comparison tables: golden pages of our own making."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest

from intel.extract import get
from intel.extract.features import cell_value, feature_key

DATA = Path(__file__).parent / "data" / "features"
CASES = sorted(p for p in DATA.iterdir() if (p / "expected.json").is_file())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_features(case: Path) -> None:
    ex = get("features")
    old = ex.extract((case / "before.html").read_text(encoding="utf-8"), "https://x.example/")
    new = ex.extract((case / "after.html").read_text(encoding="utf-8"), "https://x.example/")
    got = sorted((c.type, feature_key(c.feature or ""), c.plan) for c in ex.diff(old, new, None))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    want = sorted((e["type"], feature_key(e["feature"]), e["plan"]) for e in expected["events"])
    assert got == want
    assert expected["noise_only"] == (want == [])


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ('<td><span aria-label="Yes">✓</span></td>', True),
        ('<td><span aria-label="No">—</span></td>', False),
        ("<td>—</td>", False),
        ("<td>✔</td>", True),
        ("<td>Yes</td>", True),
        ("<td>No</td>", False),
        ("<td></td>", False),
        ('<td><svg class="h-5"></svg><span class="sr-only">Included in Pro</span></td>', True),
        (
            '<td><svg class="h-5"></svg><span class="sr-only">Not included in Free</span></td>',
            False,
        ),
        ('<td><img src="x.svg" alt="Included"></td>', True),
        ('<td><i class="fa fa-times"></i></td>', False),
        ('<td><i class="icon-check"></i></td>', True),
        ("<td><svg><title>Not available</title></svg></td>", False),
        ("<td>Up to 10</td>", "up to 10"),
    ],
)
def test_cell_availability(cell: str, value: object) -> None:
    el = lxml.html.fragment_fromstring(f"<table><tr>{cell}</tr></table>").find(".//td")
    assert cell_value(el) == value


def test_new_plan_column_is_not_a_feature_move() -> None:
    ex = get("features")
    head = "<tr><th></th><th>Free</th><th>Pro</th>{extra_h}</tr>"
    row = "<tr><th>SSO</th><td>No</td><td>Yes</td>{extra_c}</tr>"
    html = "<html><body><main><table>" + head + row + "</table></main></body></html>"
    old = ex.extract(html.format(extra_h="", extra_c=""), "u")
    new = ex.extract(html.format(extra_h="<th>Team</th>", extra_c="<td>Yes</td>"), "u")
    assert ex.diff(old, new, None) == []


def test_description_edits_and_badges_are_not_moves() -> None:
    ex = get("features")
    page = """<html><body><main><dl>
      <dt>Offline mode</dt><dd>{a}</dd><dt>{name}</dt><dd>Share with anyone.</dd>
    </dl></main></body></html>"""
    old = ex.extract(page.format(a="Work on a plane.", name="Guest links"), "u")
    new = ex.extract(page.format(a="Work anywhere, even offline.", name="Guest links (beta)"), "u")
    assert ex.diff(old, new, None) == []


def test_cards_beside_a_comparison_table_are_features() -> None:
    # Four feature cards and a comparison table: the cards were lost when the table's
    # elements were remembered by id() (lxml's element objects come and go, ids are reused).
    page = Path(__file__).parent / "data" / "heldout" / "features-sendvault-vue-attrs-noise"
    ex = get("features")
    for night in ("before", "after"):
        data = ex.extract((page / f"{night}.html").read_text(encoding="utf-8"), "")
        assert sorted(data["features"].values()) == [
            "Link expiry",
            "Unlimited storage",
            "Virus scanning",
            "Watermarks",
        ]
        assert data["tables"][0]["names"] == {
            "storage": "Storage",
            "watermarks": "Watermarks",
            "sso": "SSO",
        }
