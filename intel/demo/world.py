"""The demo world: four fictional rivals whose sites move on known days, under constant noise.

Why a world and not saved pages: the product's promise is "what moved last night, and
nothing else". A demo can only show that honestly with sites that really do move on some
nights and not on others, while every fetch carries the junk real sites carry (CSRF
tokens, nonces, render times, live counters, rotating testimonials, cache-busting asset
names, cookie banners, A/B class churn). So content here is a pure function of
(site, path, day, noise): moves depend on the DAY only, noise on the per-request
`Noise` only. `MOVES` lists every planned move, so tests and the demo can check what
the product reported against the truth.

Markup lives in Jinja2 templates under `world/<site>/`; the data (plans, prices,
entries per day) lives here. Each rival is built differently, like real sites: plan
cards with a monthly/annual toggle (Acorn), a German comparison table in EUR (Fjordly),
CSS-module class names plus schema.org JSON-LD offers (Quokka), and a page built by
JavaScript from a JSON endpoint (Tessellate).
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from babel.dates import format_date
from babel.numbers import format_currency

DAYS = 4  # day 1 is the baseline, day 4 is a quiet night: noise only
TEMPLATES = Path(__file__).parent / "world"

# Our own fictional product: the `us:` block of the demo watchlist, so a rival's move can
# be judged a threat or an opportunity.
US: dict[str, Any] = {
    "name": "Lanternly",
    "plans": [
        {"name": "Free", "price": 0, "currency": "USD", "period": "month"},
        {"name": "Team", "price": 14, "currency": "USD", "period": "month"},
        {"name": "Business", "price": 39, "currency": "USD", "period": "month"},
    ],
    "features": [
        "SSO",
        "Audit log",
        "Scheduled exports",
        "AI summaries",
        "Slack alerts",
        "EU data residency",
    ],
}


# -- the truth: every move the world makes -------------------------------------------------


@dataclass(frozen=True)
class Move:
    """One planned move: on `day`, `path` of `site` changes from `before` to `after` text."""

    day: int
    site: str  # Site.slug
    path: str  # the watched page that shows the move
    type: str  # the event type the product should report (FORMAT.md)
    subject: str  # plan, feature or entry title the event is about
    before: str | None  # text served the day before (None: absent)
    after: str | None  # text served that day (None: gone)
    note: str
    source: str | None = None  # where the text lives when not on `path` (the JSON endpoint)


MOVES: tuple[Move, ...] = (
    # day 2
    Move(2, "acorn", "/pricing", "price_change", "Team", "$12", "$15",
         "Acorn raises Team from $12 to $15 per user/month (annual billing $10 to $12)"),
    Move(2, "acorn", "/changelog", "changelog_entry", "Scheduled exports to Amazon S3",
         None, "Scheduled exports to Amazon S3", "Acorn ships scheduled exports (also in its Atom feed)"),
    Move(2, "fjordly", "/preise", "price_change", "Business", "1.299,00", "1.099,00",
         "Fjordly cuts Business from 1.299,00 € to 1.099,00 € a year"),
    Move(2, "quokka", "/pricing", "plan_removed", "Starter", "Starter", None,
         "Quokka drops its $9 Starter plan"),
    Move(2, "quokka", "/features", "feature_added", "AI lead scoring", None, "AI lead scoring",
         "Quokka announces AI lead scoring on its features page"),
    # day 3
    Move(3, "acorn", "/pricing", "price_change", "Enterprise", "$49", "Contact sales",
         "Acorn's Enterprise price ($49) becomes Contact sales"),
    Move(3, "acorn", "/changelog", "changelog_entry", "AI summaries for every dashboard",
         None, "AI summaries for every dashboard", "Acorn ships AI summaries"),
    Move(3, "fjordly", "/preise", "plan_added", "Scale", None, "Scale",
         "Fjordly adds a Scale plan at 2.199,00 € a year"),
    Move(3, "fjordly", "/", "content_change", "headline",
         "Die Datenplattform für den Mittelstand", "Die KI-Datenplattform für Europas Mittelstand",
         "Fjordly repositions its homepage around AI"),
    Move(3, "fjordly", "/changelog", "changelog_entry", "3.9.0", None, "[3.9.0]",
         "Fjordly releases 3.9.0 with an SAP connector"),
    Move(3, "quokka", "/pricing", "feature_removed", "Single sign-on (SSO)",
         "Single sign-on (SSO)", None, "Quokka moves SSO from Business down to Pro (removed from Business)"),
    Move(3, "quokka", "/pricing", "feature_added", "Single sign-on (SSO)", None,
         "Single sign-on (SSO)", "Quokka moves SSO from Business down to Pro (added to Pro)"),
    Move(3, "quokka", "/changelog", "changelog_entry", "Two-way calendar sync for Outlook",
         None, "Two-way calendar sync for Outlook",
         "Quokka posts a new entry; its paginated changelog drops the oldest entry off page 1"),
    Move(3, "tessellate", "/pricing", "price_change", "Pro", '"monthly": 29', '"monthly": 24',
         "Tessellate cuts Pro from $29 to $24 per editor/month (JSON behind a JavaScript page)",
         source="/api/pricing.json"),
    Move(3, "tessellate", "/features", "feature_removed", "Offline mode", "Offline mode", None,
         "Tessellate drops Offline mode from its feature comparison"),
    Move(3, "tessellate", "/changelog", "changelog_entry", "v4.2.0", None, "v4.2.0",
         "Tessellate releases v4.2.0: variables and modes"),
)  # fmt: skip


# -- noise: everything that changes on every request and is NOT a move -----------------------

TESTIMONIALS = (
    ("Priya N.", "Head of Data, Coldbrook", "We replaced three tools in a week."),
    ("Marcus O.", "COO, Fernhill Logistics", "Our weekly review went from two hours to twenty minutes."),
    ("Lea S.", "Product Lead, Kiteworks Studio", "The support team answers before I finish typing."),
    ("Tomás R.", "Founder, Pebble & Pine", "Setup took one coffee."),
)  # fmt: skip
COOKIE_TEXTS = (
    "We use cookies to improve your experience and to measure traffic.",
    "We use cookies to give you the best possible experience on our site.",
    "This site uses cookies for analytics and personalised content.",
)
CUSTOMER_LOGOS = ("Coldbrook", "Fernhill", "Kiteworks", "Pebble & Pine", "Northgate", "Tidewell")


@dataclass
class Noise:
    """The volatile part of one response, drawn from a per-request seed (never from the day)."""

    seed: int
    now: datetime
    hits: int = 0  # requests served so far: drives the live counters

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self._rng = rng
        self.csrf = f"{rng.getrandbits(256):064x}"
        self.nonce = f"{rng.getrandbits(128):032x}"
        self.asset = f"{rng.getrandbits(32):08x}"  # cache-busting build hash
        self.css = "".join(
            rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(5)
        )
        self.request_id = f"{rng.getrandbits(64):016x}"
        self.session = f"{rng.getrandbits(96):024x}"
        self.variant = rng.choice(("a", "b", "c"))  # A/B experiment arm
        self.cookie_text = rng.choice(COOKIE_TEXTS)
        self.minutes_ago = rng.randint(1, 59)
        self.viewers = rng.randint(3, 48)
        self.render_ms = rng.randint(8, 240)
        self.signups = 1180 + self.hits * 3 + rng.randint(0, 2)
        self.year = self.now.year

    @classmethod
    def quiet(cls) -> Noise:
        """Fixed noise: two renders of the same page and day with it are byte-identical."""
        return cls(seed=0, now=datetime(2026, 1, 1, 12, 0, tzinfo=UTC), hits=0)

    @property
    def rendered_at(self) -> str:
        return self.now.strftime("%Y-%m-%dT%H:%M:%SZ")

    def shuffled(self, items: Sequence[Any]) -> list[Any]:
        out = list(items)
        self._rng.shuffle(out)
        return out

    def testimonials(self, n: int = 3) -> list[tuple[str, str, str]]:
        return self.shuffled(TESTIMONIALS)[:n]

    def logos(self) -> list[str]:
        return self.shuffled(CUSTOMER_LOGOS)


# -- the rivals -----------------------------------------------------------------------------


def by_day(day: int, values: dict[int, Any]) -> Any:
    """The value in force on `day`: the one set on the latest day <= `day`."""
    return values[max(d for d in values if d <= day)]


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Watched:
    """One page the demo watchlist watches."""

    path: str
    kind: str
    render: str = "static"
    wait_for: str | None = None


@dataclass(frozen=True)
class Site:
    """One fictional rival: its brand, its watched pages, and how they look on each day."""

    slug: str
    name: str
    domain: str  # the brand's `.example` domain, shown on the pages; served on 127.0.0.1
    lang: str
    weight: float
    tagline: str
    watched: tuple[Watched, ...]


SITES: tuple[Site, ...] = (
    Site("acorn", "Acorn Analytics", "acorn.example", "en", 1.5,
         "Dashboards for the whole team",
         (Watched("/", "page"), Watched("/pricing", "pricing"),
          Watched("/changelog", "changelog"), Watched("/features", "features"))),
    Site("fjordly", "Fjordly", "fjordly.example", "de", 1.0,
         "Datenplattform aus Europa",
         (Watched("/", "page"), Watched("/preise", "pricing"),
          Watched("/changelog", "changelog"), Watched("/funktionen", "features"))),
    Site("quokka", "Quokka CRM", "quokka.example", "en", 1.0,
         "The friendly CRM",
         (Watched("/", "page"), Watched("/pricing", "pricing"),
          Watched("/changelog", "changelog"), Watched("/features", "features"))),
    Site("tessellate", "Tessellate", "tessellate.example", "en", 0.8,
         "Design systems that stay in sync",
         (Watched("/", "page"), Watched("/pricing", "pricing", "browser", ".plan-card"),
          Watched("/changelog", "changelog"), Watched("/features", "features"))),
)  # fmt: skip
SITE_BY_SLUG = {s.slug: s for s in SITES}


class World:
    """Renders every page of every rival for a given day; `start` is the date of day 1."""

    def __init__(self, start: date) -> None:
        self.start = start
        self.env = _environment()

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day - 1)

    def render(self, slug: str, path: str, day: int, noise: Noise, query: str = "") -> Response:
        """The response `slug`'s site serves for `path` on `day`, carrying this request's noise."""
        site = SITE_BY_SLUG[slug]
        if path == "/robots.txt":
            return Response(200, "text/plain; charset=utf-8", ROBOTS.encode())
        if path.startswith("/static/"):
            ctype = "text/css" if path.endswith(".css") else "application/javascript"
            return Response(200, f"{ctype}; charset=utf-8", b"/* demo asset */\n")
        builder = getattr(self, f"_{slug}", None)
        found = builder(path, day, noise, query) if builder else None
        if found is None:
            return self._page(site, "_404.html", day, noise, {}, status=404)
        return found

    # -- helpers ------------------------------------------------------------------------------

    def _page(
        self, site: Site, template: str, day: int, noise: Noise, ctx: dict, status: int = 200
    ) -> Response:
        name = template if template.startswith("_") else f"{site.slug}/{template}"
        html = self.env.get_template(name).render(
            site=site, noise=noise, today=self.date(day), day=day, **ctx
        )
        headers = {
            "Set-Cookie": f"sid={noise.session}; Path=/; HttpOnly; SameSite=Lax",
            "X-Request-Id": noise.request_id,
            "Cache-Control": "no-cache",
        }
        return Response(status, "text/html; charset=utf-8", html.encode("utf-8"), headers)

    def _entries(self, entries: list[dict], day: int) -> list[dict]:
        """Changelog entries published by `day`, newest first, each with its date."""
        out = []
        for e in entries:
            if e["day"] <= day:
                out.append({**e, "date": self.date(e["day"])})
        return sorted(out, key=lambda e: e["date"], reverse=True)

    # -- Acorn Analytics: plan cards, a monthly/annual toggle, an Atom feed ---------------------

    def _acorn(self, path: str, day: int, noise: Noise, query: str) -> Response | None:
        site = SITE_BY_SLUG["acorn"]
        if path == "/":
            return self._page(site, "home.html", day, noise, {})
        if path == "/pricing":
            plans = [
                {"name": "Free", "monthly": 0, "annual": 0, "blurb": "For one analyst getting started",
                 "features": ["3 dashboards", "7-day history", "Community support"]},
                {"name": "Team", "monthly": by_day(day, {1: 12, 2: 15}),
                 "annual": by_day(day, {1: 10, 2: 12}), "featured": True,
                 "blurb": "For teams that share numbers every week",
                 "features": ["Unlimited dashboards", "1-year history", "Slack alerts", "Scheduled exports"]},
                {"name": "Business", "monthly": 29, "annual": 24, "blurb": "For companies with many teams",
                 "features": ["Everything in Team", "SSO (SAML)", "Audit log", "Row-level permissions"]},
                {"name": "Enterprise", "monthly": by_day(day, {1: 49, 3: None}),
                 "annual": by_day(day, {1: 41, 3: None}), "blurb": "For regulated organisations",
                 "features": ["Dedicated success manager", "Custom data retention", "99.9% uptime SLA"]},
            ]  # fmt: skip
            return self._page(site, "pricing.html", day, noise, {"plans": plans})
        if path == "/changelog":
            return self._page(
                site, "changelog.html", day, noise, {"entries": self._entries(ACORN_LOG, day)}
            )
        if path == "/changelog/feed.xml":
            body = self.env.get_template("acorn/feed.xml").render(
                site=site, noise=noise, entries=self._entries(ACORN_LOG, day)
            )
            return Response(200, "application/atom+xml; charset=utf-8", body.encode("utf-8"))
        if path.startswith("/changelog/"):
            slug = path.removeprefix("/changelog/")
            for e in self._entries(ACORN_LOG, day):
                if e["slug"] == slug:
                    return self._page(site, "entry.html", day, noise, {"entry": e})
            return None
        if path == "/features":
            return self._page(site, "features.html", day, noise, {"features": ACORN_FEATURES})
        return None

    # -- Fjordly: German, EUR (1.299,00 €), a comparison table with check marks ----------------

    def _fjordly(self, path: str, day: int, noise: Noise, query: str) -> Response | None:
        site = SITE_BY_SLUG["fjordly"]
        if path == "/":
            headline = by_day(
                day,
                {
                    1: "Die Datenplattform für den Mittelstand",
                    3: "Die KI-Datenplattform für Europas Mittelstand",
                },
            )
            sub = by_day(
                day,
                {
                    1: "Alle Daten Ihres Unternehmens an einem Ort, gehostet in Frankfurt.",
                    3: "Fragen Sie Ihre Daten in ganzen Sätzen, gehostet in Frankfurt.",
                },
            )
            return self._page(site, "home.html", day, noise, {"headline": headline, "sub": sub})  # fmt: skip
        if path == "/preise":
            plans = [("Starter", 0), ("Team", 349), ("Business", by_day(day, {1: 1299, 2: 1099}))]
            if day >= 3:
                plans.append(("Scale", 2199))
            plans.append(("Enterprise", 3499))
            names = [p[0] for p in plans]
            rows = [(label, [name in have for name in names]) for label, have in FJORDLY_MATRIX]
            return self._page(site, "pricing.html", day, noise, {"plans": plans, "rows": rows})
        if path == "/changelog":
            return self._page(
                site, "changelog.html", day, noise, {"releases": self._entries(FJORDLY_LOG, day)}
            )
        if path == "/funktionen":
            return self._page(site, "features.html", day, noise, {"groups": FJORDLY_FEATURES})
        return None

    # -- Quokka CRM: CSS-module classes, JSON-LD offers, a paginated changelog ------------------

    def _quokka(self, path: str, day: int, noise: Noise, query: str) -> Response | None:
        site = SITE_BY_SLUG["quokka"]
        if path == "/":
            return self._page(site, "home.html", day, noise, {})
        if path == "/pricing":
            sso = "Single sign-on (SSO)"
            plans = []
            if day < 2:
                plans.append({"name": "Starter", "price": 9, "features": ["Up to 1,000 contacts", "Email sync", "Mobile app"]})  # fmt: skip
            pro = ["Unlimited contacts", "Email sync", "Pipeline automation", "Mobile app"]
            business = ["Unlimited contacts", "Pipeline automation", sso, "Custom roles", "Audit log", "Sandbox"]  # fmt: skip
            if day >= 3:
                pro.append(sso)
                business.remove(sso)
            plans.append({"name": "Pro", "price": 25, "features": pro, "featured": True})
            plans.append({"name": "Business", "price": 59, "features": business})
            offers = [
                {
                    "@type": "Offer",
                    "name": p["name"],
                    "price": f"{p['price']:.2f}",
                    "priceCurrency": "USD",
                    "url": f"https://{site.domain}/pricing#{p['name'].lower()}",
                    "priceSpecification": {
                        "@type": "UnitPriceSpecification",
                        "price": f"{p['price']:.2f}",
                        "priceCurrency": "USD",
                        "billingDuration": "P1M",
                        "referenceQuantity": {
                            "@type": "QuantitativeValue",
                            "value": 1,
                            "unitText": "seat",
                        },  # fmt: skip
                    },
                }
                for p in plans
            ]
            ld = {
                "@context": "https://schema.org",
                "@type": "Product",
                "name": "Quokka CRM",
                "brand": {"@type": "Brand", "name": "Quokka"},
                "offers": offers,
            }
            ld_json = json.dumps(ld, indent=2).replace("</", "<\\/")
            return self._page(
                site, "pricing.html", day, noise, {"plans": plans, "ld_json": ld_json}
            )
        if path == "/changelog":
            page = _page_number(query)
            entries = self._entries(QUOKKA_LOG, day)
            per_page = 5
            chunk = entries[(page - 1) * per_page : page * per_page]
            if not chunk:
                return None
            has_next = len(entries) > page * per_page
            return self._page(
                site, "changelog.html", day, noise, {"entries": chunk, "page": page, "has_next": has_next}
            )  # fmt: skip
        if path == "/features":
            features = list(QUOKKA_FEATURES)
            if day >= 2:
                features.insert(2, QUOKKA_AI_FEATURE)
            return self._page(site, "features.html", day, noise, {"features": features})
        return None

    # -- Tessellate: a pricing page built by JavaScript from a JSON endpoint --------------------

    def _tessellate(self, path: str, day: int, noise: Noise, query: str) -> Response | None:
        site = SITE_BY_SLUG["tessellate"]
        if path == "/":
            return self._page(site, "home.html", day, noise, {})
        if path == "/pricing":
            return self._page(site, "pricing.html", day, noise, {})
        if path == "/api/pricing.json":
            data = {
                "generated_at": noise.rendered_at,
                "request_id": noise.request_id,
                "experiment": f"pricing-{noise.variant}",
                "currency": "USD",
                "unit": "editor",
                "plans": [
                    {"id": "free", "name": "Free", "price": {"monthly": 0},
                     "tagline": "For personal projects",
                     "features": ["3 projects", "Community libraries", "Version history (30 days)"]},
                    {"id": "pro", "name": "Pro", "price": {"monthly": by_day(day, {1: 29, 3: 24})},
                     "tagline": "For product teams", "highlight": True,
                     "features": ["Unlimited projects", "Shared libraries", "Design tokens", "Unlimited version history"]},
                    {"id": "studio", "name": "Studio", "price": {"monthly": 59},
                     "tagline": "For design systems at scale",
                     "features": ["Everything in Pro", "Branching and merging", "SSO (SAML)", "Audit log"]},
                ],
            }  # fmt: skip
            body = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
            return Response(
                200,
                "application/json; charset=utf-8",
                body.encode("utf-8"),
                {"Cache-Control": "no-store", "X-Request-Id": noise.request_id},
            )
        if path == "/changelog":
            return self._page(site, "changelog.html", day, noise, {"releases": self._entries(TESSELLATE_LOG, day)})  # fmt: skip
        if path == "/features":
            rows = [r for r in TESSELLATE_MATRIX if not (day >= 3 and r[0] == "Offline mode")]
            return self._page(site, "features.html", day, noise, {"rows": rows, "plans": ("Free", "Pro", "Studio")})  # fmt: skip
        return None


@functools.cache
def _environment() -> jinja2.Environment:
    """One template environment for every World: templates compile once per process."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["eur"] = lambda v: format_currency(v, "EUR", locale="de_DE")
    env.filters["usd"] = _usd
    env.filters["isodate"] = lambda d: d.isoformat()
    env.filters["longdate"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    env.filters["shortdate"] = lambda d: f"{d.day} {d:%b} {d.year}"
    env.filters["dedate"] = lambda d: format_date(d, "d. MMMM y", locale="de_DE")
    return env


def _usd(v: float | int) -> str:
    return f"${v:,.0f}" if float(v).is_integer() else f"${v:,.2f}"


def _page_number(query: str) -> int:
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "page" and value.isdigit() and int(value) >= 1:
            return int(value)
    return 1


ROBOTS = "User-agent: *\nAllow: /\n"

# -- content tables (days <= 0 are before the demo starts) ---------------------------------------

ACORN_LOG: list[dict] = [
    {"day": 3, "slug": "ai-summaries", "title": "AI summaries for every dashboard", "tag": "New",
     "body": "Acorn now writes a plain-language summary at the top of each dashboard, refreshed "
             "every hour. Available on Business and Enterprise."},
    {"day": 2, "slug": "scheduled-exports-s3", "title": "Scheduled exports to Amazon S3", "tag": "New",
     "body": "Send any dashboard to an S3 bucket as CSV or Parquet on a schedule you choose."},
    {"day": -3, "slug": "dark-mode-embeds", "title": "Dark mode for embedded charts", "tag": "Improved",
     "body": "Embedded charts now follow the host page's colour scheme."},
    {"day": -11, "slug": "faster-queries", "title": "Faster queries on large datasets", "tag": "Improved",
     "body": "Queries over 100 million rows return up to four times faster."},
    {"day": -19, "slug": "slack-threads", "title": "Slack alerts now reply in threads", "tag": "Improved",
     "body": "Follow-up alerts for the same metric are grouped in one Slack thread."},
    {"day": -33, "slug": "funnel-charts", "title": "New chart type: funnels", "tag": "New",
     "body": "Build conversion funnels from any event table in three clicks."},
]  # fmt: skip

ACORN_FEATURES: list[tuple[str, str]] = [
    ("Dashboards", "Drag-and-drop dashboards anyone can build."),
    ("Slack alerts", "Get told when a metric moves, where your team already talks."),
    ("Scheduled exports", "CSV and Parquet to your inbox or bucket, on schedule."),
    ("Row-level permissions", "Everyone sees exactly the rows they should."),
    ("Embedded analytics", "Put live charts inside your own product."),
    ("SQL editor", "Autocomplete, formatting and saved snippets for analysts."),
]

FJORDLY_MATRIX: list[tuple[str, set[str]]] = [
    ("Datenhaltung in der EU", {"Starter", "Team", "Business", "Scale", "Enterprise"}),
    ("Unbegrenzte Dashboards", {"Team", "Business", "Scale", "Enterprise"}),
    ("Single Sign-on (SAML)", {"Business", "Scale", "Enterprise"}),
    ("Audit-Log", {"Business", "Scale", "Enterprise"}),
    ("Eigene Verschlüsselungsschlüssel", {"Scale", "Enterprise"}),
    ("Persönlicher Ansprechpartner", {"Enterprise"}),
]

FJORDLY_FEATURES: list[tuple[str, list[str]]] = [
    (
        "Zusammenarbeit",
        ["Kommentare an Diagrammen", "Geteilte Arbeitsbereiche", "Freigaben per Link"],
    ),
    ("Daten", ["Über 120 Konnektoren", "Stündliche Synchronisierung", "Datenhaltung in Frankfurt"]),
    ("Sicherheit", ["Single Sign-on (SAML)", "Audit-Log", "ISO-27001-zertifiziert"]),
]

FJORDLY_LOG: list[dict] = [
    {"day": 3, "version": "3.9.0",
     "sections": {"Added": ["Connector for SAP S/4HANA", "Ask questions about a dashboard in plain German or English"],
                  "Fixed": ["Exports of very wide tables no longer time out"]}},
    {"day": -6, "version": "3.8.2", "sections": {"Fixed": ["Umlauts in CSV headers are kept on import"]}},
    {"day": -15, "version": "3.8.0",
     "sections": {"Added": ["Audit-log export to your SIEM"], "Changed": ["Dashboards load 30% faster"]}},
    {"day": -40, "version": "3.7.0",
     "sections": {"Added": ["Shared workspaces"], "Deprecated": ["Legacy embed API v1"]}},
]  # fmt: skip

QUOKKA_FEATURES: list[tuple[str, str]] = [
    ("Visual pipeline", "Drag deals between stages and see the quarter at a glance."),
    ("Email sync", "Gmail and Outlook, two-way, with open tracking."),
    ("Pipeline automation", "Move deals and assign tasks when something happens."),
    ("Mobile app", "Log a call before you leave the car park."),
    ("Custom roles", "Decide who can see and edit what."),
]
QUOKKA_AI_FEATURE = ("AI lead scoring", "Every new lead scored by how likely it is to buy.")

QUOKKA_LOG: list[dict] = [
    {"day": 3, "title": "Two-way calendar sync for Outlook",
     "body": "Meetings booked in Outlook now appear on the deal, and the other way round."},
    {"day": -2, "title": "Bulk edit for deals", "body": "Change the owner or stage of up to 500 deals at once."},
    {"day": -9, "title": "Pipeline reports by owner", "body": "See each rep's pipeline and win rate side by side."},
    {"day": -16, "title": "Web forms with custom fields", "body": "Capture any field on your web forms, straight into Quokka."},
    {"day": -24, "title": "Mobile app: offline notes", "body": "Notes written without a signal sync when you are back online."},
    {"day": -31, "title": "Zapier triggers for won deals", "body": "Start any Zap the moment a deal is won."},
    {"day": -45, "title": "Faster search", "body": "Search now returns contacts and deals in under 100 ms."},
    {"day": -60, "title": "Duplicate contact detection", "body": "Quokka flags likely duplicates as you type."},
]  # fmt: skip

TESSELLATE_MATRIX: list[tuple[str, tuple[bool, bool, bool]]] = [
    ("Unlimited projects", (False, True, True)),
    ("Shared libraries", (False, True, True)),
    ("Design tokens", (False, True, True)),
    ("Offline mode", (True, True, True)),
    ("Branching and merging", (False, False, True)),
    ("SSO (SAML)", (False, False, True)),
]

TESSELLATE_LOG: list[dict] = [
    {"day": 3, "version": "v4.2.0", "title": "Variables and modes",
     "notes": ["Variables with light and dark modes", "Export tokens to Style Dictionary", "Fixed a crash when pasting SVGs"]},
    {"day": -8, "version": "v4.1.0", "title": "Branch reviews",
     "notes": ["Request a review on a branch", "Comment on any layer in a review"]},
    {"day": -20, "version": "v4.0.1", "title": "Bug fixes",
     "notes": ["Fixed text overflow in auto-layout", "Fixed slow library sync on large files"]},
    {"day": -35, "version": "v4.0.0", "title": "Tessellate 4",
     "notes": ["New canvas engine", "Multiplayer cursors", "Plugins API v2"]},
]  # fmt: skip


def build_watchlist(base_urls: dict[str, str]) -> dict[str, Any]:
    """The demo watchlist (as data, for YAML) for sites served at `base_urls[slug]`."""
    competitors = []
    for site in SITES:
        base = base_urls[site.slug].rstrip("/")
        pages = []
        for w in site.watched:
            page: dict[str, Any] = {"url": base + w.path, "kind": w.kind}
            if w.render != "static":
                page["render"] = w.render
            if w.wait_for:
                page["wait_for"] = w.wait_for
            pages.append(page)
        competitors.append({"name": site.name, "weight": site.weight, "pages": pages})
    return {
        "us": US,
        "crawl": {"allow_private_networks": True, "timeout": 20, "retries": 1},
        "competitors": competitors,
    }
