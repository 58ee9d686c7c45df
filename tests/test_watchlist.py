"""A bad watchlist gets one clear error naming file, line and field; nothing runs."""

from __future__ import annotations

import textwrap

import pytest

from intel.errors import WatchlistError
from intel.watchlist import load_watchlist

GOOD = """\
us: {name: OurCo, features: [SSO, Audit log], plans: [{name: Team, price: 12}]}
crawl: {allow_private_networks: true}
competitors:
  - name: Acme Cloud
    weight: 1.5
    pages:
      - {url: https://acme.example/pricing, kind: pricing}
      - {url: https://acme.example/app/pricing, kind: pricing, render: browser, wait_for: ".plan"}
      - {url: http://127.0.0.1:8000/changelog, kind: changelog}
"""


def write(tmp_path, text: str):
    p = tmp_path / "watchlist.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def test_a_good_watchlist_loads(tmp_path):
    wl = load_watchlist(write(tmp_path, GOOD))
    assert [c.name for c in wl.competitors] == ["Acme Cloud"]
    pages = wl.pages()
    assert len(pages) == 3
    assert pages[1][1].render == "browser" and pages[1][1].wait_for == ".plan"
    assert wl.us.plans[0].price == 12
    assert wl.directory == tmp_path


BAD = [
    (
        "unknown-key",
        GOOD.replace("weight: 1.5", "wieght: 1.5"),
        5,
        "competitors[0].wieght",
        "unknown key",
    ),
    (
        "missing-field",
        GOOD.replace(
            "{url: https://acme.example/pricing, kind: pricing}",
            "{url: https://acme.example/pricing}",
        ),
        7,
        "competitors[0].pages[0].kind",
        "required",
    ),
    (
        "bad-url",
        GOOD.replace("https://acme.example/pricing,", "acme.example/pricing,"),
        7,
        "competitors[0].pages[0].url",
        "not an http(s) URL",
    ),
    (
        "unknown-kind",
        GOOD.replace("kind: changelog", "kind: changelogs"),
        9,
        "competitors[0].pages[2].kind",
        "unknown kind",
    ),
    (
        "duplicate-page",
        GOOD.replace(
            "http://127.0.0.1:8000/changelog, kind: changelog",
            "https://acme.example/pricing/, kind: changelog",
        ),
        9,
        "competitors[0].pages[2].url",
        "duplicate page",
    ),
    (
        "private-host-refused",
        GOOD.replace("crawl: {allow_private_networks: true}", "crawl: {}"),
        9,
        "competitors[0].pages[2].url",
        "allow_private_networks",
    ),
    ("not-yaml", "competitors: [\n  - name: x\n    pages: {", 2, None, "not valid YAML"),
    ("empty", "", 1, None, "competitors"),
]


@pytest.mark.parametrize("text,line,field,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_watchlists_name_file_line_and_field(tmp_path, text, line, field, words):
    path = write(tmp_path, text)
    with pytest.raises(WatchlistError) as info:
        load_watchlist(path)
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert err.field == field
    assert words in str(err)
    assert str(err).startswith(f"{path}:{line}")


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(WatchlistError, match="--watchlist"):
        load_watchlist(tmp_path / "nope.yaml")


def test_bad_watchlist_on_the_cli_is_one_line_and_exit_2(tmp_path):
    from click.testing import CliRunner

    from intel.cli import cli

    path = write(tmp_path, GOOD.replace("kind: changelog", "kind: blog"))
    result = CliRunner().invoke(
        cli, ["run", "--watchlist", str(path), "--data", str(tmp_path / "d")]
    )
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "unknown kind 'blog'" in lines[0] and ":9:" in lines[0]
    assert not (tmp_path / "d").exists()  # nothing ran
