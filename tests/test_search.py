"""Searching the intel index: the query language, options, facets, snippets, and `intel search`."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.search import SearchRequest, forget, search
from index.writer import rebuild_index
from intel.cli import cli

EVENTS = json.loads((Path(__file__).parent / "data" / "index" / "events.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "index"
    rebuild_index(path, copy.deepcopy(EVENTS))
    yield path
    forget(path)


def ids(results) -> list[int]:
    return [h.event_id for h in results.hits]


@pytest.mark.parametrize(
    ("query", "options", "expected"),
    [
        ("sso", {}, [4]),
        ("single sign-on", {}, [4]),
        ("assistants", {}, [3]),  # stemmed
        ('"ai assistant"', {}, [3]),
        ("competitor:acme type:price_change", {"sort": "date"}, [2, 1]),
        ("competitor:acme type:price_change date:[20260901 to]", {}, [2]),
        ("type:price_change direction:down plan:team", {}, [2]),
        ("tags:ai", {}, [3]),
        ("importance:>0.75", {}, [2]),
        ("", {"competitor": "beta works", "sort": "date"}, [8, 4, 5]),
        ("", {"competitor": "acme", "type": "price_change", "sort": "date"}, [2, 1]),
        ("", {"signal": "opportunity", "sort": "date"}, [1, 5]),
        ("", {"tag": "security"}, [4]),
        ("", {"since": "2026-10-01", "until": "2026-11-02", "sort": "date"}, [7, 6, 2]),
        ("", {"type": "plan_added,plan_removed", "sort": "date"}, [6, 5]),
        ("frankfurt", {}, [7]),  # content_change added text
        ("zyzzyva", {}, []),  # no match, no hits (whoosh reads an empty filter as none)
        ("", {"competitor": "nobody", "sort": "date"}, []),
    ],
    ids=lambda v: str(v) if not isinstance(v, list) else "",
)
def test_queries_find_what_a_strategist_asks_for(index_dir, query, options, expected):
    res = search(index_dir, SearchRequest(q=query, **options))
    if options.get("sort") == "date":
        assert ids(res) == expected
    else:
        assert sorted(ids(res)) == sorted(expected)
    assert res.total == len(expected)


def test_facets_count_every_match_not_just_the_page(index_dir):
    res = search(index_dir, SearchRequest(q="", limit=2))
    assert len(res.hits) == 2 and res.total == 8
    assert res.facets["competitor"] == {"Acme Cloud": 3, "Beta Works": 3, "Gamma <b>Labs</b>": 2}
    assert res.facets["type"]["price_change"] == 2 and sum(res.facets["type"].values()) == 8
    assert res.facets["signal"] == {"threat": 4, "neutral": 2, "opportunity": 2}


def test_newest_first_by_date_and_paging(index_dir):
    first = search(index_dir, SearchRequest(sort="date", limit=3))
    second = search(index_dir, SearchRequest(sort="date", limit=3, page=2))
    assert ids(first) == [8, 7, 6] and ids(second) == [2, 3, 4]


def test_snippets_highlight_matches_and_escape_page_text(index_dir):
    hit = search(index_dir, SearchRequest(q="pro")).hits[0]
    assert hit.event_id == 6
    html = str(hit.snippet_html)
    assert "<mark>Pro</mark>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>" not in hit.snippet_text and "<script>" in hit.snippet_text


def test_a_bad_date_option_is_an_error_not_a_crash(index_dir):
    with pytest.raises(ValueError, match="not a date"):
        search(index_dir, SearchRequest(since="last tuesday-ish"))


# -- the CLI, over a real store --------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    from intel.store import Store
    from intel.watchlist import parse_watchlist

    events = copy.deepcopy(EVENTS)
    names = sorted({e["competitor"] for e in events})
    urls = sorted({(e["competitor"], e["url"], e["kind"]) for e in events})
    yaml_text = "crawl: {allow_private_networks: true}\ncompetitors:\n"
    for name in names:
        yaml_text += f"  - name: {json.dumps(name)}\n    pages:\n"
        for comp, url, kind in urls:
            if comp == name:
                yaml_text += f"      - {{url: {json.dumps(url)}, kind: {kind}}}\n"
    data = tmp_path / "data"
    with Store.open(data) as store:
        page_ids = store.sync_watchlist(parse_watchlist(yaml_text))
        for ev in events:
            sid = store.add_snapshot(
                None,
                page_ids[ev["url"]],
                url=ev["url"],
                status=200,
                body=b"<html></html>",
                fetched_at=ev["found_at"],
            )
            stored = {k: v for k, v in ev.items() if k not in ("id", "competitor", "url", "kind")}
            stored["key"] = f"k{ev['id']}"
            store.save_processed(
                store.snapshot(sid), outcome="changed", events=[stored], found_at=ev["found_at"]
            )
    yield data
    forget(data / "index")


def test_cli_search_builds_the_missing_index_and_prints_a_table(data_dir):
    result = CliRunner().invoke(cli, ["search", "sso", "--data", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "index rebuilt (missing)" in result.output
    assert "1 match" in result.output and "Beta Works" in result.output
    assert "competitor: Beta Works (1)" in result.output


def test_cli_search_json_for_scripts(data_dir):
    args = ["search", "--data", str(data_dir), "--competitor", "acme", "--type", "price_change"]
    result = CliRunner().invoke(cli, [*args, "--sort", "date", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["total"] == 2 and [h["data"]["new_price"] for h in out["hits"]] == [19.0, 25.0]
    assert out["facets"]["competitor"] == {"Acme Cloud": 2}


def test_cli_search_heals_a_corrupt_index_and_reindex_rebuilds(data_dir):
    runner = CliRunner()
    assert runner.invoke(cli, ["reindex", "--data", str(data_dir)]).exit_code == 0
    forget(data_dir / "index")
    for seg in (data_dir / "index").glob("intel_*.*"):  # every segment file
        seg.write_bytes(b"garbage")
    result = runner.invoke(cli, ["search", "ai", "--data", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["total"] == 1
    result = runner.invoke(cli, ["reindex", "--data", str(data_dir)])
    assert result.exit_code == 0 and "index rebuilt: 8 events" in result.output


def test_cli_search_rejects_a_bad_date_with_usage_error(data_dir):
    result = CliRunner().invoke(cli, ["search", "x", "--since", "soon", "--data", str(data_dir)])
    assert result.exit_code == 2 and "not a date" in result.output


def test_cli_search_without_data_says_what_to_do(tmp_path):
    result = CliRunner().invoke(cli, ["search", "x", "--data", str(tmp_path / "nothing")])
    assert result.exit_code == 1 and "intel run" in result.output
