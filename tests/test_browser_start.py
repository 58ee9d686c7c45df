"""Chromium started while Scrapy is imported (`crawlers.browser_start`), real Chromium.

The crawl's download handler must render with the very driver and browser started
early, launched with the options the crawl's settings give it; a start made with other
options, or never taken, is shut down rather than left running beside the crawl.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from scrapy.settings import Settings
from scrapy_playwright.handler import Config

from crawlers.browser import EarlyBrowserProvider, playwright_settings
from crawlers.browser_start import EarlyStart, crawl_launch_options, started_with
from intel.store import Store
from intel.watchlist import parse_watchlist
from tests.test_browser import JsSite, needs_browser, prices
from tests.test_crawl import intel_crawl

pytestmark = [pytest.mark.browser, needs_browser]


def provider_for(base: str, **overrides) -> EarlyBrowserProvider:
    """The provider exactly as the crawl builds it: from the watchlist's Scrapy settings."""
    watchlist = parse_watchlist(
        "crawl: {allow_private_networks: true}\n"
        "competitors:\n  - name: Examplo\n    pages:\n"
        f"      - {{url: {base}/pricing, kind: pricing, render: browser}}\n"
    )
    settings = Settings(playwright_settings(watchlist))
    settings.setdict(overrides)
    return EarlyBrowserProvider(Config.from_settings(settings))


@pytest.fixture
def loop():
    """A fresh current event loop per test, closed after it (the crawl's own is Scrapy's)."""
    yield
    loop = asyncio.get_event_loop_policy().get_event_loop()
    if not loop.is_closed():
        loop.close()
    asyncio.set_event_loop(None)


def test_the_handler_renders_with_the_browser_started_during_the_imports(loop) -> None:
    imported = threading.Event()
    options, missing = crawl_launch_options()
    assert missing is None
    with JsSite() as site:
        early = started_with(imported.set, options)
        assert imported.is_set()  # the imports ran, in their own thread, while it started
        provider = provider_for(site.base)

        async def render() -> tuple[bool, str]:
            await provider.start()
            browser = await provider.launch_browser()
            page = await browser.new_page()
            await page.goto(f"{site.base}/pricing")
            await page.wait_for_selector(".plan-card")
            html = await page.content()
            same = browser is early.browser.result()
            await browser.close()
            await provider.close()
            return same, html

        same, html = early.loop.run_until_complete(render())
    assert same, "the handler launched a second browser instead of taking the early one"
    assert "$49 per month" in prices(html)
    assert EarlyStart.current is None


def test_a_start_made_with_other_options_is_closed_and_the_plugin_launches_its_own(loop):
    options, _ = crawl_launch_options()
    with JsSite() as site:
        early = started_with(lambda: None, options)
        # As `-s PLAYWRIGHT_LAUNCH_OPTIONS=...` would: the early browser is not what was asked.
        provider = provider_for(
            site.base,
            PLAYWRIGHT_LAUNCH_OPTIONS={**options, "args": [*options["args"], "--lang=fr"]},
        )

        async def launch() -> tuple[bool, bool]:
            await provider.start()
            browser = await provider.launch_browser()
            first = None
            page = await browser.new_page()  # the plugin's own browser works
            await page.goto(f"{site.base}/pricing")
            for _ in range(100):  # the early start's shutdown runs as a task of its own
                await asyncio.sleep(0.1)
                if not early.browser.done():
                    continue
                first = None if early.browser.cancelled() else early.browser.result()
                if first is None or not first.is_connected():
                    break
            result = (browser is first, first is not None and first.is_connected())
            await browser.close()
            await provider.close()
            return result

        same, early_alive = early.loop.run_until_complete(launch())
    assert not same and not early_alive


def test_a_start_nobody_took_is_shut_down_after_the_crawl(loop) -> None:
    options, _ = crawl_launch_options()
    early = started_with(lambda: None, options)
    browser = early.loop.run_until_complete(early.browser)
    assert browser.is_connected()
    early.discard()  # what `intel.crawl` does once the reactor has stopped
    assert not browser.is_connected()
    assert EarlyStart.current is None


def test_an_import_that_fails_shuts_the_start_down_and_is_raised(loop) -> None:
    options, _ = crawl_launch_options()

    def broken() -> None:
        raise ImportError("no module named scrapy")

    with pytest.raises(ImportError, match="no module named scrapy"):
        started_with(broken, options)
    assert EarlyStart.current is None


def test_a_crawl_renders_with_the_early_browser_and_recovers_from_its_crash(tmp_path) -> None:
    """`intel crawl` as cron runs it, browser started early: killed mid-render, a new one
    is launched and the page retried once, and every browser page is stored rendered."""
    with JsSite() as site:
        site.crash_once = True
        watchlist = tmp_path / "watchlist.yaml"
        watchlist.write_text(
            "crawl: {allow_private_networks: true, timeout: 10}\n"
            "competitors:\n  - name: Examplo\n    pages:\n"
            f"      - {{url: {site.base}/pricing, kind: pricing, render: browser}}\n"
            f"      - {{url: {site.base}/crash/pricing, kind: pricing, render: browser}}\n"
        )
        data = tmp_path / "data"
        proc = intel_crawl(watchlist, data)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "2/2 pages fetched" in proc.stdout + proc.stderr
        assert site.hits.count("/crash/api/plans.json") == 2  # killed once, then retried
    with Store.open(data) as store:
        rendered = {
            page["url"]: store.snapshot_body(store.last_good_snapshot(page["id"]).id)
            for page in store.pages()
        }
    assert len(rendered) == 2
    for body in rendered.values():
        assert "$49 per month" in prices(body.decode("utf-8"))
