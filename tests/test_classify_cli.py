"""`intel reclassify`: a new `us:` block or rule file re-judges what is already stored."""

from __future__ import annotations

from click.testing import CliRunner

from intel.changes import Change
from intel.classify import classify, load_rules
from intel.cli import cli
from intel.store import Store
from intel.watchlist import load_watchlist

WATCHLIST = """\
{us}
crawl: {{allow_private_networks: true}}
competitors:
  - name: Acme
    weight: {weight}
    pages:
      - {{url: http://127.0.0.1:1/pricing, kind: pricing}}
"""


def _store_one_event(tmp_path, wl_path) -> None:
    wl = load_watchlist(wl_path)
    with Store.open(tmp_path / "data") as st:
        pid = st.sync_watchlist(wl)["http://127.0.0.1:1/pricing"]
        sid = st.add_snapshot(None, pid, url="u", status=200, body=b"a", fetched_at="2026-11-20")
        change = Change("price_change", plan="Pro", old_price=30, new_price=20, currency="USD")
        event = classify(change, rules=load_rules())
        event["key"] = change.key()
        st.save_processed(st.snapshot(sid), outcome="changed", events=[event])


def test_reclassify_applies_our_prices_and_weight(tmp_path):
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(WATCHLIST.format(us="", weight=1.0))
    _store_one_event(tmp_path, wl)
    with Store.open(tmp_path / "data") as st:
        before = st.events()[0]
    assert "undercuts" not in before["why"]

    wl.write_text(
        WATCHLIST.format(
            us="us: {name: Us, plans: [{name: Pro, price: 25, currency: USD}]}", weight=2.0
        )
    )
    args = ["reclassify", "--watchlist", str(wl), "--data", str(tmp_path / "data")]
    dry = CliRunner().invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 would change" in dry.output
    with Store.open(tmp_path / "data") as st:
        assert st.events()[0]["why"] == before["why"]

    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with Store.open(tmp_path / "data") as st:
        after = st.events()[0]
    assert after["signal"] == "threat"
    assert "undercuts our Pro by 20%" in after["why"]
    assert after["importance"] > before["importance"]
    assert after["new_price"] == 20  # facts untouched

    again = CliRunner().invoke(cli, args)
    assert "0 changed" in again.output


def test_reclassify_with_a_bad_rule_file_is_one_clear_line(tmp_path):
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(WATCHLIST.format(us="", weight=1.0))
    (tmp_path / "tags.yaml").write_text("tags:\n  ai:\n    keywords: AI\n")
    result = CliRunner().invoke(
        cli, ["reclassify", "--watchlist", str(wl), "--data", str(tmp_path / "data")]
    )
    assert result.exit_code == 2
    assert "tags.yaml:3: tags.ai.keywords:" in result.output
    assert "Traceback" not in result.output
