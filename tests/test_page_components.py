"""Pages rendered by component frameworks (custom elements such as `<app-root>`)."""

from __future__ import annotations

from intel.extract import get

SHELL = """<html><body><inv-app><inv-header><nav><a href="/">Home</a></nav></inv-header>
<inv-home><hero-section><h1>{headline}</h1>
<p>Send, chase and reconcile every invoice from one inbox.</p></hero-section>
<live-stats><p><strong>{count}</strong> invoices sent today</p></live-stats>
<tip-of-the-day><h2>Tip of the day</h2><p>{tip}</p></tip-of-the-day>
<p>Built for <rotating-word>freelancers</rotating-word> and finance teams.</p>
</inv-home></inv-app></body></html>"""

URL = "https://inv.example/"


def _page(headline: str = "Invoices, paid on time", count: str = "48,117", tip: str = "") -> dict:
    tip = tip or "Add a late fee to nudge slow payers."
    return get("page").extract(SHELL.format(headline=headline, count=count, tip=tip), URL)


def test_component_hosts_keep_headings_and_paragraphs_apart():
    texts = [b["text"] for b in _page()["blocks"]]
    assert "Invoices, paid on time" in texts
    assert "Send, chase and reconcile every invoice from one inbox." in texts
    # a custom element holding only inline text stays inside its sentence
    assert "Built for freelancers and finance teams." in texts


def test_rotating_component_does_not_mask_the_rest_of_the_page():
    page = get("page")
    first = _page()
    assert page.diff(first, _page(count="48,263"), None) == []  # a ticking counter
    # night one: the probe fetch moments later shows another tip and a ticked counter
    probe = _page(count="48,263", tip="Export to your accountant in one click.")
    state = page.learn(first, probe, None, seconds_apart=4)
    # a later night: the headline is repositioned while the tip rotates again
    later = _page(
        headline="Invoices and payroll, paid on time",
        count="51,902",
        tip="Recurring invoices go out on their own.",
    )
    events = page.diff(probe, later, state)
    assert len(events) == 1
    assert events[0].added == ["Invoices and payroll, paid on time"]
    assert events[0].removed == ["Invoices, paid on time"]
