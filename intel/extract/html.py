"""Bytes to text and text to tree: the only place pages are decoded and parsed.

Shared by every extractor so a page is read the same way whatever its kind.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)


def decode(body: bytes, content_type: str | None = None) -> str:
    """Decode a fetched body: the HTTP charset, else a <meta> charset, else UTF-8, else cp1252.

    A wrong or missing charset never raises: undecodable bytes become U+FFFD.
    """
    candidates: list[str] = []
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([\w:.-]+)", content_type, re.I)
        if m:
            candidates.append(m.group(1))
    m = _META_CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    if body.startswith(b"\xef\xbb\xbf"):
        candidates.insert(0, "utf-8-sig")
    candidates += ["utf-8"]
    for enc in candidates:
        try:
            return body.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


# Characters XML trees cannot hold (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): a hostile or broken page may carry them, and lxml refuses any text
# containing them later, deep inside an extractor. They carry no meaning: drop them once.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse(html: str) -> lxml.html.HtmlElement:
    """A forgiving lxml tree; empty or garbage input gives an empty <html> element."""
    html = _NOT_XML.sub("", html or "")
    if not html.strip():
        return lxml.html.fromstring("<html></html>")
    try:
        # lxml refuses str with an XML encoding declaration; strip it.
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return lxml.html.fromstring("<html></html>")
    return doc
