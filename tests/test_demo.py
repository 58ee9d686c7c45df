"""The demo world over real HTTP: every page every day, moves only by day, noise on every fetch."""

from __future__ import annotations

import json
import re
import urllib.request
import urllib.robotparser
from datetime import UTC, date, datetime

import feedparser
import lxml.html
import pytest
import yaml
from click.testing import CliRunner

from intel.cli import cli
from intel.demo import DAYS, MOVES, SITES, DemoServer, Noise, World, build_watchlist
from intel.demo.world import COOKIE_TEXTS, CUSTOMER_LOGOS, TESTIMONIALS
from intel.watchlist import parse_watchlist

START = date(2026, 11, 19)

# Every path the world serves, beyond the watched ones: feed, JSON endpoint, page 2.
EXTRA_PATHS = {
    ("acorn", "/changelog/feed.xml"),
    ("tessellate", "/api/pricing.json"),
    ("quokka", "/changelog?page=2"),
}
ALL_PATHS = sorted({(s.slug, w.path) for s in SITES for w in s.watched} | EXTRA_PATHS)


@pytest.fixture(scope="module")
def server():
    with DemoServer(World(START)) as s:
        yield s


def fetch(server: DemoServer, slug: str, path: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(server.url(slug, path), timeout=10) as r:
        return r.status, r.headers["Content-Type"], r.read()


def text_of(body: bytes, content_type: str) -> str:
    """What a reader sees: page text for HTML, the raw document otherwise."""
    if "html" in content_type:
        return " ".join(lxml.html.fromstring(body).text_content().split())
    return body.decode("utf-8")


def render(world: World, slug: str, path_query: str, day: int, noise: Noise | None = None):
    path, _, query = path_query.partition("?")
    return world.render(slug, path, day, noise or Noise.quiet(), query)


def test_every_page_is_served_on_every_day(server):
    for day in range(1, DAYS + 1):
        server.set_day(day)
        for slug, path in ALL_PATHS:
            status, ctype, body = fetch(server, slug, path)
            assert status == 200, (day, slug, path)
            assert "charset=utf-8" in ctype
            assert len(body) > 200
    server.set_day(1)


def test_each_rival_has_its_own_origin_and_robots_txt_allows_all(server):
    origins = set(server.base_urls().values())
    assert len(origins) == len(SITES) == 4
    for site in SITES:
        assert {w.kind for w in site.watched} == {"pricing", "changelog", "features", "page"}
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(fetch(server, site.slug, "/robots.txt")[2].decode().splitlines())
        for w in site.watched:
            assert robots.can_fetch("intel-crawler", server.url(site.slug, w.path))


def test_unknown_path_is_a_404(server):
    with pytest.raises(urllib.error.HTTPError) as err:
        fetch(server, "acorn", "/no-such-page")
    assert err.value.code == 404
    err.value.close()


def _strip_noise(body: bytes) -> list[str]:
    """Remove every kind of noise the world emits; what is left must be identical."""
    html = body.decode("utf-8")
    texts = [*COOKIE_TEXTS, *CUSTOMER_LOGOS, *(x for t in TESTIMONIALS for x in t)]
    for t in sorted(texts, key=len, reverse=True):  # longest first: roles contain logo names
        html = html.replace(t, "N").replace(t.replace("&", "&amp;"), "N")
    patterns = [
        r"[0-9a-f]{8,}",  # tokens, nonces, request/session ids, asset hashes
        r"__[A-Za-z0-9]{5}\b",  # CSS-module class hashes
        r"\b(exp|hero-v|v|buehne-|layout|pricing)-?[abc]\b",  # A/B arms
        r'"variant": "[abc]"',
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",  # render timestamps
        r"\d[\d,.]*",  # counters, minutes ago, render ms ...
        r"Stand: [^<]*",  # German 'as of <date, time>'
        r"/static/logos/[^\"]+",
    ]
    for p in patterns:
        html = re.sub(p, "N", html)
    # Rotating testimonials and logos: compare the multiset of tags, not their order.
    return sorted(re.split(r"(?<=>)\s*(?=<)|\n", html))


@pytest.mark.parametrize("slug,path", ALL_PATHS, ids=[f"{s}{p}" for s, p in ALL_PATHS])
def test_two_fetches_on_the_same_day_differ_only_by_noise(server, slug, path):
    server.set_day(2)
    _, _, first = fetch(server, slug, path)
    _, _, second = fetch(server, slug, path)
    assert first != second, "every response carries fresh noise"
    assert _strip_noise(first) == _strip_noise(second)


def test_content_depends_on_day_and_noise_only():
    world = World(START)
    for slug, path in ALL_PATHS:
        a = render(world, slug, path, 2, Noise(seed=7, now=datetime(2026, 11, 20, 8, tzinfo=UTC)))
        b = render(world, slug, path, 2, Noise(seed=7, now=datetime(2026, 11, 20, 8, tzinfo=UTC)))
        c = render(world, slug, path, 2, Noise(seed=8, now=datetime(2026, 11, 20, 9, tzinfo=UTC)))
        assert a.body == b.body, (slug, path)
        assert a.body != c.body, (slug, path)


def test_pages_change_between_days_exactly_when_a_move_is_planned():
    world = World(START)
    mirrors = {"/changelog/feed.xml": "/changelog", "/changelog?page=2": "/changelog"}
    for day in range(2, DAYS + 1):
        for slug, path in ALL_PATHS:
            shows = mirrors.get(path, path)
            planned = [
                m for m in MOVES if m.day == day and m.site == slug and shows in (m.path, m.source)
            ]
            if slug == "tessellate" and path == "/pricing":
                planned = []  # the shell never changes: the JSON behind it does
            before = render(world, slug, path, day - 1).body
            after = render(world, slug, path, day).body
            if planned:
                assert before != after, (day, slug, path, planned)
            else:
                assert before == after, (day, slug, path)
    assert not [m for m in MOVES if m.day == DAYS], "the last day is a quiet night"


@pytest.mark.parametrize("move", MOVES, ids=[f"d{m.day}-{m.site}-{m.type}" for m in MOVES])
def test_each_planned_move_is_visible_in_the_served_content(move):
    world = World(START)
    path = move.source or move.path
    old, new = (
        render(world, move.site, path, move.day - 1),
        render(world, move.site, path, move.day),
    )
    old_text, new_text = text_of(old.body, old.content_type), text_of(new.body, new.content_type)
    if move.before is not None:
        assert move.before in old_text
    if move.after is not None:
        assert move.after in new_text
        assert move.after not in old_text or move.type in ("feature_added",)
    if move.after is None and move.type != "feature_removed":
        assert move.before not in new_text


def test_the_planned_moves_cover_every_kind_of_move_the_product_reports():
    types = {m.type for m in MOVES}
    assert types >= {
        "price_change",
        "plan_added",
        "plan_removed",
        "feature_added",
        "feature_removed",
        "changelog_entry",
        "content_change",
    }
    assert any(m.after == "Contact sales" for m in MOVES)
    assert {m.site for m in MOVES} == {s.slug for s in SITES}
    assert [m for m in MOVES if m.day == 1] == [], "day 1 is the baseline"


def test_pricing_markup_varies_between_rivals_like_real_sites():
    world = World(START)
    acorn = render(world, "acorn", "/pricing", 1).body.decode()
    assert 'data-billing="annual" hidden' in acorn  # both prices in the DOM
    fjordly = render(world, "fjordly", "/preise", 1).body.decode()
    assert "1.299,00\xa0€" in fjordly and "<table" in fjordly and "✓" in fjordly
    quokka = render(world, "quokka", "/pricing", 1).body.decode()
    ld = lxml.html.fromstring(quokka).xpath('//script[@type="application/ld+json"]/text()')[0]
    offers = {o["name"]: float(o["price"]) for o in json.loads(ld)["offers"]}
    assert offers == {"Starter": 9.0, "Pro": 25.0, "Business": 59.0}
    quokka2 = render(world, "quokka", "/pricing", 2).body.decode()
    ld2 = lxml.html.fromstring(quokka2).xpath('//script[@type="application/ld+json"]/text()')[0]
    assert "Starter" not in {o["name"] for o in json.loads(ld2)["offers"]}
    shell_page = render(world, "tessellate", "/pricing", 1)
    shell = text_of(shell_page.body, shell_page.content_type)
    assert not re.search(r"\$\s*\d", shell), "a static fetch of the JavaScript page sees no price"


def test_json_endpoint_changes_a_price_on_day_3_and_carries_noise(server):
    prices = {}
    for day in (1, 2, 3):
        server.set_day(day)
        status, ctype, body = fetch(server, "tessellate", "/api/pricing.json")
        assert status == 200 and ctype.startswith("application/json")
        data = json.loads(body)
        prices[day] = {p["name"]: p["price"]["monthly"] for p in data["plans"]}
        assert data["currency"] == "USD"
    assert prices[1] == prices[2] == {"Free": 0, "Pro": 29, "Studio": 59}
    assert prices[3] == {"Free": 0, "Pro": 24, "Studio": 59}
    again = json.loads(fetch(server, "tessellate", "/api/pricing.json")[2])
    assert again["request_id"] != data["request_id"]
    assert again["plans"] == data["plans"]
    shell = fetch(server, "tessellate", "/pricing")[2].decode()
    assert 'data-src="/api/pricing.json"' in shell
    server.set_day(1)


def test_atom_feed_is_discoverable_and_parses(server):
    server.set_day(1)
    page = lxml.html.fromstring(fetch(server, "acorn", "/changelog")[2])
    href = page.xpath('//link[@rel="alternate"][@type="application/atom+xml"]/@href')
    assert href == ["/changelog/feed.xml"]
    titles = {}
    for day in (1, 2, 3):
        server.set_day(day)
        status, ctype, body = fetch(server, "acorn", href[0])
        assert ctype.startswith("application/atom+xml")
        feed = feedparser.parse(body)
        assert not feed.bozo, feed.get("bozo_exception")
        titles[day] = [e.title for e in feed.entries]
        assert all(e.get("published") for e in feed.entries)
    assert titles[2][0] == "Scheduled exports to Amazon S3"
    assert titles[3][:2] == ["AI summaries for every dashboard", "Scheduled exports to Amazon S3"]
    assert titles[3][2:] == titles[1]
    server.set_day(1)


def test_paginated_changelog_drops_its_oldest_entry_off_page_one(server):
    def titles(path: str) -> list[str]:
        page = lxml.html.fromstring(fetch(server, "quokka", path)[2])
        return [t.strip() for t in page.xpath("//div[@class='post']/h3/text()")]

    server.set_day(2)
    day2 = titles("/changelog")
    server.set_day(3)
    day3 = titles("/changelog")
    assert len(day2) == len(day3) == 5
    assert day3[0] == "Two-way calendar sync for Outlook"
    assert day3[1:] == day2[:4]
    assert day2[4] in titles("/changelog?page=2")
    server.set_day(1)


def test_set_day_rejects_days_the_world_does_not_have():
    s = DemoServer(World(START))
    with pytest.raises(ValueError):
        s.set_day(DAYS + 1)
    with pytest.raises(ValueError):
        s.set_day(0)


def test_demo_watchlist_is_valid_and_watches_every_page(server):
    data = build_watchlist(server.base_urls())
    wl = parse_watchlist(yaml.safe_dump(data, allow_unicode=True), "demo-watchlist.yaml")
    assert wl.crawl.allow_private_networks
    assert wl.us is not None and wl.us.name == "Lanternly"
    pages = wl.pages()
    assert len(pages) == 16
    browser = [p for _, p in pages if p.render == "browser"]
    assert len(browser) == 1 and browser[0].url.endswith("/pricing") and browser[0].wait_for


def test_demo_refuses_a_data_dir_it_did_not_make(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(cli, ["demo", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output and "intel demo" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"
