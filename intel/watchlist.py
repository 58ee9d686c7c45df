"""The watchlist: which rivals, which pages, and how to crawl them, validated on load.

A bad watchlist stops everything before anything runs, with one error naming the file,
the line and the field, and saying what to do. Line numbers come from the YAML node
tree, so an error points at the line the user must edit.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from intel.errors import WatchlistError
from intel.yaml_lines import line_map, load_with_nodes

KINDS = ("pricing", "changelog", "features", "page")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OurPlan(_Model):
    """One of our own plans, to compare rivals' prices with."""

    name: str
    price: float | None = None
    currency: str = "USD"
    period: Literal["month", "year", "one_time"] | None = "month"


class Us(_Model):
    """Our side: what we sell, so a rival's move can be judged a threat or an opportunity."""

    name: str = "Us"
    plans: list[OurPlan] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)


class CrawlOptions(_Model):
    """How politely and how far the crawler may go."""

    allow_private_networks: bool = False
    user_agent: str | None = None
    obey_robots: bool = True
    concurrency: int = Field(default=16, ge=1, le=256)
    per_domain_concurrency: int = Field(default=8, ge=1, le=64)
    timeout: float = Field(default=30.0, gt=0, le=600)
    max_page_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    retries: int = Field(default=2, ge=0, le=10)


class Page(_Model):
    """One watched URL and how to read it."""

    url: str
    kind: str
    render: Literal["static", "browser"] = "static"
    wait_for: str | None = None
    name: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"unknown kind {v!r}; use one of: {', '.join(KINDS)}")
        return v

    @field_validator("url")
    @classmethod
    def _http_url(cls, v: str) -> str:
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{v!r} is not an http(s) URL; write it as https://host/path")
        return v.strip()


class Competitor(_Model):
    """A rival and its watched pages; `weight` scales the importance of its moves."""

    name: str = Field(min_length=1)
    weight: float = Field(default=1.0, ge=0, le=10)
    pages: list[Page] = Field(min_length=1)


class Smtp(_Model):
    """Where briefings are sent from; the password comes from the environment, never the file."""

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password_env: str = "INTEL_SMTP_PASSWORD"
    sender: str = Field(alias="from")
    timeout: float = Field(default=30.0, gt=0)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Briefing(_Model):
    """One briefing: who gets it and, for a weekly one, on which weekday."""

    to: list[str] = Field(min_length=1)
    weekday: Literal[
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    ] = "monday"
    min_importance: float = Field(default=0.0, ge=0, le=1)

    @field_validator("to")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for addr in v:
            if "@" not in addr or " " in addr.strip():
                raise ValueError(f"{addr!r} is not an email address")
        return v


class Briefings(_Model):
    """Which briefings exist: `daily`, `weekly`, or both."""

    title: str = "Market briefing"
    daily: Briefing | None = None
    weekly: Briefing | None = None


class Alerts(_Model):
    """Instant alerts through apprise; `${VAR}` in a URL is read from the environment."""

    urls: list[str] = Field(min_length=1)
    min_importance: float = Field(default=0.7, ge=0, le=1)
    signals: list[Literal["threat", "opportunity", "neutral"]] = Field(
        default_factory=lambda: ["threat", "opportunity"]
    )
    max_age_days: int = Field(default=3, ge=1)

    @field_validator("urls")
    @classmethod
    def _schemes(cls, v: list[str]) -> list[str]:
        for url in v:
            if "://" not in url:
                raise ValueError(
                    f"{url!r} is not an apprise URL (e.g. slack://..., json://host/path)"
                )
        return v


class Watchlist(_Model):
    """The whole watchlist file."""

    us: Us | None = None
    crawl: CrawlOptions = Field(default_factory=CrawlOptions)
    competitors: list[Competitor] = Field(min_length=1)
    # Sections owned by later stages (briefings, alerts) are validated by them.
    smtp: Smtp | None = None
    briefings: Briefings | None = None
    alerts: Alerts | None = None

    #: where the file lives: user rules and templates are looked up beside it
    path: Path | None = Field(default=None, exclude=True)

    def pages(self) -> list[tuple[Competitor, Page]]:
        return [(c, p) for c in self.competitors for p in c.pages]

    @property
    def directory(self) -> Path | None:
        return self.path.parent if self.path else None


def is_private_host(host: str) -> bool:
    """True for loopback, private, link-local and unspecified literal addresses and localhost."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_reserved
    )


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and validate a watchlist; any problem is one WatchlistError(file, line, field)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WatchlistError(
            str(path), None, None, "file not found; pass --watchlist PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WatchlistError(str(path), None, None, f"cannot read: {exc}") from None
    return parse_watchlist(text, str(path))


def parse_watchlist(text: str, filename: str = "<watchlist>") -> Watchlist:
    try:
        data, node = load_with_nodes(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise WatchlistError(filename, line, None, f"not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise WatchlistError(filename, 1, None, "expected a mapping with a `competitors:` list")
    lines = line_map(node)
    try:
        wl = Watchlist.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        raise WatchlistError(filename, _line_for(lines, loc), _dotted(loc), _message(err)) from None

    seen: dict[str, tuple] = {}
    for ci, comp in enumerate(wl.competitors):
        for pi, page in enumerate(comp.pages):
            loc = ("competitors", ci, "pages", pi, "url")
            key = page.url.rstrip("/")
            if key in seen:
                first = _line_for(lines, seen[key])
                raise WatchlistError(
                    filename,
                    _line_for(lines, loc),
                    _dotted(loc),
                    f"duplicate page {page.url} (first listed on line {first}); list each page once",
                )
            seen[key] = loc
            host = urlsplit(page.url).hostname or ""
            if is_private_host(host) and not wl.crawl.allow_private_networks:
                raise WatchlistError(
                    filename,
                    _line_for(lines, loc),
                    _dotted(loc),
                    f"{host} is a loopback/private address; refused unless the watchlist says "
                    "`crawl: {allow_private_networks: true}`",
                )
    names = [c.name for c in wl.competitors]
    for ci, name in enumerate(names):
        if names.index(name) != ci:
            loc = ("competitors", ci, "name")
            raise WatchlistError(
                filename, _line_for(lines, loc), _dotted(loc), f"competitor {name!r} listed twice"
            )
    return wl.model_copy(update={"path": Path(filename)})


def _line_for(lines: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(x for x in loc if not (isinstance(x, str) and x.startswith("function-")))
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(err: dict) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown key; check its spelling (see DESIGN.md for the watchlist format)"
    if kind == "missing":
        return "required field is missing"
    msg = err.get("msg", "invalid value")
    return msg.removeprefix("Value error, ")
