"""`intel reclassify` brings the search index in line at once, not at the next `intel run`.

`intel search` trusts an index whose event count and newest id match the store, so a
re-judged event (same count, same ids) would otherwise keep its old signal and tags in
search until the next night.
"""

from __future__ import annotations

import json
from pathlib import Path

from intel.changes import Change
from intel.classify import classify, load_rules
from intel.store import Store
from intel.watchlist import load_watchlist
from tests.test_run_e2e import intel

URL = "http://127.0.0.1:1/product"
WATCHLIST = f"""\
crawl: {{allow_private_networks: true}}
competitors:
  - name: Acme
    pages:
      - {{url: {URL}, kind: page}}
"""
# A user's rule: their word for an AI capability, unknown to the shipped rules.
TAGS = "tags:\n  ai:\n    keywords: [frobnicator]\n"


def setup(tmp_path: Path) -> tuple[Path, Path]:
    """A data dir holding one page change judged with the shipped rules (neutral, no tag)."""
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(WATCHLIST)
    data = tmp_path / "data"
    with Store.open(data) as st:
        pid = st.sync_watchlist(load_watchlist(wl))[URL]
        sid = st.add_snapshot(None, pid, url=URL, status=200, body=b"a", fetched_at="2026-11-20")
        change = Change("content_change", title="Product", added=["Now with the Frobnicator"])
        event = classify(change, rules=load_rules())
        assert (event["signal"], event["tags"]) == ("neutral", [])
        event["key"] = change.key()
        st.save_processed(st.snapshot(sid), outcome="changed", events=[event])
    return wl, data


def search(data: Path, *args: str) -> dict:
    r = intel("search", "--data", str(data), "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def reclassify(wl: Path, data: Path, *args: str) -> str:
    r = intel("reclassify", "--watchlist", str(wl), "--data", str(data), *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_search_shows_the_new_signal_and_tags_right_after_reclassify(tmp_path):
    wl, data = setup(tmp_path)
    before = search(data, "frobnicator")  # builds the index
    assert [(h["signal"], h["tags"]) for h in before["hits"]] == [("neutral", [])]

    (tmp_path / "tags.yaml").write_text(TAGS)
    assert "1 would change" in reclassify(wl, data, "--dry-run")
    assert search(data, "frobnicator")["hits"][0]["signal"] == "neutral"  # nothing stored

    out = reclassify(wl, data)
    assert "1 changed (1 with a new signal)" in out and "search index: 1 events updated" in out
    after = search(data, "frobnicator")
    assert [(h["signal"], h["tags"]) for h in after["hits"]] == [("threat", ["ai"])]
    assert after["facets"]["signal"] == {"threat": 1}
    assert [h["event_id"] for h in search(data, "--tag", "ai", "--signal", "threat")["hits"]] == [1]
    assert "search index: already current" in reclassify(wl, data)


def test_reclassify_builds_a_missing_index_like_a_run_does(tmp_path):
    wl, data = setup(tmp_path)
    (tmp_path / "tags.yaml").write_text(TAGS)
    assert not (data / "index").exists()
    assert "search index: rebuilt, 1 events" in reclassify(wl, data)
    assert (data / "index").is_dir()
    hits = search(data, "--tag", "ai")["hits"]
    assert [(h["signal"], h["tags"]) for h in hits] == [("threat", ["ai"])]
