"""When is a JavaScript page done? `intel.render.settle` on pages that take their time.

Real pages fetch in chains, render after a timer, or redirect themselves once their
script runs. The rendered DOM must be the finished page, with a real headless Chromium
against a local server.
"""

from __future__ import annotations

import pytest

from intel.render import render_urls
from tests.servers import LocalServer, page
from tests.test_browser import needs_browser, prices

pytestmark = [pytest.mark.browser, needs_browser]

PLANS = '{"plans": [{"name": "Team", "price": 49}, {"name": "Business", "price": 129}]}'

DRAW = """
const draw = (d) => { document.getElementById("plans").innerHTML = d.plans.map(p =>
  `<section><h3>${p.name}</h3><p class="price">$${p.price} per month</p></section>`).join(""); };
"""

# A config fetch, a 200 ms pause (a debounce, a scheduler), then the plans fetch.
CHAINED = f"""<!doctype html><html><body><div id="plans">Loading</div><script>{DRAW}
fetch("/config.json").then(r => r.json()).then(() => new Promise(ok => setTimeout(ok, 200)))
  .then(() => fetch("/plans.json")).then(r => r.json()).then(draw);
</script></body></html>"""

# The watched URL sends the browser on to the real page once its script has run.
HOPPING = """<!doctype html><html><body><p>Redirecting...</p><script>
setTimeout(() => location.replace("/chained"), 50);
</script></body></html>"""


@pytest.fixture(scope="module")
def site():
    json_headers = {"Content-Type": "application/json"}
    with LocalServer(
        {
            "/chained": page(CHAINED),
            "/hopping": page(HOPPING),
            "/config.json": page('{"region": "us"}', headers=json_headers),
            "/plans.json": page(PLANS, headers=json_headers, delay=0.1),
        }
    ) as srv:
        yield srv


def test_a_page_fetching_in_a_chain_with_a_pause_is_taken_when_finished(site):
    (html,) = render_urls([site.url("/chained")])
    assert prices(html) == ["$49 per month", "$129 per month"]


def test_a_page_that_redirects_itself_is_taken_at_its_destination(site):
    (html,) = render_urls([site.url("/hopping")])
    assert prices(html) == ["$49 per month", "$129 per month"]
