"""Ask the pages that look unchanged "changed since?" before the crawl; a 304 settles them.

Most pages of most nights have not moved. For those, the night is a conditional GET
answered 304, and Scrapy's per-request machinery costs about as much for a 304 as for a
page (a few ms of CPU each), on top of about a second to import and start it. So before
the crawl, the static pages whose server has shown it honours validators
(`Store.revalidation_candidates`) are asked once with a plain HTTP client, under the
crawl's own rules: the watchlist's user agent and timeout, robots.txt, the
private-network guard (the connection goes to the very address that was checked), the
per-host concurrency, and the headers the validators were stored with. Each 304 is
stored as that night's unchanged fetch. Anything else (a 200, a redirect, an error or
timeout, a refusal, a robots.txt that cannot be read, a proxy in the environment) leaves
the page to Scrapy, which fetches it as on any other night: nothing is ever read from a
200 here, so the crawl stays the one way a page's content is fetched and judged.

When every page is settled this way, Scrapy is never started. A page that moved costs one
request more than before (its headers only: the connection is closed before the body).
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import time
import urllib.request
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from crawlers import settings as defaults
from crawlers.http_rules import DEFAULT_REQUEST_HEADERS, conditional_headers, refusal
from intel.store import now_iso

if TYPE_CHECKING:
    from intel.store import Store
    from intel.watchlist import Watchlist

log = logging.getLogger(__name__)

#: questions from which two processes ask them, half each (`_ask_in_two`)
SPLIT_FROM = 200
#: seconds at most for one question: a slow answer is left to the crawl, which has the
#: watchlist's full timeout and its retries
MAX_TIMEOUT = 10.0


@dataclass
class Revalidation:
    """What the pass settled before the crawl."""

    #: watched URLs stored as unchanged (304) this night
    unchanged: set[str] = field(default_factory=set)
    #: candidates left to the crawl, with the reason (for the log)
    left: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(eq=False)  # one per origin: a dict key by identity
class _Origin:
    """One scheme://host:port and the connection pool pinned to its checked address."""

    scheme: str
    host: str
    port: int
    #: its candidate pages
    urls: list[str] = field(default_factory=list)
    pool: Any = None
    #: why none of this origin's pages can be asked here (they go to the crawl); set too
    #: when a question fails, so that a host that hangs or drops costs one timeout per
    #: asker here, not one per page
    skip: str | None = None
    robots: Any = None
    #: a new pool like `pool`, to the same checked address (for a second process)
    reopen: Any = None


def revalidate(store: Store, watchlist: Watchlist, run_id: int | None) -> Revalidation:
    """Ask every candidate page; store the 304s in `store`, in one transaction."""
    started = time.perf_counter()
    result = Revalidation()
    static = {p.url for _, p in watchlist.pages() if p.render == "static"}
    page_ids: dict[str, int] = {}
    candidates: dict[str, dict[str, str]] = {}
    for url, (page_id, came_from, validators) in store.revalidation_candidates().items():
        # the stored version came from this very URL (as Scrapy spells it on the wire)
        if url in static and came_from in (url, safe_url_string(url)):
            page_ids[url], candidates[url] = page_id, validators
    if not candidates:
        return result
    import urllib3

    crawl = watchlist.crawl
    user_agent = crawl.user_agent or defaults.USER_AGENT
    headers = {**DEFAULT_REQUEST_HEADERS, "User-Agent": user_agent}
    timeout = urllib3.Timeout(total=min(crawl.timeout, MAX_TIMEOUT))
    origins: dict[tuple[str, str, int], _Origin] = {}
    for url in candidates:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, (parts.hostname or "").lower(), port)
        origins.setdefault(key, _Origin(scheme, key[1], port)).urls.append(url)

    workers = max(1, min(crawl.concurrency, len(origins)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="revalidate") as pool:
        # Each origin first: its address checked and pinned, its robots.txt read.
        list(pool.map(lambda o: _open_origin(o, crawl, headers, timeout), origins.values()))
    queues: dict[_Origin, deque[str]] = {}
    for origin in origins.values():
        queue = queues[origin] = deque()
        for url in origin.urls:
            why = origin.skip or _robots_refusal(origin, url, user_agent)
            if why:
                result.left[url] = why
            else:
                queue.append(url)
    if (
        sum(map(len, queues.values())) >= SPLIT_FROM
        and crawl.concurrency > 1
        and crawl.per_domain_concurrency > 1
        and (os.cpu_count() or 1) > 1
    ):
        answers = _ask_in_two(queues, candidates, crawl.concurrency, crawl.per_domain_concurrency)
    else:
        answers = _ask(queues, candidates, crawl.concurrency, crawl.per_domain_concurrency)
    fetches = []
    for url, status, answer_headers, why in answers:
        if status != 304:
            result.left[url] = why or f"HTTP {status}"
            continue
        fields = {
            "url": url,
            "final_url": url,
            "status": 304,
            "headers": answer_headers,
            "body": None,
            "fetched_at": now_iso(),
            "not_modified": True,
        }
        fetches.append((page_ids[url], fields))
        result.unchanged.add(url)
    # One transaction: a kill before it leaves these pages to be asked again next run.
    store.add_snapshots(run_id, fetches)
    for origin in origins.values():
        if origin.pool is not None:
            origin.pool.close()
    result.seconds = time.perf_counter() - started
    log.info(
        "revalidated %d of %d candidate pages in %.2fs; %d left to the crawl",
        len(result.unchanged),
        len(candidates),
        result.seconds,
        len(result.left),
    )
    return result


_Answer = tuple[str, int | None, dict[str, str], str | None]


def _ask(
    queues: dict[_Origin, deque[str]],
    validators: dict[str, dict[str, str]],
    concurrency: int,
    per_domain: int,
) -> list[_Answer]:
    """Ask the queued pages: per origin, `per_domain` askers share its queue (a handful of
    tasks, not one per page: on loopback the hand-offs cost as much as the requests)."""
    asked = [(o, q) for o, q in queues.items() if q]
    if not asked:
        return []
    workers = max(1, min(concurrency, sum(len(q) for _, q in asked)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="revalidate") as pool:
        asking = [
            pool.submit(_ask_all, origin, queue, validators)
            for origin, queue in asked
            for _ in range(min(per_domain, len(queue)))
        ]
        return [answer for future in asking for answer in future.result()]


def _ask_in_two(
    queues: dict[_Origin, deque[str]],
    validators: dict[str, dict[str, str]],
    concurrency: int,
    per_domain: int,
) -> list[_Answer]:
    """`_ask` in two processes, each asking every other page of each origin with half the
    askers (the crawl's limits hold for both together).

    Each question costs ~0.6 ms of this process's CPU (urllib3, under the GIL): a night of
    1,000 unchanged pages asked in one process was bound by one core, half of it. The
    fork is taken with no other thread running (the origins' pool has finished), and the
    second process opens its own connections to the checked addresses. Its answers come
    back through a pipe; if it dies, its pages are left to the crawl, which fetches them
    as on any other night.
    """
    mine = {o: deque(list(q)[0::2]) for o, q in queues.items()}
    theirs = {o: deque(list(q)[1::2]) for o, q in queues.items()}
    halves = max(1, concurrency // 2), max(1, per_domain // 2)
    receive, send = os.pipe()
    pid = os.fork()
    if pid == 0:  # the second asker: answers to the pipe, then gone without clean-up
        code = 1
        try:
            os.close(receive)
            for origin in theirs:
                if origin.pool is not None:
                    origin.pool = origin.reopen()
            with os.fdopen(send, "wb") as out:
                pickle.dump(_ask(theirs, validators, *halves), out)
            code = 0
        finally:
            os._exit(code)
    os.close(send)
    answers = _ask(mine, validators, *halves)
    with os.fdopen(receive, "rb") as answered:
        try:
            other: list[_Answer] = pickle.load(answered)
        except Exception:  # it died: EOF or a cut-off answer
            other = [(url, None, {}, "the second asker died") for q in theirs.values() for url in q]
    os.waitpid(pid, 0)
    return answers + other


def _open_origin(origin: _Origin, crawl: Any, headers: dict[str, str], timeout: Any) -> None:
    """Check the origin's address, pin a pool to it and read its robots.txt; or say why not."""
    try:
        _open_pinned(origin, crawl, headers, timeout)
    except Exception as exc:  # whatever it is, the crawl fetches these pages as usual
        origin.skip = f"{type(exc).__name__}: {exc}"


def _open_pinned(origin: _Origin, crawl: Any, headers: dict[str, str], timeout: Any) -> None:
    import urllib3

    if origin.scheme not in ("http", "https"):
        origin.skip = f"{origin.scheme}: not HTTP"
        return
    proxies = urllib.request.getproxies()
    if origin.scheme in proxies and not urllib.request.proxy_bypass(origin.host):
        origin.skip = "a proxy is configured: the crawl goes through it"
        return
    try:
        address = socket.getaddrinfo(origin.host, origin.port, type=socket.SOCK_STREAM)[0][4][0]
    except OSError as exc:
        origin.skip = f"cannot resolve {origin.host}: {exc}"
        return
    why = refusal(origin.host, address, allow_private=crawl.allow_private_networks)
    if why:
        origin.skip = why  # the crawl refuses it too, and says so in the page's error
        return
    default_port = 443 if origin.scheme == "https" else 80
    host = f"[{origin.host}]" if ":" in origin.host else origin.host  # an IPv6 literal
    host_header = host if origin.port == default_port else f"{host}:{origin.port}"
    common = {
        "maxsize": crawl.per_domain_concurrency,
        "block": True,
        "headers": {**headers, "Host": host_header},
        "timeout": timeout,
        "retries": False,
    }
    if origin.scheme == "https":
        # Connected to the checked address; the certificate is checked for the host name.
        def reopen() -> Any:
            return urllib3.HTTPSConnectionPool(
                address,
                origin.port,
                server_hostname=origin.host,
                assert_hostname=origin.host,
                **common,
            )
    else:

        def reopen() -> Any:
            return urllib3.HTTPConnectionPool(address, origin.port, **common)

    origin.reopen = reopen
    origin.pool = reopen()
    if not crawl.obey_robots:
        return
    status, body, why = _get(origin, "/robots.txt")
    if status is not None and 200 <= status < 300:
        from protego import Protego

        origin.robots = Protego.parse(body.decode("utf-8", errors="ignore"))
    elif status is not None and 400 <= status < 500:
        origin.robots = None  # no robots.txt: everything is allowed (as Scrapy reads it)
    else:
        origin.skip = f"robots.txt: {why or f'HTTP {status}'}"


def _robots_refusal(origin: _Origin, url: str, user_agent: str) -> str | None:
    if origin.robots is not None and not origin.robots.can_fetch(url, user_agent):
        return "forbidden by robots.txt"  # the crawl records the refusal as usual
    return None


def _get(origin: _Origin, path: str) -> tuple[int | None, bytes, str | None]:
    """A plain GET of robots.txt, read up to 512 KiB (Google reads the first 500 KiB)."""
    try:
        r = origin.pool.urlopen("GET", path, redirect=False, preload_content=False)
    except Exception as exc:  # any failure: the crawl takes over with its own handling
        return None, b"", f"{type(exc).__name__}: {exc}"
    try:
        body = r.read(amt=512 * 1024) if 200 <= r.status < 300 else b""
    except Exception as exc:
        return None, b"", f"{type(exc).__name__}: {exc}"
    finally:
        r.close()
        r.release_conn()
    return r.status, body, None


def _ask_all(
    origin: _Origin, queue: deque[str], validators: dict[str, dict[str, str]]
) -> list[tuple[str, int | None, dict[str, str], str | None]]:
    """Ask the origin's queued pages one after the other (several askers share a queue):
    (url, status, response headers, why it failed) each. Once a question has failed, the
    rest are left to the crawl with the same reason."""
    out = []
    while True:
        try:
            url = queue.popleft()
        except IndexError:
            return out
        if origin.skip:
            out.append((url, None, {}, origin.skip))
        else:
            out.append((url, *_conditional_get(origin, url, validators[url])))


def _conditional_get(
    origin: _Origin, url: str, validators: dict[str, str]
) -> tuple[int | None, dict[str, str], str | None]:
    # Percent-encoded as Scrapy sends it (a watchlist may spell a path in Unicode).
    parts = urlsplit(safe_url_string(url))
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        r = origin.pool.urlopen(
            "GET",
            target,
            headers={**origin.pool.headers, **conditional_headers(validators)},
            redirect=False,
            preload_content=False,
        )
    except Exception as exc:  # timeouts, resets, TLS: the crawl fetches it with retries
        origin.skip = f"{type(exc).__name__}: {exc}"
        return None, {}, origin.skip
    try:
        if r.status == 304:
            r.drain_conn()  # no body: the connection goes back to the pool
        else:
            r.close()  # a page to fetch: its body is the crawl's, not read here
    finally:
        r.release_conn()
    # Header names as Scrapy stores them (Title-Case), repeated headers joined.
    return r.status, {k.title(): v for k, v in r.headers.itermerged()}, None
