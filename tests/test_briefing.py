"""Briefings: rendered from stored events, sent through a real SMTP server, never lost or doubled."""

from __future__ import annotations

import socket
import textwrap
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner

from intel.cli import cli
from intel.store import Store
from intel.watchlist import load_watchlist


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real aiosmtpd server on 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
                outer.messages.append(envelope.original_content or envelope.content)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def make_world(tmp_path, port: int, plan_name: str = "Team"):
    wl_path = tmp_path / "watchlist.yaml"
    wl_path.write_text(
        textwrap.dedent(
            f"""\
            us: {{name: OurCo}}
            crawl: {{allow_private_networks: true}}
            smtp: {{host: 127.0.0.1, port: {port}, security: none, from: intel@ourco.example}}
            briefings:
              title: Market briefing
              weekly: {{to: [ceo@ourco.example, cpo@ourco.example], weekday: friday}}
            competitors:
              - name: Acme
                pages:
                  - {{url: http://127.0.0.1:9/pricing, kind: pricing}}
                  - {{url: http://127.0.0.1:9/changelog, kind: changelog}}
              - name: Globex
                pages:
                  - {{url: http://127.0.0.1:9/g, kind: page}}
            """
        )
    )
    wl = load_watchlist(wl_path)
    data = tmp_path / "data"
    with Store.open(data) as st:
        ids = st.sync_watchlist(wl)
        pricing = ids["http://127.0.0.1:9/pricing"]
        for day, price in (("2026-11-10", 19.0), ("2026-11-17", 29.0)):
            sid = st.add_snapshot(
                None,
                pricing,
                url="http://127.0.0.1:9/pricing",
                status=200,
                body=f"<p>{price}</p>".encode(),
                fetched_at=f"{day}T02:00:00+00:00",
            )
            plans = {
                "plans": [
                    {
                        "name": plan_name,
                        "prices": [{"amount": price, "currency": "USD", "period": "month"}],
                    }
                ]
            }
            events = []
            if price == 29.0:
                events = [
                    {
                        "type": "price_change",
                        "plan": plan_name,
                        "old_price": 19.0,
                        "new_price": 29.0,
                        "currency": "USD",
                        "period": "month",
                        "signal": "opportunity",
                        "importance": 0.7,
                        "tags": ["pricing"],
                        "why": f"Price rise 53% on {plan_name} (USD/month)",
                        "key": "p1",
                    }
                ]
            st.save_processed(
                st.snapshot(sid),
                outcome="changed",
                extraction=("pricing", 1, plans),
                events=events,
                found_at=f"{day}T02:00:00+00:00",
            )
        cl = ids["http://127.0.0.1:9/changelog"]
        sid = st.add_snapshot(
            None,
            cl,
            url="http://127.0.0.1:9/changelog",
            status=200,
            body=b"x",
            fetched_at="2026-11-18T02:00:00+00:00",
        )
        st.save_processed(
            st.snapshot(sid),
            outcome="changed",
            found_at="2026-11-18T02:00:00+00:00",
            events=[
                {
                    "type": "changelog_entry",
                    "title": "AI meeting notes",
                    "date": "2026-11-18",
                    "signal": "threat",
                    "importance": 0.8,
                    "tags": ["ai"],
                    "why": "Launched: AI meeting notes (ai)",
                    "key": "c1",
                }
            ],
        )
        g = ids["http://127.0.0.1:9/g"]
        st.add_snapshot(
            None,
            g,
            url="http://127.0.0.1:9/g",
            status=None,
            body=None,
            fetched_at="2026-11-18T02:00:00+00:00",
            error="ConnectionRefusedError",
        )
    return wl_path, data


def brief(wl_path, data, *extra):
    return CliRunner().invoke(
        cli,
        [
            "brief",
            "--watchlist",
            str(wl_path),
            "--data",
            str(data),
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-30",
            "--out",
            str(data / "out"),
            *extra,
        ],
    )


def test_briefing_is_sent_as_multipart_alternative_with_inline_charts(tmp_path):
    port = free_port()
    wl_path, data = make_world(tmp_path, port)
    with SmtpServer(port) as server:
        result = brief(wl_path, data, "--send")
    assert result.exit_code == 0, result.output
    assert len(server.messages) == 1
    msg = message_from_bytes(server.messages[0], policy=policy.default)
    assert "1 threat, 1 opportunity" in msg["Subject"]
    assert msg["To"] == "ceo@ourco.example, cpo@ourco.example"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",))
    html = html_part.get_content()
    for body in (text, html):
        assert "Team" in body and "$19" in body and "$29" in body and "+53%" in body
        assert "AI meeting notes" in body
        assert "3 pages watched, 1 could not be fetched" in body
    # every cid: in the HTML resolves to an attached PNG
    related = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert related, "the price-history chart is inline"
    cids = {p["Content-ID"].strip("<>") for p in related}
    for cid in cids:
        assert f"cid:{cid}" in html
    assert all(p.get_content()[:8] == b"\x89PNG\r\n\x1a\n" for p in related)


def test_failed_send_stays_in_outbox_and_a_later_run_sends_it_once(tmp_path):
    port = free_port()
    wl_path, data = make_world(tmp_path, port)
    result = brief(wl_path, data, "--send")  # nobody listens on the port
    assert result.exit_code == 1
    assert len(list((data / "outbox").glob("*.eml"))) == 1
    with SmtpServer(port) as server:
        again = brief(wl_path, data, "--send")
        assert again.exit_code == 0, again.output
        third = brief(wl_path, data, "--send")
        assert third.exit_code == 0
    assert len(server.messages) == 1, "delivered exactly once"
    assert not list((data / "outbox").glob("*.eml"))
    assert len(list((data / "sent").glob("*.eml"))) == 1


def test_quiet_window_says_no_material_moves(tmp_path):
    wl_path, data = make_world(tmp_path, free_port())
    result = CliRunner().invoke(
        cli,
        [
            "brief",
            "--watchlist",
            str(wl_path),
            "--data",
            str(data),
            "--since",
            "2025-01-01",
            "--until",
            "2025-01-08",
            "--out",
            str(tmp_path / "q"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "no material moves" in result.output
    text = (tmp_path / "q" / "briefing.txt").read_text()
    assert "No material moves" in text and "3 pages watched" in text


def test_competitor_markup_is_escaped_in_html(tmp_path):
    wl_path, data = make_world(tmp_path, free_port(), plan_name="<script>alert(1)</script>Pro")
    result = brief(wl_path, data)
    assert result.exit_code == 0, result.output
    html = (data / "out" / "briefing.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Pro" in html
    markdown = (data / "out" / "briefing.md").read_text()
    assert "<script>" not in markdown  # Markdown viewers render raw HTML


def test_user_templates_override_the_packaged_ones(tmp_path):
    wl_path, data = make_world(tmp_path, free_port())
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "briefing.txt.j2").write_text("CUSTOM {{ counts.events }} moves\n")
    assert brief(wl_path, data).exit_code == 0
    assert (data / "out" / "briefing.txt").read_text().strip() == "CUSTOM 2 moves"


@pytest.mark.browser
def test_briefing_html_renders_with_summary_above_the_fold(tmp_path):
    from playwright.sync_api import sync_playwright

    from intel.browser_path import find_chromium

    wl_path, data = make_world(tmp_path, free_port())
    assert brief(wl_path, data).exit_code == 0
    html_path = data / "out" / "briefing.html"
    shot = tmp_path / "shot.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=find_chromium(),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 600, "height": 800})
        page.goto(html_path.as_uri())
        page.screenshot(path=str(shot))
        box = page.get_by_text("Top threat:", exact=False).first.bounding_box()
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert box is not None and box["y"] + box["height"] < 800, "summary is above the fold"
    assert width <= 600, "no horizontal scrolling on a phone-sized screen"
    from PIL import Image

    img = Image.open(shot).convert("L")
    lo, hi = img.getextrema()
    assert hi - lo > 100, "the screenshot is not blank"
