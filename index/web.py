"""`intel serve`: a small Starlette app over the intel index.

    GET /                 query box, facet filters, results
    GET /event/{id}       one event: before/after evidence, a highlighted diff, price history
    GET /prices           a price-history chart per plan (?competitor= for one rival)
    GET /api/search       the same search as JSON (same parameters as `intel search`)
    GET /api/event/{id}   one event as JSON

Everything shown comes from competitor pages, which are untrusted: Jinja autoescapes all
of it, the pages carry no JavaScript at all, and a Content-Security-Policy forbids any
script, so an injected `<script>` is text, never code. Bound beyond loopback, every
request needs the token (`Authorization: Bearer`, or `?token=` once, which sets a cookie).
"""

from __future__ import annotations

import difflib
import hmac
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from index.search import SearchRequest, get_document, price_histories, price_history, search
from intel.errors import IndexError_
from intel.money import money

HERE = Path(__file__).parent
PARAMS = ("q", "competitor", "type", "signal", "tag", "since", "until", "sort")
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
COOKIE = "intel_token"
# Keys the event page reads; absent ones become None (templates use StrictUndefined).
EVENT_KEYS = (
    "type",
    "signal",
    "tags",
    "found_at",
    "importance",
    "why",
    "plan",
    "feature",
    "old_price",
    "new_price",
    "currency",
    "period",
    "billing",
    "title",
    "date",
    "summary",
    "url",
    "link",
    "added",
    "removed",
    "evidence",
)


def environment() -> jinja2.Environment:
    """The one Jinja environment: autoescape on for every template, undefined is an error."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["money"] = money
    return env


def request_from(params: Any) -> SearchRequest:
    """A SearchRequest from query parameters (the web form and /api/search share this)."""

    def get(name: str) -> str | None:
        value = (params.get(name) or "").strip()
        return value or None

    def integer(name: str, default: int) -> int:
        try:
            return int(params.get(name) or default)
        except ValueError:
            return default

    return SearchRequest(
        q=get("q") or "",
        competitor=get("competitor"),
        type=get("type"),
        signal=get("signal"),
        tag=get("tag"),
        since=get("since"),
        until=get("until"),
        sort=get("sort"),
        limit=integer("limit", 20),
        page=integer("page", 1),
        pages=(params.get("pages") or "") in ("1", "true", "on"),
    )


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) segments of a word-level diff: op is "equal", "del" or "ins"."""
    # Words (numbers keep their separators: 1,299.00), single symbols, and runs of space.
    token = re.compile(r"\w+(?:[.,]\w+)*|[^\w\s]|\s+")
    a, b = token.findall(before or ""), token.findall(after or "")
    out: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


def price_chart_svg(points: list[dict[str, Any]], width: int = 560, height: int = 180) -> Markup:
    """An inline SVG step chart of a plan's price moves (old price first, then each new one).

    Built here rather than by a charting library so the page needs no script and no
    network; every label is escaped (plan names come from competitor pages).
    """
    series: list[tuple[date, float | None]] = []
    for i, p in enumerate(points):
        day = date.fromisoformat(p["date"])
        if i == 0 and p.get("old_price") is not None:
            series.append((day, float(p["old_price"])))
        series.append((day, None if p.get("new_price") is None else float(p["new_price"])))
    values = [v for _, v in series if v is not None]
    if not values:
        return Markup("")
    currencies = {p.get("currency") for p in points}
    currency = currencies.pop() if len(currencies) == 1 else None  # one plan: one currency
    pad_l, pad_r, pad_t, pad_b = 56, 16, 12, 28
    lo, hi = 0.0, max(values) * 1.15 or 1.0
    first, last = series[0][0], series[-1][0]
    margin = timedelta(days=max(7, (last - first).days // 6))
    d0, d1 = first - margin, last + margin  # room for the price before and after the moves
    span = (d1 - d0).days

    def x(day: date) -> float:
        return pad_l + ((day - d0).days / span) * (width - pad_l - pad_r)

    def y(v: float) -> float:
        return pad_t + (1 - (v - lo) / (hi - lo)) * (height - pad_t - pad_b)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad_l}" y1="{y(0):.1f}" x2="{width - pad_r}" y2="{y(0):.1f}" class="axis"/>',
    ]
    for v in (hi / 1.15, hi / 2.3):
        parts.append(
            f'<line x1="{pad_l}" y1="{y(v):.1f}" x2="{width - pad_r}" y2="{y(v):.1f}" class="grid"/>'
            f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{escape(money(v, currency))}</text>'
        )
    path: list[str] = []
    current: float | None = None
    for i, (day, v) in enumerate(series):
        px = x(d0) if i == 0 and len(series) > 1 and series[1][0] == day else x(day)
        if v is None:
            if current is not None:
                path.append(f"H{px:.1f}")
            current = None
            continue
        py = y(v)
        path.append(f"M{px:.1f},{py:.1f}" if current is None else f"H{px:.1f}V{py:.1f}")
        current = v
        parts.append(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3"><title>{escape(day.isoformat())}: '
            f"{escape(money(v, currency))}</title></circle>"
        )
    if current is not None:
        path.append(f"H{x(d1):.1f}")
    parts.append(f'<path d="{" ".join(path)}" class="line"/>')
    parts.append(
        f'<text x="{x(first):.1f}" y="{height - 8}" text-anchor="middle">{escape(first.isoformat())}</text>'
    )
    if last != first:
        parts.append(
            f'<text x="{x(last):.1f}" y="{height - 8}" text-anchor="middle">{escape(last.isoformat())}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def atom_xml(
    hits: list[dict[str, Any]], *, self_url: str, base: str, query: SearchRequest
) -> bytes:
    """An Atom 1.0 document of search hits; ElementTree escapes every competitor string."""
    import hashlib
    from xml.etree import ElementTree as ET

    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ns}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    def stamp(value: Any) -> str:
        text = str(value or "1970-01-01T00:00:00")
        return text if ("+" in text[10:] or text.endswith("Z")) else text + "Z"

    feed = ET.Element(f"{{{ns}}}feed")
    label = query.q.strip() or "all events"
    sub(feed, "title", f"Competitive intel: {label}")
    digest = hashlib.sha1(self_url.split("?", 1)[-1].encode()).hexdigest()[:16]
    sub(feed, "id", f"urn:intel:feed:{digest}")
    sub(feed, "link", rel="self", href=self_url)
    sub(feed, "updated", stamp(hits[0].get("date")) if hits else stamp(None))
    sub(feed, "generator", "intel-crawler")
    for hit in hits:
        event = hit.get("data") or {}
        entry = sub(feed, "entry")
        signal = (hit.get("signal") or "neutral").upper()
        headline = event.get("why") or hit.get("title") or hit.get("type") or "event"
        sub(entry, "title", f"[{signal}] {hit.get('competitor')}: {headline}")
        sub(entry, "id", f"urn:intel:{hit.get('key')}")
        sub(entry, "updated", stamp(hit.get("date")))
        if hit.get("event_id") is not None:
            sub(entry, "link", rel="alternate", href=f"{base.rstrip('/')}/event/{hit['event_id']}")
        if hit.get("url"):
            sub(entry, "link", rel="related", href=str(hit["url"]))
        author = sub(entry, "author")
        sub(author, "name", str(hit.get("competitor") or "unknown"))
        for tag in [hit.get("type"), *(hit.get("tags") or [])]:
            if tag:
                sub(entry, "category", term=str(tag))
        importance = hit.get("importance") or 0
        sub(
            entry,
            "summary",
            f"{headline} (importance {float(importance):.2f}) {hit.get('url') or ''}",
        )
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def create_app(index_dir: str | Path, *, token: str | None = None) -> Starlette:
    """The web app over the index at `index_dir`; with `token`, every request must carry it."""
    index_dir = Path(index_dir)
    env = environment()

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status)

    def unavailable(exc: Exception) -> HTMLResponse:
        return render("error.html", status=503, message=str(exc), query=SearchRequest())

    def home(request: Request) -> Response:
        req = request_from(request.query_params)
        try:
            results = search(index_dir, req)
        except ValueError as exc:
            return render("error.html", status=400, message=str(exc), query=req)
        except IndexError_ as exc:
            return unavailable(exc)
        return render(
            "search.html",
            query=req,
            results=results,
            link=lambda **changes: _link(req, **changes),
        )

    def api_search(request: Request) -> Response:
        try:
            results = search(index_dir, request_from(request.query_params))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except IndexError_ as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        return JSONResponse(results.to_dict())

    def _event(request: Request) -> dict[str, Any] | None:
        ident = request.path_params["event_id"]
        return get_document(index_dir, f"event:{ident}")

    def event_page(request: Request) -> Response:
        try:
            doc = _event(request)
        except IndexError_ as exc:
            return unavailable(exc)
        if doc is None:
            return render("error.html", status=404, message="No such event.", query=SearchRequest())
        doc = {"company": None, "title": "", **doc}
        ev = {k: None for k in EVENT_KEYS} | (doc.get("data") or {})
        evidence = ev.get("evidence") if isinstance(ev.get("evidence"), dict) else {}
        before, after = _as_text(evidence.get("before")), _as_text(evidence.get("after"))
        if not before and not after and (ev.get("added") or ev.get("removed")):
            before, after = _as_text(ev.get("removed")), _as_text(ev.get("added"))
        chart = history = None
        if ev.get("plan") and doc.get("company"):
            same = (
                {k: ev.get(k) for k in ("currency", "period", "billing")}
                if ev.get("type") == "price_change"
                else {}
            )
            history = price_history(index_dir, doc["company"], ev["plan"], **same)
            chart = price_chart_svg(history) if history else None
        return render(
            "event.html",
            query=SearchRequest(),
            doc=doc,
            ev=ev,
            before=before,
            after=after,
            diff=word_diff(before, after) if (before or after) else [],
            chart=chart,
            history=history or [],
            link=lambda **changes: _link(SearchRequest(), **changes),
        )

    def prices_page(request: Request) -> Response:
        competitor = (request.query_params.get("competitor") or "").strip() or None
        try:
            plans = price_histories(index_dir, competitor)
        except IndexError_ as exc:
            return unavailable(exc)
        for entry in plans:
            entry["chart"] = price_chart_svg(entry["points"])
        return render(
            "prices.html",
            query=SearchRequest(competitor=competitor),
            competitor=competitor,
            plans=plans,
            link=lambda **changes: _link(SearchRequest(), **changes),
        )

    def api_event(request: Request) -> Response:
        try:
            doc = _event(request)
        except IndexError_ as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        if doc is None:
            return JSONResponse({"error": "no such event"}, status_code=404)
        return JSONResponse(doc.get("data") or {})

    def atom_feed(request: Request) -> Response:
        """The same search as an Atom feed, newest first, for feed readers and Slack's RSS app."""
        params = dict(request.query_params)
        params.setdefault("sort", "date")
        params.setdefault("limit", "50")
        req = request_from(params)
        try:
            results = search(index_dir, req)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except IndexError_ as exc:
            return JSONResponse({"error": str(exc)}, status_code=503)
        hits = [h.to_dict() for h in results.hits]
        xml = atom_xml(hits, self_url=str(request.url), base=str(request.base_url), query=req)
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    routes = [
        Route("/", home),
        Route("/feed.atom", atom_feed),
        Route("/event/{event_id}", event_page),
        Route("/prices", prices_page),
        Route("/api/search", api_search),
        Route("/api/event/{event_id}", api_event),
        Mount("/static", app=StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes)
    return SecurityHeaders(TokenGate(app, token) if token else app)


class TokenGate:
    """ASGI middleware: requests must carry the token (header, cookie, or ?token= once)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        given = request.query_params.get("token")
        if given is not None and self._ok(given):
            # Trade the URL token for a cookie, and drop it from the address bar.
            params = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
            target = request.url.path + (f"?{urlencode(params)}" if params else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            return await response(scope, receive, send)
        auth = request.headers.get("authorization", "")
        candidates = [request.cookies.get(COOKIE, "")]
        if auth.lower().startswith("bearer "):
            candidates.append(auth[7:].strip())
        if any(self._ok(c) for c in candidates if c):
            return await self.app(scope, receive, send)
        response = Response(
            "token required: send `Authorization: Bearer <token>` or open /?token=<token>\n",
            status_code=401,
            media_type="text/plain",
            headers={"WWW-Authenticate": "Bearer"},
        )
        return await response(scope, receive, send)

    def _ok(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.token.encode())


class SecurityHeaders:
    """ASGI middleware adding a no-script CSP and friends to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _link(req: SearchRequest, **changes: Any) -> str:
    """The URL of the search page with some parameters changed (None drops one)."""
    params = {name: getattr(req, name) for name in PARAMS}
    params.update(changes)
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "/?" + urlencode(kept) if kept else "/"


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "\n".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    return str(value)
