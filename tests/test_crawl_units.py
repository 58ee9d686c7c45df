"""The crawl's plain functions and settings, without starting a reactor."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from twisted.internet.error import ConnectionLost
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed

from crawlers.http_rules import conditional_headers, refusal
from crawlers.middlewares import backoff_delay
from crawlers.spiders.watch import crawl_settings as watchlist_settings
from crawlers.spiders.watch import describe_failure
from intel.cli import cli
from intel.crawl import CrawlResult, crawl_settings
from intel.watchlist import parse_watchlist


def test_conditional_headers_come_from_the_last_good_validators():
    assert conditional_headers(
        {"etag": '"v7"', "last-modified": "Sat, 21 Nov 2026 02:00:00 GMT"}
    ) == {
        "If-None-Match": '"v7"',
        "If-Modified-Since": "Sat, 21 Nov 2026 02:00:00 GMT",
    }
    assert conditional_headers({"ETag": 'W/"x"'}) == {"If-None-Match": 'W/"x"'}
    assert conditional_headers({}) == {}  # a new page: a plain GET


@pytest.mark.parametrize(
    "host,address",
    [
        ("127.0.0.1", None),
        ("localhost", None),
        ("10.1.2.3", None),
        ("192.168.0.10", None),
        ("169.254.169.254", None),  # the cloud metadata service
        ("[::1]", None),
        ("fe80::1", None),
        ("0.0.0.0", None),
        ("intranet.corp", "10.0.0.5"),  # a name that resolves inside
        ("rebind.example", "127.0.0.1"),
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(host, address):
    why = refusal(host, address)
    assert why and "private" in why
    assert refusal(host, address, allow_private=True) is None


@pytest.mark.parametrize(
    "host,address", [("acme.example", "93.184.215.14"), ("acme.example", None)]
)
def test_public_or_unresolved_hosts_pass(host, address):
    assert refusal(host, address) is None


def test_backoff_doubles_honours_retry_after_and_is_capped():
    assert [backoff_delay(n, 1.0, 60.0) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    assert backoff_delay(1, 1.0, 60.0, b"10") == 10.0
    assert backoff_delay(1, 1.0, 60.0, "3600") == 60.0  # a night must end
    assert backoff_delay(3, 1.0, 60.0, "1") == 4.0  # never shorter than our own backoff
    assert backoff_delay(1, 1.0, 60.0, "Wed, 21 Oct 2015 07:28:00 GMT") == 1.0  # in the past
    assert backoff_delay(1, 1.0, 60.0, "soon") == 1.0


def test_failures_are_described_in_one_readable_line():
    wrapped = ResponseFailed([Failure(ConnectionLost("Connection to the other side was lost"))])
    text = describe_failure(wrapped)
    assert "ConnectionLost: Connection to the other side was lost" in text
    assert "<twisted" not in text and "\n" not in text
    assert "size cap" in describe_failure(DownloadCancelledError())
    assert describe_failure(IgnoreRequest("Forbidden by robots.txt")).endswith("robots.txt")


def test_watchlist_crawl_block_becomes_scrapy_settings():
    wl = parse_watchlist(
        """
crawl: {allow_private_networks: true, user_agent: "ourco-bot/1.0 (+https://ourco.example/bot)",
        timeout: 7, max_page_bytes: 200000, retries: 0, obey_robots: true, per_domain_concurrency: 2}
competitors:
  - name: A
    pages: [{url: "http://127.0.0.1:1/", kind: page}]
"""
    )
    s = watchlist_settings(wl)
    assert s["USER_AGENT"].startswith("ourco-bot/1.0")
    assert s["DOWNLOAD_TIMEOUT"] == 7 and s["DOWNLOAD_MAXSIZE"] == 200000
    assert s["RETRY_TIMES"] == 0 and s["ROBOTSTXT_OBEY"] is True
    assert s["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert s["INTEL_ALLOW_PRIVATE_NETWORKS"] is True
    default = parse_watchlist(
        "competitors: [{name: A, pages: [{url: 'https://a.example/', kind: page}]}]"
    )
    assert "USER_AGENT" not in watchlist_settings(default)  # the honest default stays


def test_remote_control_and_telnet_are_off_and_politeness_is_on(tmp_path):
    s = crawl_settings(tmp_path, run_id=3)
    assert s.getbool("REMOTE_CONTROL_ENABLED") is False
    assert s.getbool("TELNETCONSOLE_ENABLED") is False
    # neither is even listed (Scrapy imports every listed class, disabled or not)
    from scrapy.utils.conf import build_component_list

    ext = build_component_list(s.get_component_priority_dict_with_base("EXTENSIONS"))
    assert "scrapy.extensions.corestats.CoreStats" in ext
    assert not [e for e in ext if "RemoteControl" in e or "TelnetConsole" in e]
    assert s.getbool("ROBOTSTXT_OBEY") is True
    assert "intel-crawler" in s["USER_AGENT"] and "Scrapy" not in s["USER_AGENT"]
    assert 0 < s.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    assert s["INTEL_DATA"] == str(tmp_path) and s.getint("INTEL_RUN_ID") == 3
    assert s["LOG_LEVEL"] == "WARNING"


def test_crawl_result_counts_a_304_as_fetched_and_lists_failures():
    from crawlers.items import PageSnapshot

    r = CrawlResult(pages=4)
    r.add(PageSnapshot("A", "http://a/1", "page", "t", status=200, body=b"x"))
    r.add(PageSnapshot("A", "http://a/2", "page", "t", status=304, not_modified=True))
    r.add(PageSnapshot("A", "http://a/3", "page", "t", status=500, error="HTTP 500"))
    assert (r.fetched, r.not_modified, r.failed, r.missing) == (2, 1, 1, 1)
    assert r.failures == ["http://a/3: HTTP 500"]
    assert r.summary()["fetched"] == 2
    assert "2/4 pages fetched" in r.line()


def test_intel_crawl_with_a_bad_watchlist_exits_2_and_names_the_line(tmp_path):
    wl = tmp_path / "watchlist.yaml"
    wl.write_text("competitors:\n  - name: A\n    pages:\n      - {url: 'ftp://x', kind: page}\n")
    result = CliRunner().invoke(cli, ["crawl", "-w", str(wl), "--data", str(tmp_path / "d")])
    assert result.exit_code == 2
    assert f"{wl}:4" in result.output
    assert not (tmp_path / "d").exists()  # nothing ran
