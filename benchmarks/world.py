"""A synthetic competitor web for the benchmarks, served fast on 127.0.0.1.

`N` pages = N/4 competitors with a homepage, a pricing page, a changelog and a features
page each, built deterministically from a seed: plan cards with monthly/annual prices,
dated release notes, feature grids, and the noise real pages carry (navigation, footers,
inline CSS and JSON state, tracking tokens, "N people are viewing", testimonials). Each
page is 5-12 KB. `version=1` is the next night of the same world: one price moved, a
release added, a feature added, a homepage headline changed (the core benchmark diffs
these pairs).

The server is a bare asyncio HTTP/1.1 server (keep-alive, ETag / Last-Modified and 304s
like nginx serving static files) in its own process, so it does not share the GIL with
the crawler being measured. It answers several thousand requests per second on one core
(`python -m benchmarks.world --selftest`), well above what either crawler asks of it.

    python -m benchmarks.world serve --pages 1000     # prints the port, serves until stdin closes
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

KINDS = ("page", "pricing", "changelog", "features")
PATHS = {"page": "", "pricing": "pricing", "changelog": "changelog", "features": "features"}

WORDS = (
    "fast secure simple analytics teams dashboards reports alerts sharing workflow automation "
    "insights collaborate export import billing usage storage members admins permissions "
    "compliance encryption backups uptime regions reliability mobile desktop editor templates "
    "agents models summaries integrations webhooks api search realtime sync offline audit"
).split()
FEATURES = [
    "Single sign-on (SAML)",
    "Audit log",
    "AI assistant",
    "Custom roles",
    "API access",
    "Webhooks",
    "Data residency",
    "Priority support",
    "Slack integration",
    "Unlimited dashboards",
    "Scheduled reports",
    "Version history",
    "SCIM provisioning",
    "Two-factor authentication",
    "Custom domains",
    "Row-level security",
]
PLAN_NAMES = ["Free", "Starter", "Team", "Business", "Enterprise"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August"]


def _sentence(rnd: random.Random, n: int) -> str:
    return " ".join(rnd.choices(WORDS, k=n)).capitalize() + "."


def _layout(comp: str, title: str, main: str, rnd: random.Random) -> str:
    """Everything around the content: the noise a monitor has to ignore."""
    token = hashlib.sha1(f"{comp}{title}{rnd.random()}".encode()).hexdigest()
    css = "".join(
        f".u{k}{{margin:{k % 7}px;color:#{(k * 7919) % 0xFFFFFF:06x}}}" for k in range(60)
    )
    state = ",".join(f'{{"id":"b{k}","v":{rnd.randrange(1000)}}}' for k in range(40))
    nav = "".join(
        f'<li><a href="/{comp}/{p}">{p.title() or "Home"}</a></li>'
        for p in ("", "features", "pricing", "changelog", "docs", "blog", "careers")
    )
    foot = "".join(
        f'<li><a href="/{comp}/legal/{k}">{_sentence(rnd, 2)[:-1]}</a></li>' for k in range(12)
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="csrf-token" content="{token}"><style>{css}</style>'
        f'<script>window.__STATE__={{"blocks":[{state}],"rid":"{token[:12]}"}}</script>'
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-BENCH"></script></head>'
        f'<body><header class="site-header"><a class="logo" href="/{comp}/">{comp}</a>'
        f'<nav><ul>{nav}</ul></nav><div class="banner">Join our webinar on '
        f"{rnd.choice(MONTHS)} {rnd.randint(1, 28)}! {rnd.randint(20, 400)} people signed up.</div></header>"
        f"<main>{main}</main>"
        f"<footer><ul>{foot}</ul><p>&copy; 2026 {comp} Inc. Build {token[:7]}</p>"
        '<div class="cookie-banner">We use cookies to improve your experience. '
        "<button>Accept</button></div></footer></body></html>"
    )


def _plans(rnd: random.Random, version: int) -> list[tuple[str, int | None, list[str]]]:
    count = rnd.randint(3, 5)
    names = PLAN_NAMES[:count]
    base = rnd.choice([8, 10, 12, 15, 20])
    plans = []
    for i, name in enumerate(names):
        if name == "Free":
            price: int | None = 0
        elif name == "Enterprise":
            price = None
        else:
            price = base * i + rnd.choice([0, 2, 4])
        feats = rnd.sample(FEATURES, 4 + i)
        plans.append((name, price, feats))
    if version:  # next night: the second plan's price moves up
        name, price, feats = plans[1]
        plans[1] = (name, (price or 10) + 5, feats)
    return plans


def pricing_page(comp: str, rnd: random.Random, version: int) -> str:
    cards = []
    for name, price, feats in _plans(rnd, version):
        if price is None:
            amount = '<span class="amount">Custom</span>'
            cta = '<a class="btn" href="/contact">Contact sales</a>'
        else:
            annual = round(price * 0.8)
            amount = (
                f'<div class="price" data-billing="monthly"><span class="currency">$</span>'
                f'<span class="amount">{price}</span> <span class="period">per user / month</span></div>'
                f'<div class="price" data-billing="annual" hidden><span class="currency">$</span>'
                f'<span class="amount">{annual}</span> <span class="period">per user / month, billed annually</span></div>'
            )
            cta = f'<a class="btn" href="/signup?plan={name.lower()}&amp;t={rnd.randrange(10**8)}">Try {name}</a>'
        items = "".join(f"<li>{f}</li>" for f in feats)
        cards.append(
            f'<div class="plan-card" id="plan-{name.lower()}"><h2 class="plan-name">{name}</h2>'
            f'<p class="plan-blurb">{_sentence(rnd, 8)}</p>{amount}{cta}'
            f'<ul class="plan-features">{items}</ul></div>'
        )
    faq = "".join(
        f"<details><summary>{_sentence(rnd, 5)[:-1]}?</summary><p>{_sentence(rnd, 18)}</p></details>"
        for _ in range(5)
    )
    main = (
        f'<section class="pricing-hero"><h1>Pricing</h1><p>{_sentence(rnd, 10)}</p>'
        f'<p class="urgency">{rnd.randint(5, 90)} people are looking at this page right now</p></section>'
        f'<div class="plans">{"".join(cards)}</div><section class="faq"><h2>Questions</h2>{faq}</section>'
        f'<section class="testimonials"><blockquote><p>{_sentence(rnd, 14)}</p><footer>A customer</footer></blockquote></section>'
    )
    return _layout(comp, f"Pricing - {comp}", main, rnd)


def changelog_page(comp: str, rnd: random.Random, version: int) -> str:
    entries = []
    for k in range(8):
        month, day = 8 - k // 3, 28 - (k % 3) * 9
        entries.append(
            (f"2026-{month:02d}-{day:02d}", f"{MONTHS[month - 1]} {day}, 2026", f"v3.{20 - k}.0")
        )
    if version:
        entries.insert(0, ("2026-09-12", "September 12, 2026", "v3.21.0"))
    arts = []
    for iso, long, ver in entries:
        r = random.Random(f"{comp}{ver}")  # an entry reads the same every night
        arts.append(
            f'<article class="entry" id="{ver}"><time datetime="{iso}">{long}</time>'
            f'<span class="tag">{r.choice(["New", "Improved", "Fixed"])}</span>'
            f"<h2>{ver}: {_sentence(r, 5)[:-1]}</h2><p>{_sentence(r, 25)}</p>"
            f"<ul><li>{_sentence(r, 8)}</li><li>{_sentence(r, 8)}</li></ul></article>"
        )
    main = (
        f'<h1>Changelog</h1><p class="subtitle">Updated {rnd.randint(2, 59)} minutes ago</p>'
        + "".join(arts)
    )
    return _layout(comp, f"Changelog - {comp}", main, rnd)


def features_page(comp: str, rnd: random.Random, version: int) -> str:
    feats = rnd.sample(FEATURES, 10)
    if version:
        feats.append(next(f for f in FEATURES if f not in feats))
    cards = "".join(
        f'<div class="feature-card"><h3>{f}</h3><p>{_sentence(random.Random(comp + f), 16)}</p></div>'
        for f in feats
    )
    main = f'<h1>Everything your team needs</h1><p>{_sentence(rnd, 12)}</p><div class="feature-grid">{cards}</div>'
    return _layout(comp, f"Features - {comp}", main, rnd)


def home_page(comp: str, rnd: random.Random, version: int) -> str:
    headline = f"{comp}: {_sentence(rnd, 6)[:-1]}" + (" with AI agents" if version else "")
    sections = "".join(
        f"<section><h2>{_sentence(rnd, 4)[:-1]}</h2><p>{_sentence(rnd, 30)}</p></section>"
        for _ in range(4)
    )
    logos = "".join(f'<img alt="Customer {k}" src="/logos/{k}.svg">' for k in range(10))
    main = (
        f'<section class="hero"><h1>{headline}</h1><p>{_sentence(rnd, 15)}</p>'
        f'<a class="btn" href="/signup">Start free</a></section>{sections}<div class="logos">{logos}</div>'
    )
    return _layout(comp, f"{comp} - home", main, rnd)


BUILDERS = {
    "page": home_page,
    "pricing": pricing_page,
    "changelog": changelog_page,
    "features": features_page,
}


def competitor(i: int) -> str:
    return f"rival{i:04d}"


def page(i: int, kind: str, version: int = 0, seed: int = 1) -> str:
    """Page `kind` of competitor `i` on night `version`: deterministic given the seed."""
    comp = competitor(i)
    return BUILDERS[kind](comp, random.Random(f"{seed}:{comp}:{kind}"), version)


def pages(n: int, version: int = 0, seed: int = 1) -> dict[str, tuple[str, str]]:
    """`n` pages: URL path -> (kind, html)."""
    out = {}
    for k in range(n):
        i, kind = divmod(k, len(KINDS))
        kind = KINDS[kind]
        out[f"/{competitor(i)}/{PATHS[kind]}"] = (kind, page(i, kind, version, seed))
    return out


def watchlist_yaml(base: str, n: int, *, concurrency: int = 64, per_domain: int = 64) -> str:
    """The watchlist of the world's pages, every page under one host (127.0.0.1)."""
    lines = [
        "crawl:",
        "  allow_private_networks: true",
        f"  concurrency: {concurrency}",
        f"  per_domain_concurrency: {per_domain}",
        "  timeout: 30",
        "competitors:",
    ]
    current = None
    for path, (kind, _) in pages_index(n).items():
        comp = path.split("/")[1]
        if comp != current:
            lines += [f"  - name: {comp.title()}", "    pages:"]
            current = comp
        lines.append(f"      - {{url: '{base}{path}', kind: {kind}}}")
    return "\n".join(lines) + "\n"


def pages_index(n: int) -> dict[str, tuple[str, None]]:
    """The world's URL paths and kinds without building the pages."""
    out = {}
    for k in range(n):
        i, kind = divmod(k, len(KINDS))
        out[f"/{competitor(i)}/{PATHS[KINDS[kind]]}"] = (KINDS[kind], None)
    return out


# -- the server ------------------------------------------------------------------------------


class _Http(asyncio.Protocol):
    """HTTP/1.1 for static files: keep-alive, conditional GET, nothing else."""

    def __init__(self, files: dict[bytes, tuple[bytes, bytes]], counter: list[int]) -> None:
        self.files = files
        self.counter = counter
        self.buf = b""

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while b"\r\n\r\n" in self.buf:
            head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            self.respond(head)

    def respond(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        try:
            method, target, _ = lines[0].split(b" ", 2)
        except ValueError:
            self.transport.close()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        self.counter[0] += 1
        path = target.split(b"?", 1)[0]
        entry = self.files.get(path) or self.files.get(path.rstrip(b"/") + b"/")
        close = headers.get(b"connection", b"").lower() == b"close"
        if entry is None:
            body, status, extra = b"not found", b"404 Not Found", b"Content-Type: text/plain\r\n"
        else:
            body, meta = entry
            if headers.get(b"if-none-match") == meta.split(b"\r\n")[0][6:]:
                body, status, extra = b"", b"304 Not Modified", meta
            else:
                status, extra = b"200 OK", meta
        if method == b"HEAD":
            body = b""
        self.transport.write(
            b"HTTP/1.1 "
            + status
            + b"\r\nServer: bench\r\n"
            + extra
            + b"Content-Length: "
            + str(len(body)).encode()
            + b"\r\n"
            + (b"Connection: close\r\n" if close else b"")
            + b"\r\n"
            + body
        )
        if close:
            self.transport.close()


def _files(n: int, seed: int) -> dict[bytes, tuple[bytes, bytes]]:
    modified = formatdate(1_780_000_000, usegmt=True).encode()
    files = {
        b"/robots.txt": (
            b"User-agent: *\nDisallow: /private/\n",
            b"Content-Type: text/plain\r\n",
        )
    }
    for path, (_, html) in pages(n, seed=seed).items():
        body = html.encode()
        etag = b'"' + hashlib.md5(body).hexdigest()[:16].encode() + b'"'
        # The ETag line first: the handler reads it back from there.
        meta = (
            b"ETag: "
            + etag
            + b"\r\nLast-Modified: "
            + modified
            + b"\r\nContent-Type: text/html; charset=utf-8\r\n"
        )
        files[path.encode()] = (body, meta)
    return files


async def _serve(n: int, seed: int, port: int) -> None:
    files = _files(n, seed)
    counter = [0]
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _Http(files, counter), "127.0.0.1", port, backlog=1024
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    # Serve until the parent closes our stdin; then say how many requests we answered.
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        if line.strip() == b"count":
            print(counter[0], flush=True)
    server.close()


class World:
    """The served world of `n` pages: `with World(1000) as w: w.base, w.watchlist(path)`."""

    def __init__(self, n: int, seed: int = 1) -> None:
        self.n = n
        self.seed = seed
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def __enter__(self) -> World:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.world",
                "serve",
                "--pages",
                str(self.n),
                "--seed",
                str(self.seed),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{port}"
        return self

    def requests(self) -> int:
        """How many requests the server has answered so far."""
        assert self.proc and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write("count\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def urls(self) -> list[str]:
        return [self.base + p for p in pages_index(self.n)]

    def watchlist(self, path: Path, **kw: int) -> Path:
        path.write_text(watchlist_yaml(self.base, self.n, **kw))
        return path

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.stdin.close()  # type: ignore[union-attr]
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def selftest(n: int = 1000, clients: int = 64, rounds: int = 5) -> float:
    """Requests/s the server sustains on keep-alive connections from an asyncio client."""

    async def client(host: str, port: int, paths: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for p in paths:
            writer.write(b"GET " + p + b" HTTP/1.1\r\nHost: x\r\n\r\n")
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
        writer.close()

    async def main(port: int) -> float:
        paths = [p.encode() for p in pages_index(n)] * rounds
        per = [paths[k::clients] for k in range(clients)]
        t0 = time.perf_counter()
        await asyncio.gather(*(client("127.0.0.1", port, p) for p in per))
        return len(paths) / (time.perf_counter() - t0)

    with World(n) as w:
        return asyncio.run(main(int(w.base.rsplit(":", 1)[1])))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["serve", "selftest", "sizes"])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    if args.cmd == "serve":
        asyncio.run(_serve(args.pages, args.seed, args.port))
    elif args.cmd == "selftest":
        print(f"{selftest(args.pages):.0f} requests/s (64 keep-alive clients, one client process)")
    else:
        for kind in KINDS:
            sizes = [len(page(i, kind).encode()) for i in range(50)]
            print(f"{kind}: {min(sizes)}-{max(sizes)} bytes")


if __name__ == "__main__":
    main()
