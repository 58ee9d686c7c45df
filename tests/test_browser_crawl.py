"""`render: browser` pages through the crawl: scrapy-playwright with a real headless Chromium.

One crawl (a subprocess: a Twisted reactor cannot be restarted inside pytest) of a local
site whose pricing table is built by JavaScript from a JSON endpoint, with pages that
kill the browser mid-render, never answer, or need a `wait_for` selector, next to a
static page that must not go through the browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawlers.browser import abort_request, playwright_settings, request_meta
from intel.watchlist import parse_watchlist
from tests.test_browser import JsSite, needs_browser, prices

ROOT = Path(__file__).resolve().parents[1]
RUNNER = Path(__file__).parent / "data" / "browser" / "crawl_pages.py"


def watchlist_yaml(base: str, timeout: float = 4) -> str:
    return f"""
crawl: {{allow_private_networks: true, timeout: {timeout}, concurrency: 4}}
competitors:
  - name: Examplo
    pages:
      - {{url: {base}/pricing, kind: pricing, render: browser}}
      - {{url: {base}/static/pricing, kind: pricing}}
      - {{url: {base}/crash/pricing, kind: pricing, render: browser}}
      - {{url: {base}/waited/pricing, kind: pricing, render: browser, wait_for: ".plan-card"}}
      - {{url: {base}/hang, kind: pricing, render: browser}}
"""


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser-crawl")
    with JsSite() as site:
        site.crash_once = True
        wl = tmp / "watchlist.yaml"
        wl.write_text(watchlist_yaml(site.base))
        out = tmp / "out.json"
        proc = subprocess.run(
            [sys.executable, str(RUNNER), str(wl), str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(out.read_text())
        result["hits"] = list(site.hits)
        result["stderr"] = proc.stderr
    result["by_url"] = {p["url"].split("/", 3)[3]: p for p in result["pages"]}
    return result


def test_settings_are_for_chromium_with_the_page_timeout():
    wl = parse_watchlist(watchlist_yaml("http://127.0.0.1:9", timeout=12))
    s = playwright_settings(wl)
    assert s["DOWNLOAD_HANDLERS"]["https"] == s["DOWNLOAD_HANDLERS"]["http"]
    assert s["TWISTED_REACTOR"].endswith("AsyncioSelectorReactor")
    opts = s["PLAYWRIGHT_LAUNCH_OPTIONS"]
    assert Path(opts["executable_path"]).exists()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        assert flag in opts["args"]
    assert s["PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT"] == 12_000
    assert 1 <= s["PLAYWRIGHT_MAX_PAGES_PER_CONTEXT"] <= 4  # never above the crawl's concurrency


def test_request_meta_asks_for_a_browser_and_the_wait_for_selector():
    wl = parse_watchlist(watchlist_yaml("http://127.0.0.1:9"))
    plain = request_meta(wl.competitors[0].pages[0])
    waited = request_meta(wl.competitors[0].pages[3])
    assert plain["playwright"] is True
    assert not plain.get("playwright_include_page")
    assert [m.method for m in waited["playwright_page_methods"]][0] == "wait_for_selector"
    assert waited["playwright_page_methods"][0].args == (".plan-card",)


def test_abort_rule_reads_the_playwright_request():
    class Frame:
        url = "https://acme.example/pricing"

    class Req:
        frame = Frame()

        def __init__(self, rtype, url):
            self.resource_type, self.url = rtype, url

        def is_navigation_request(self):
            return self.resource_type == "document"

    assert abort_request(Req("image", "https://acme.example/a.png"))
    assert abort_request(Req("script", "https://connect.facebook.net/sdk.js"))
    assert not abort_request(Req("fetch", "https://acme.example/api/plans.json"))
    # A rival hosted on a tracker's domain keeps its own page (the tab showed another site).
    assert not abort_request(Req("document", "https://www.hubspot.com/pricing"))


@pytest.mark.browser
@needs_browser
def test_browser_page_is_stored_as_its_rendered_dom(crawl):
    page = crawl["by_url"]["pricing"]
    assert page["status"] == 200 and "playwright" in page["flags"]
    assert prices(page["body"]) == ["$0 per month", "$49 per month", "$129 per month"]


@pytest.mark.browser
@needs_browser
def test_static_page_keeps_the_plain_http_path(crawl):
    page = crawl["by_url"]["static/pricing"]
    assert page["status"] == 200 and "playwright" not in page["flags"]
    assert prices(page["body"]) == []  # the empty shell, as served
    assert "/static/api/plans.json" not in crawl["hits"]


@pytest.mark.browser
@needs_browser
def test_wait_for_selector_page_is_rendered(crawl):
    assert "$49 per month" in prices(crawl["by_url"]["waited/pricing"]["body"])


@pytest.mark.browser
@needs_browser
def test_crashed_browser_is_restarted_and_the_page_retried_once(crawl):
    page = crawl["by_url"]["crash/pricing"]
    assert "$49 per month" in prices(page.get("body", "")), page
    assert crawl["hits"].count("/crash/api/plans.json") == 2
    assert crawl["stats"].get("playwright/browser_count", 0) >= 2
    assert crawl["stats"].get("intel/browser/crash_retry", 0) >= 1


@pytest.mark.browser
@needs_browser
def test_a_page_that_never_answers_fails_alone_with_a_timeout(crawl):
    page = crawl["by_url"]["hang"]
    assert "body" not in page and "TimeoutError" in page["error"]


@pytest.mark.browser
@needs_browser
def test_images_fonts_and_trackers_are_never_fetched(crawl):
    assert not [h for h in crawl["hits"] if h.endswith((".png", ".woff2"))]
    assert crawl["stats"].get("playwright/request_count/aborted", 0) >= 3
