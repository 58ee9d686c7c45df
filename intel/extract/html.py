"""Bytes to text and text to tree: the only place pages are decoded and parsed.

Shared by every extractor so a page is read the same way whatever its kind.
"""

from __future__ import annotations

import re

from lxml import etree
from w3lib.encoding import read_bom, resolve_encoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)


def decode(body: bytes, content_type: str | None = None) -> str:
    """Decode a fetched body the way a reader's browser would, and then some.

    A byte-order mark wins. Bytes that are valid UTF-8 are read as UTF-8 whatever the
    label says: servers mislabel UTF-8 pages as iso-8859-1 far more often than a real
    single-byte page happens to be valid UTF-8, and reading them by the label would
    garble every non-ASCII plan name and price (then "fix" them the night the header
    is corrected: an invented move). Otherwise the HTTP charset, then a <meta> charset,
    mapped by the web's label table (w3lib: `iso-8859-1` and `ascii` mean Windows-1252,
    where 0x80 is the euro sign), else Windows-1252. Never raises: undecodable bytes
    become U+FFFD.
    """
    bom = read_bom(body)
    if bom[0]:
        return body[len(bom[1]) :].decode(bom[0], errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    labels: list[str] = []
    if content_type:
        m = re.search(r"charset\s*=\s*[\"']?([\w:.-]+)", content_type, re.I)
        if m:
            labels.append(m.group(1))
    m = _META_CHARSET.search(body[:4096])
    if m:
        labels.append(m.group(1).decode("ascii", "ignore"))
    for label in labels:
        encoding = resolve_encoding(label)
        if encoding and encoding not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
            return body.decode(encoding, errors="replace")
    return body.decode("cp1252", errors="replace")


# Characters XML trees cannot hold (C0 controls but tab/newline/CR, lone surrogates,
# U+FFFE/U+FFFF): a hostile or broken page may carry them, and lxml refuses any text
# containing them later, deep inside an extractor. They carry no meaning: drop them once.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CONTROL_BYTES = [bytes([c]) for c in (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
_PLAIN_PARSER = etree.HTMLParser()


def _xml_safe(html: str) -> str:
    """`html` without the characters of `_NOT_XML`.

    Almost every page has none: checking that on the UTF-8 bytes (C loops) costs a
    fraction of the regex scan over a 200 KB page, which then runs only when needed.
    """
    try:
        raw = html.encode("utf-8")  # lone surrogates refuse to encode
    except UnicodeEncodeError:
        return _NOT_XML.sub("", html)
    # One memchr per control character (in UTF-8 their bytes stand only for themselves).
    if (
        not any(c in raw for c in _CONTROL_BYTES)
        and b"\xef\xbf\xbe" not in raw
        and b"\xef\xbf\xbf" not in raw
    ):
        return html
    return _NOT_XML.sub("", html)


def parse_plain(html: str) -> etree._Element:
    """A forgiving tree of plain lxml elements; empty or garbage input gives an empty <html>.

    Not lxml.html's `HtmlElement`s: lxml.html calls back into Python to pick a class each
    time an element is touched from Python, which costs an extractor that walks every
    element of a large page more than the parse itself. Plain elements have no
    `text_content()`: use `"".join(el.itertext())` or an `etree.XPath("string()")`.
    """
    html = _xml_safe(html or "")
    if not html.strip():
        return etree.fromstring("<html></html>", _PLAIN_PARSER)
    try:
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
        doc = etree.fromstring(html, _PLAIN_PARSER)
    except (etree.ParserError, ValueError, etree.XMLSyntaxError):
        return etree.fromstring("<html></html>", _PLAIN_PARSER)
    if doc is None:
        return etree.fromstring("<html></html>", _PLAIN_PARSER)
    return doc
