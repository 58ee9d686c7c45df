"""`intel serve`: the web UI in a real headless Chromium, its JSON API, and its token gate.

The app runs under uvicorn in a thread on 127.0.0.1:0 over an index built from the
events in tests/data/index, some of which carry HTML and `<script>` in competitor
text: a rival's page is untrusted input and must show up as text.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from index.search import forget
from index.web import create_app, price_chart_svg, word_diff
from index.writer import rebuild_index
from intel.cli import cli
from intel.errors import BrowserNotFound

EVENTS = json.loads((Path(__file__).parent / "data" / "index" / "events.json").read_text("utf-8"))
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def serving(app) -> Iterator[str]:
    """Run `app` under uvicorn on 127.0.0.1:<free port> in a thread; yields the base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("web") / "index"
    rebuild_index(path, copy.deepcopy(EVENTS))
    yield path
    forget(path)


@pytest.fixture(scope="module")
def base_url(index_dir) -> Iterator[str]:
    with serving(create_app(index_dir)) as url:
        yield url


# -- without a browser -----------------------------------------------------------------


def test_api_search_takes_the_same_parameters_as_the_cli(base_url):
    r = httpx.get(
        f"{base_url}/api/search", params={"q": "team", "competitor": "acme", "sort": "date"}
    )
    assert r.status_code == 200
    body = r.json()
    assert [h["event_id"] for h in body["hits"]] == [2, 1]
    assert body["facets"]["type"] == {"price_change": 2}
    assert httpx.get(f"{base_url}/api/search", params={"since": "nope"}).status_code == 400
    assert httpx.get(f"{base_url}/api/event/2").json()["new_price"] == 19.0
    assert httpx.get(f"{base_url}/api/event/999").status_code == 404


def test_pages_forbid_scripts_and_escape_competitor_text(base_url):
    r = httpx.get(f"{base_url}/event/6")
    assert r.status_code == 200
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none' covers it
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script>" not in r.text and "&lt;script&gt;" in r.text
    assert "<img src=x" not in r.text and "<b>Labs</b>" not in r.text


def test_price_history_page_has_a_chart_per_plan(base_url):
    r = httpx.get(f"{base_url}/prices")
    assert r.status_code == 200
    assert r.text.count('class="history plan-history"') == 1  # Acme Cloud / Team
    assert r.text.count("<svg") == 1 and r.text.count("<circle") == 3
    assert "$25 → $19" in r.text  # intel.money, as everywhere else
    assert (
        httpx.get(f"{base_url}/prices", params={"competitor": "Beta Works"}).text.count("<svg") == 0
    )


def test_token_gate_when_served_with_a_token(index_dir):
    with serving(create_app(index_dir, token="s3cret")) as url:
        assert httpx.get(f"{url}/api/search").status_code == 401
        ok = httpx.get(f"{url}/api/search", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        wrong = httpx.get(f"{url}/api/search", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        with httpx.Client(base_url=url, follow_redirects=True) as client:
            page = client.get("/", params={"token": "s3cret", "q": "sso"})
            assert page.status_code == 200 and "token=" not in str(page.url)
            assert client.get("/event/4").status_code == 200  # the cookie carries on


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_to_bind_beyond_loopback_without_a_token(tmp_path, host, monkeypatch):
    monkeypatch.delenv("INTEL_SERVE_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--host", host, "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert "refusing" in result.output and "INTEL_SERVE_TOKEN" in result.output


def test_word_diff_marks_what_moved():
    assert word_diff("Team $25 per month", "Team $1,299.50 per month") == [
        ("equal", "Team $"),
        ("del", "25"),
        ("ins", "1,299.50"),
        ("equal", " per month"),
    ]
    assert word_diff("Free, Team", "Free, Team, Pro") == [("equal", "Free, Team"), ("ins", ", Pro")]


def test_price_chart_is_inline_svg_with_escaped_labels():
    svg = str(
        price_chart_svg(
            [
                {"date": "2026-08-02", "old_price": 20, "new_price": 25},
                {"date": "2026-10-05", "old_price": 25, "new_price": None},
            ]
        )
    )
    assert svg.startswith("<svg") and svg.count("<circle") == 2 and "<script" not in svg
    assert "2026-08-02" in svg and "2026-10-05" in svg
    eur = str(
        price_chart_svg(
            [{"date": "2026-08-02", "old_price": 20, "new_price": 25.5, "currency": "EUR"}]
        )
    )
    assert "€25.50" in eur  # the product's one money format, in the plan's currency


# -- in a real headless Chromium -------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    from intel.browser_path import find_chromium

    try:
        path = find_chromium()
    except BrowserNotFound as exc:
        pytest.skip(str(exc))
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    pg = context.new_page()
    dialogs: list[str] = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    pg.dialogs = dialogs  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.mark.browser
def test_search_filter_by_facet_open_event_and_see_the_diff(page, base_url):
    page.goto(base_url + "/")
    assert page.locator(".hit").count() == 8
    page.fill("input[name=q]", "team")
    page.press("input[name=q]", "Enter")
    page.wait_for_url("**/?q=team*")
    assert "3 matches" in page.inner_text("#summary")

    page.click("[data-facet=type] a.facet-value:text-is('price_change')")
    page.wait_for_url("**type=price_change*")
    assert "2 matches" in page.inner_text("#summary")
    assert page.locator(".hit").count() == 2
    assert page.locator("[data-facet=type] a.active").inner_text() == "price_change"

    page.click(".hit a.title >> nth=0")
    page.wait_for_url("**/event/*")
    assert "Team" in page.inner_text("#event-title")
    assert page.locator("#diff del").first.inner_text() in ("25", "20")
    assert page.locator("#diff ins").first.inner_text() in ("19", "25")
    assert page.locator("#price-history svg circle").count() == 3  # 20 -> 25 -> 19
    assert page.dialogs == []


@pytest.mark.browser
def test_a_script_in_a_plan_name_shows_as_text_and_never_runs(page, base_url):
    page.goto(base_url + "/?q=pro")
    title_link = page.locator(".hit a.title").first
    assert "<script>document.title='pwned'</script>" in title_link.inner_text()
    title_link.click()
    page.wait_for_url("**/event/6")
    assert "<script>" in page.inner_text("#event-title")
    assert "Gamma <b>Labs</b>" in page.inner_text(".meta .competitor")
    assert "<img src=x onerror=alert(1)>" in page.inner_text(".why")
    assert page.title().startswith("plan added: Pro <script>")  # the text, not its effect
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert page.locator("#diff ins").inner_text().startswith(", Pro <script>document.title")
    assert page.dialogs == []
