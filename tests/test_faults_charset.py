"""Wrong and missing charsets, crawled from a real local server by real `intel run` nights.

A rival's pricing page says `Büro` and `€49`. However its server labels the bytes (the
header contradicting the page's own <meta>, or no charset anywhere), what reaches
`intel plans` must be what the page says, and a page crawled again with the same content
must report nothing. Each answer carries a fresh random token, so the bytes differ from
one fetch to the next and the diff really runs (the same-hash shortcut would hide a
decoding that is not deterministic).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.servers import LocalServer, Route, page
from tests.test_crawl import run

pytestmark = pytest.mark.slow

PLANS = {"Büro": (49.0, "EUR"), "Pro Plus": (99.0, "EUR")}


def pricing_html(meta: str, sign: str = "€") -> str:
    token = os.urandom(8).hex()  # noise on every answer
    return (
        f"<html><head>{meta}<meta name='csrf-token' content='{token}'><title>Preise</title>"
        "</head><body><main><h1>Preise</h1>"
        f"<div class='plan'><h2>Büro</h2><p>{sign}49 per month</p>"
        "<ul><li>Grüße an alle Nutzer</li><li>Straßenkarten</li></ul></div>"
        f"<div class='plan'><h2>Pro Plus</h2><p>{sign}99 per month</p><ul><li>SSO</li></ul></div>"
        "</main></body></html>"
    )


class Labels:
    """How each path is served: (body encoding, <meta> tag, Content-Type); tests change it."""

    def __init__(self, table: dict[str, tuple[str, str, str]], sign: str = "€") -> None:
        self.table = dict(table)
        self.sign = sign

    def route(self, path: str) -> Route:
        def answer(handler) -> Route:
            encoding, meta, ctype = self.table[path]
            body = pricing_html(meta, self.sign).encode(encoding)
            return page(body, headers={"Content-Type": ctype})

        return Route(dynamic=answer)


def watchlist(tmp_path: Path, srv: LocalServer, paths: list[str]) -> Path:
    # one rival per page, so `intel plans` tells the pages apart by name
    rivals = "\n".join(
        f"  - name: Rival{i}\n    pages:\n      - {{url: '{srv.url(p)}', kind: pricing}}"
        for i, p in enumerate(paths)
    )
    wl = tmp_path / "watchlist.yaml"
    wl.write_text(
        "crawl: {allow_private_networks: true, retries: 0, timeout: 10}\n"
        f"competitors:\n{rivals}\n"
    )
    return wl


def night(wl: Path, data: Path) -> str:
    r = run(["-m", "intel.cli", "run", "-w", str(wl), "--data", str(data)], data.parent)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def intel_json(data: Path, *args: str):
    r = run(["-m", "intel.cli", *args, "--data", str(data), "--json"], data.parent)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def plans_by_rival(data: Path) -> dict[str, dict[str, tuple]]:
    out = {}
    for obs in intel_json(data, "plans"):
        out[obs["competitor"]] = {
            p["name"]: tuple((x["amount"], x["currency"]) for x in p.get("prices", []))
            for p in obs["plans"]
        }
    return out


def features(data: Path) -> dict[str, set[str]]:
    return {
        obs["competitor"]: {f for p in obs["plans"] for f in p.get("features") or []}
        for obs in intel_json(data, "plans")
    }


EXPECTED = {name: ((amount, currency),) for name, (amount, currency) in PLANS.items()}
MISSING = {
    "/utf8-no-charset": ("utf-8", "", "text/html"),
    "/cp1252-no-charset": ("cp1252", "", "text/html"),
}
WRONG = {
    # the server says Latin-1; the page is UTF-8 and says so in its <meta>
    "/utf8-labelled-latin1": ("utf-8", '<meta charset="utf-8">', "text/html; charset=iso-8859-1"),
    # the server says UTF-8; the page is Windows-1252 (where € is 0x80) and its <meta>
    # says iso-8859-1, the label the web reads as Windows-1252
    "/cp1252-labelled-utf8": (
        "cp1252",
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        "text/html; charset=utf-8",
    ),
}


def test_pages_with_no_charset_at_all_are_read_right_and_recrawls_report_nothing(tmp_path):
    labels = Labels(MISSING)
    with LocalServer({p: labels.route(p) for p in MISSING}) as srv:
        wl = watchlist(tmp_path, srv, list(MISSING))
        data = tmp_path / "data"
        assert "2/2 pages fetched" in night(wl, data)
        assert plans_by_rival(data) == {"Rival0": EXPECTED, "Rival1": EXPECTED}
        assert all("Grüße an alle Nutzer" in f for f in features(data).values())
        night(wl, data)  # the same content again, other bytes (the token)
        assert intel_json(data, "events") == []


def test_a_wrong_charset_recrawled_never_invents_a_move(tmp_path):
    labels = Labels(WRONG)
    with LocalServer({p: labels.route(p) for p in WRONG}) as srv:
        wl = watchlist(tmp_path, srv, list(WRONG))
        data = tmp_path / "data"
        assert "2/2 pages fetched" in night(wl, data)
        night(wl, data)
        night(wl, data)
        assert intel_json(data, "events") == []


def test_a_wrong_charset_label_does_not_garble_plan_names_and_prices(tmp_path):
    labels = Labels(WRONG)
    with LocalServer({p: labels.route(p) for p in WRONG}) as srv:
        wl = watchlist(tmp_path, srv, list(WRONG))
        data = tmp_path / "data"
        night(wl, data)
    assert plans_by_rival(data) == {"Rival0": EXPECTED, "Rival1": EXPECTED}


def test_the_night_a_charset_header_is_fixed_reports_nothing(tmp_path):
    # Dollar prices: the garbled reading still finds the plans, with garbled names.
    labels = Labels(WRONG, sign="$")
    with LocalServer({p: labels.route(p) for p in WRONG}) as srv:
        wl = watchlist(tmp_path, srv, list(WRONG))
        data = tmp_path / "data"
        night(wl, data)
        labels.table["/utf8-labelled-latin1"] = ("utf-8", '<meta charset="utf-8">', "text/html")
        labels.table["/cp1252-labelled-utf8"] = (
            "cp1252",
            '<meta charset="windows-1252">',
            "text/html; charset=windows-1252",
        )
        night(wl, data)
    assert intel_json(data, "events") == []
    dollars = {name: ((amount, "USD"),) for name, (amount, _) in PLANS.items()}
    assert plans_by_rival(data) == {"Rival0": dollars, "Rival1": dollars}
