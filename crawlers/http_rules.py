"""The rules every request of ours follows, whichever client sends it.

Three clients fetch for a night: Scrapy (`crawlers.middlewares`), Chromium for browser
pages (`crawlers.browser`) and the revalidation pass (`crawlers.revalidate`). They share
these plain functions, and this module imports no Scrapy, so the revalidation pass can
settle an unchanged night without loading it.

- `refusal(host, address, allow_private)`: why a request to a loopback, private,
  link-local or otherwise non-public address must not be made.
- `conditional_headers(validators)`: If-None-Match / If-Modified-Since from the last good
  snapshot's ETag / Last-Modified, so an unchanged page costs a 304 and nothing more.
- `DEFAULT_REQUEST_HEADERS`: what every request carries besides its user agent, Scrapy's
  defaults and the encodings its compression middleware accepts. A server may give each
  encoding its own ETag (Apache appends `-gzip`), so a conditional GET must ask for the
  same encodings as the fetch that stored the validators.
"""

from __future__ import annotations

import ipaddress

from intel.watchlist import is_private_host

DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}


def conditional_headers(validators: dict[str, str]) -> dict[str, str]:
    """Request headers that let the server answer 304 when the page has not changed."""
    v = {k.lower(): val for k, val in validators.items() if val}
    out: dict[str, str] = {}
    if v.get("etag"):
        out["If-None-Match"] = v["etag"]
    if v.get("last-modified"):
        out["If-Modified-Since"] = v["last-modified"]
    return out


def refusal(host: str, address: str | None = None, *, allow_private: bool = False) -> str | None:
    """Why fetching `host` (resolved to `address`, if known) is refused; None when it is fine."""
    if allow_private:
        return None
    if is_private_host(host):
        return f"{host} is a loopback/private/link-local address"
    if address:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return None
        if not ip.is_global or ip.is_multicast:
            return f"{host} resolves to {address}, a loopback/private/link-local address"
    return None


def is_ip(host: str) -> bool:
    """Whether `host` is a literal IPv4/IPv6 address (nothing to resolve)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
