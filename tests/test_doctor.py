"""`intel doctor` says what is wrong with the set-up and how to fix it."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from intel.cli import cli


def test_doctor_flags_bad_watchlist_and_unreachable_smtp(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(
        f"smtp: {{host: 127.0.0.1, port: {port}, security: none, from: a@b.example}}\n"
        "competitors: [{name: A, pages: [{url: https://a.example/, kind: page}]}]\n"
    )
    r = CliRunner().invoke(cli, ["doctor", "--data", str(tmp_path / "d"), "--watchlist", str(wl)])
    assert r.exit_code == 1
    lines = {ln.split()[1]: ln for ln in r.output.splitlines() if ln[:4] in ("ok  ", "FIX ")}
    assert lines["python"].startswith("ok")
    assert lines["watchlist"].startswith("ok") and "1 competitors, 1 pages" in lines["watchlist"]
    assert lines["store"].startswith("ok")
    assert lines["index"].startswith("ok") and "not built yet" in lines["index"]
    assert lines["smtp"].startswith("FIX") and "not reachable" in lines["smtp"]

    wl.write_text("competitors: [{name: A, pages: [{url: https://a.example/, kind: blog}]}]\n")
    r = CliRunner().invoke(cli, ["doctor", "--data", str(tmp_path / "d"), "--watchlist", str(wl)])
    assert "FIX  watchlist" in r.output and "unknown kind 'blog'" in r.output

    (tmp_path / "d" / "index").mkdir()
    (tmp_path / "d" / "index" / "_intel_1.toc").write_bytes(b"garbage")
    r = CliRunner().invoke(cli, ["doctor", "--data", str(tmp_path / "d"), "--watchlist", str(wl)])
    assert "FIX  index" in r.output and "intel reindex" in r.output
