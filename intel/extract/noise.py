"""Noise that must never become an event: shared by every extractor.

A page fetched twice a few seconds apart differs in dozens of places that mean nothing:
nonces, CSRF tokens, request ids, cache-busting asset names, tracking parameters,
"updated 3 minutes ago", "15 people are viewing", countdowns, the copyright year, the
cookie banner, the chat widget, A/B class names. This module removes or neutralises them
so that what is left is what the company chose to say.

The API is deliberately small (other extractors may import it):

    strip_boilerplate(root)   remove scripts, chrome (nav/header/footer), banners, widgets,
                              ads, hidden and live regions, carousels and logo walls, in place
    normalize_text(text)      a comparison key: volatile spans become placeholders,
                              case/quotes/dashes/whitespace folded
    clean_url(url)            a URL without tracking parameters and cache-busting hashes
    element_text(el)          visible text of an element, image alt text included,
                              whitespace collapsed
    split_sentences(text)     sentences, for sentence-level diffs

Everything here is pure and keyed to patterns of the web at large (ARIA roles, landmark
elements, common widget words), never to the markup of one site.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lxml import etree

__all__ = [
    "clean_url",
    "element_text",
    "normalize_text",
    "split_sentences",
    "strip_boilerplate",
]

# ---------------------------------------------------------------------------
# Text


_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_UNIT = r"(?:s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|wks?|weeks?|mo|months?|y|yrs?|years?)"

# Order matters: longer, more specific shapes first. Each pattern is replaced by a
# placeholder, so "Updated 3 minutes ago" and "Updated 5 minutes ago" compare equal.
_VOLATILE: list[tuple[re.Pattern[str], str]] = [
    # UUIDs, long hex runs, long mixed tokens (CSRF, nonces, session ids, build ids)
    (
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
        " ‹id› ",
    ),
    (re.compile(r"\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b", re.I), " ‹id› "),
    (
        re.compile(r"(?<![\w/+])(?=[\w+/=-]*\d)(?=[\w+/=-]*[A-Za-z])[\w+/=-]{20,}(?![\w/+])"),
        " ‹id› ",
    ),
    # copyright lines: "© 2016–2025", "Copyright 2025", "(c) 2024"
    (
        re.compile(
            r"(?:©|\(c\)|copyright)\s*(?:\d{4}\s*(?:[-–—]|to)\s*)?\d{4}",
            re.I,
        ),
        " © ‹year› ",
    ),
    # ISO timestamps and dates
    (
        re.compile(
            r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s?(?:Z|[+-]\d{2}:?\d{2}))?)?\b"
        ),
        " ‹date› ",
    ),
    # "Nov 19, 2025", "November 19th 2025", "19 November 2025", "Nov 2025" is left alone
    (
        re.compile(rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b", re.I),
        " ‹date› ",
    ),
    (
        re.compile(rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS},?\s+\d{{4}}\b", re.I),
        " ‹date› ",
    ),
    (re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"), " ‹date› "),
    # the weekday in front of a date ("Tuesday, ‹date›") rolls over with it
    (
        re.compile(
            r"\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s*(?=‹date›)",
            re.I,
        ),
        " ",
    ),
    # clock times: "14:05", "2:05:33 PM", "9 am", with an optional zone
    (
        re.compile(
            r"\b\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?"
            r"(?:\s?(?:utc|gmt|z|[ecmp][sd]t|bst|cet|cest|ist|jst|aest))?\b",
            re.I,
        ),
        " ‹time› ",
    ),
    (re.compile(r"\b\d{1,2}\s?[ap]\.?m\.?(?=\W|$)", re.I), " ‹time› "),
    # countdowns: "1d 16h 25m 14s", "3 days 4 hours"
    (
        re.compile(rf"\b\d+\s*{_UNIT}\b(?:[\s:,]*\d+\s*{_UNIT}\b)+", re.I),
        " ‹duration› ",
    ),
    # relative times: "3 minutes ago", "an hour ago", "in 5 days", "just now"
    (
        re.compile(rf"\b(?:\d+|an?|one|a few|few)\s+{_UNIT}\s+ago\b", re.I),
        " ‹ago› ",
    ),
    (re.compile(r"\b(?:just now|moments? ago|seconds ago|yesterday)\b", re.I), " ‹ago› "),
    # the same in other languages: "vor 5 Minuten", "il y a 3 heures", "hace 2 días",
    # "5 minuti fa", "há 2 horas", "3 dagen geleden", "5分前"
    (
        re.compile(
            r"\b(?:vor|il y a|hace|há)\s+(?:\d+|einer?|einem|une?|una?|um|uma)\s+"
            r"(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?|jahr(?:en)?|"
            r"secondes?|minutes?|heures?|jours?|semaines?|mois|ans?|années?|"
            r"segundos?|minutos?|horas?|días?|dias?|semanas?|meses|mes|mês|años?|anos?)\b",
            re.I,
        ),
        " ‹ago› ",
    ),
    (
        re.compile(
            r"\b(?:\d+|een|un[ao]?)\s+(?:secondi|minuti|minuto|ore|ora|giorni|giorno|settimane|"
            r"mesi|anni|seconden|minuten|minuut|uur|uren|dagen|dag|weken|week|maanden|jaar)\s+"
            r"(?:fa|geleden)\b",
            re.I,
        ),
        " ‹ago› ",
    ),
    (re.compile(r"\d+\s*(?:秒|分|時間|日|週間|か月|ヶ月|年)前"), " ‹ago› "),
    (
        re.compile(
            r"\b(?:gerade eben|soeben|gestern|à l'instant|ahora mismo|ayer|adesso|ieri|"
            r"zojuist|gisteren)\b",
            re.I,
        ),
        " ‹ago› ",
    ),
    (
        re.compile(
            rf"\b(?:ends?|expires?|starts?|closes?|left|remaining)\s+in\s+\d+\s*{_UNIT}\b", re.I
        ),
        " ‹duration› ",
    ),
    (re.compile(rf"\b\d+\s*{_UNIT}\s+(?:left|remaining)\b", re.I), " ‹duration› "),
    # live counters: "15 people are viewing", "1,204 users online", "Only 3 left"
    (
        re.compile(
            r"\b\d[\d,.\s]*\+?\s*(?:[a-z]+\s+){0,3}?"
            r"(?:are\s+|is\s+)?(?:viewing|watching|looking at|browsing|online|active now|"
            r"in stock|left in stock|signed up (?:today|this week)|joined (?:today|this week)|"
            r"bought (?:today|this)|booked (?:today|this))",
            re.I,
        ),
        " ‹count› ",
    ),
    (re.compile(r"\bonly\s+\d+\s+left\b", re.I), " ‹count› "),
]

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u200b": "",
        "\u00ad": "",
    }
)


def mask_volatile(text: str) -> str:
    """`text` with volatile spans (times, dates, counters, tokens ...) as placeholders."""
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


def normalize_text(text: str) -> str:
    """The comparison key of a piece of text.

    Two texts a reader would call "the same" (one rendered at 02:14, one at 02:47; curly
    vs straight quotes; a non-breaking space) get the same key. The key is for comparing
    only: show the original text to people.

    Cached up to `_CACHED_CHARS`: a page's diff keys each sentence of both nights, shows
    the same sentences again and learns from its blocks, and two nights of a page share
    most of their text. The ~25 volatile-span regexes were over half of a generic page's
    extract + diff + learn; a hit is a dict lookup. Long texts (legal copy) are computed
    each time, so the cache stays a few MB at most.
    """
    if len(text) > _CACHED_CHARS:
        return _normalize(text)
    return _normalize_cached(text)


_CACHED_CHARS = 1000


def _normalize(text: str) -> str:
    if not text:
        return ""
    s = unicodedata.normalize("NFKC", text).translate(_FOLD)
    s = mask_volatile(s)
    s = s.casefold()
    s = " ".join(s.split())
    return s.strip(" .,;:!?·|-–—•*")


_normalize_cached = lru_cache(maxsize=8192)(_normalize)


def forget_normalized() -> None:
    """Empty normalize_text's cache (benchmarks: each page pays for its own text)."""
    _normalize_cached.cache_clear()


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9¿¡])")
_SEPARATORS = re.compile(r"(?:(?:^|\s)[·•|](?=\s|$))+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a block of text (also split at " · " and " | " separators).

    Why sentence level: a paragraph whose one sentence changes should report that
    sentence, not the whole paragraph.
    """
    out: list[str] = []
    for part in _SEPARATORS.split(text):
        for s in _SENTENCE_END.split(part):
            s = " ".join(s.split())
            if s:
                out.append(s)
    return out


# ---------------------------------------------------------------------------
# URLs

_TRACKING_PARAM = re.compile(
    r"^(?:utm_\w+|_ga|_gl|gclid|dclid|fbclid|msclkid|mc_cid|mc_eid|yclid|_hsenc|_hsmi|"
    r"hsa_\w+|mkt_tok|ref|ref_src|referrer|source|sid|session|sessionid|session_id|"
    r"phpsessid|jsessionid|s_cid|icid|cmpid|trk|track\w*|_ke|v|ver|version|cb|cachebust\w*|"
    r"t|ts|timestamp|nonce|token|csrf\w*)$",
    re.I,
)
_HASHED_NAME = re.compile(r"([./_-])(?=[0-9a-f]*\d)[0-9a-f]{6,}(?=[./_-])", re.I)


def clean_url(url: str) -> str:
    """`url` without tracking/session/cache-busting parameters and asset hashes.

    `/logo.61fb650c.svg?v=ad5a&utm_source=x` and `/logo.d6390646.svg` compare equal.
    """
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING_PARAM.match(k)
    ]
    path = _HASHED_NAME.sub(r"\1", parts.path)
    path = re.sub(r";jsessionid=[^/?#]*", "", path, flags=re.I)
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, urlencode(query), ""))


# ---------------------------------------------------------------------------
# Trees

# Never content: code, styles, embedded objects, form controls.
_DROP_TAGS = {
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "math",
    "iframe",
    "object",
    "embed",
    "canvas",
    "video",
    "audio",
    "head",
    "link",
    "meta",
    "input",
    "select",
    "option",
    "textarea",
    "button",
    "dialog",
}
# Page chrome when it sits outside the page's main content.
_CHROME_TAGS = {"nav", "header", "footer", "aside"}
# ARIA roles of chrome, notices, live widgets.
_DROP_ROLES = {
    "banner",
    "navigation",
    "contentinfo",
    "complementary",
    "dialog",
    "alertdialog",
    "alert",
    "status",
    "log",
    "marquee",
    "timer",
    "search",
    "menu",
    "menubar",
    "tooltip",
}
# Words that, anywhere in an id or class, mark a widget that is never content.
_WIDGET_SUBSTRINGS = (
    "cookie",
    "consent",
    "gdpr",
    "onetrust",
    "cookiebot",
    "intercom",
    "livechat",
    "adsbygoogle",
    "testimonial",
    "carousel",
    "swiper",
    "marquee",
)
# Words that, as the FIRST word of an id or class ("chat-launcher", "ad-slot",
# "footer-links"), mark chrome or widgets. First word only: "feature-chat" is content.
_WIDGET_FIRST_WORDS = {
    "chat",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "sponsored",
    "popup",
    "modal",
    "toast",
    "slider",
    "ticker",
    "logos",
    "logo",
    "newsletter",
    "reviews",
    "quotes",
}
# Chrome words, applied only outside the main content ("card-header" is content).
_CHROME_FIRST_WORDS = {
    "header",
    "footer",
    "navbar",
    "nav",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "sidebar",
    "skip",
}
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCKISH = {
    "p",
    "div",
    "section",
    "article",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "tr",
    "td",
    "th",
    "blockquote",
    "figure",
    "figcaption",
    "br",
    "hr",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "pre",
    "summary",
    "details",
    "caption",
    "address",
}


def _first_words(value: str) -> Iterable[str]:
    for token in value.split():
        words = [w for w in _WORD_SPLIT.split(token) if w]
        if words:
            yield words[0].lower()
            # "announcement-bar" style compound first words
            if len(words) > 1:
                yield f"{words[0]}-{words[1]}".lower()


def _is_widget(el: etree._Element) -> bool:
    ident = f"{el.get('id') or ''} {el.get('class') or ''}"
    if not ident.strip():
        return False
    low = ident.lower()
    if any(w in low for w in _WIDGET_SUBSTRINGS):
        return True
    words = set(_first_words(ident))
    if words & _WIDGET_FIRST_WORDS:
        return True
    return bool(words & _CHROME_FIRST_WORDS) and not _in_content(el)


def _is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _in_content(el: etree._Element) -> bool:
    """True when `el` sits inside main content (main, article, [role=main])."""
    for anc in el.iterancestors():
        if anc.tag in ("main", "article") or anc.get("role") == "main":
            return True
    return False


def _is_ab_variant(el: etree._Element) -> bool:
    """A short element tagged as an experiment variant: its wording rotates by design."""
    if not any(("experiment" in k or "variant" in k or k.startswith("data-ab")) for k in el.attrib):
        return False
    return len(" ".join(el.itertext()).split()) <= 12


_BADGE_ALT = re.compile(
    r"\b(?:soc ?[123]|iso ?\d{4,5}|gdpr|hipaa|pci|fedramp|ccpa|csa star|tisax|hitrust|"
    r"certified|certification|compliant|compliance|award|badge|rated|leader)\b",
    re.I,
)


def _is_logo_wall(el: etree._Element) -> bool:
    """Four or more images and no text of their own: a customer logo wall.

    Compliance and award badges are often images too; a wall whose alt texts speak
    of certification is content (a new SOC 2 badge is news), so it is kept.
    """
    imgs = el.findall(".//img")
    if len(imgs) < 4 or "".join(el.itertext()).strip():
        return False
    return not any(_BADGE_ALT.search(img.get("alt") or "") for img in imgs)


def strip_boilerplate(root: etree._Element, *, keep_hidden: bool = False) -> etree._Element:
    """Remove everything that is not the page's own content, in place; returns `root`.

    Removed: scripts/styles/embeds/form controls, comments, site chrome (nav, and
    header/footer/aside outside the main content, unless a header holds the h1), ARIA
    chrome/notice/live roles and aria-live regions (counters, chat bubbles, cookie
    alerts), widgets named by id/class (cookie, consent, chat, ads, testimonials,
    carousels, logo walls), hidden elements and short A/B experiment variants.
    `keep_hidden=True` keeps hidden elements (a pricing page hides its annual prices).
    """
    doomed: list[etree._Element] = []
    # collapsed content (accordion answers, tab panels) is content: its trigger says so
    controlled = {
        ref for el in root.iter() if isinstance(el.tag, str)
        for ref in (el.get("aria-controls") or "").split()
    }  # fmt: skip
    # logo-wall candidates: the few ancestors of images, checked once each (not every
    # element of a large page, which would be quadratic)
    walls: set[etree._Element] = set()
    for img in root.iter("img"):
        for depth, anc in enumerate(img.iterancestors()):
            if depth >= 3 or anc is root or anc.tag in ("html", "body", "main"):
                break
            walls.add(anc)
    walls = {w for w in walls if _is_logo_wall(w)}
    for el in root.iter():
        if el is root:
            continue
        if not isinstance(el.tag, str):  # comments, processing instructions
            doomed.append(el)
            continue
        tag = el.tag.lower()
        if tag == "button" and _is_disclosure(el):
            el.tag = "span"  # an accordion question: its text is content, the control is not
        elif tag in _DROP_TAGS:
            doomed.append(el)
        elif tag == "nav":
            doomed.append(el)
        elif tag in _CHROME_TAGS and not _in_content(el):
            if tag == "header" and el.find(".//h1") is not None:
                continue
            doomed.append(el)
        elif (el.get("role") or "").lower() in _DROP_ROLES:
            doomed.append(el)
        elif el.get("aria-live") in ("polite", "assertive"):
            doomed.append(el)
        elif tag not in ("html", "body", "main") and _is_widget(el):
            doomed.append(el)
        elif not keep_hidden and _is_hidden(el) and el.get("id") not in controlled:
            doomed.append(el)
        elif _is_status_widget(el) or _is_consent_notice(el):
            doomed.append(el)
        elif _is_ab_variant(el):
            doomed.append(el)
        elif el in walls:
            doomed.append(el)
        elif _is_attributed_quote(el):
            doomed.append(el)
    for el in doomed:
        _drop(el)
    _blank_rotating_words(root)
    return root


def _is_disclosure(button: etree._Element) -> bool:
    """A button that opens content (FAQ question, accordion header), not an action."""
    if button.get("aria-expanded") is not None or button.get("aria-controls"):
        return True
    parent = button.getparent()
    return parent is not None and isinstance(parent.tag, str) and parent.tag.lower() in (
        "h1", "h2", "h3", "h4", "h5", "h6", "summary", "dt",
    )  # fmt: skip


_STATUS_HREF = re.compile(
    r"^https?://(?:status\.[^/]+|[^/]*\.statuspage\.io|[^/]*status\.io)(?:/|$)|"
    r"^(?:https?://[^/]+)?/status/?(?:[?#]|$)",
    re.I,
)


def _is_status_widget(el: etree._Element) -> bool:
    """A link to the status page saying how the service is doing right now.

    "All systems operational" flips to "Partial outage" and back on its own clock: it
    reports the weather, not what the company chose to say.
    """
    if not isinstance(el.tag, str) or el.tag.lower() != "a":
        return False
    if not _STATUS_HREF.match((el.get("href") or "").strip()):
        return False
    return len(" ".join(el.itertext()).split()) <= 10


_CONSENT_ACTION = re.compile(
    r"^(?:accept|accept all|accept cookies|allow|allow all|allow cookies|agree|i agree|"
    r"got it|ok|okay|reject|reject all|decline|deny|manage preferences|manage cookies|"
    r"cookie settings|customi[sz]e|akzeptieren|alle akzeptieren|ablehnen|accepter|"
    r"tout accepter|refuser|aceptar|rechazar|accetta|rifiuta)[.!]?$",
    re.I,
)
_CONSENT_WORDS = re.compile(
    r"\b(?:cookies?|consent|privacy|personal data|your device|tracking|partners|"
    r"datenschutz|confidentialité|privacidad)\b",
    re.I,
)


def _is_consent_notice(el: etree._Element) -> bool:
    """A cookie/privacy notice recognised by what it says and offers, whatever its class.

    Short, speaks of cookies/privacy/your device, and offers an accept/reject choice.
    """
    if not isinstance(el.tag, str) or el.tag.lower() not in ("div", "section", "aside", "form"):
        return False
    text = " ".join(" ".join(el.itertext()).split())
    if not text or len(text) > 700 or not _CONSENT_WORDS.search(text):
        return False
    for c in el.iter("a", "button"):
        label = " ".join(" ".join(c.itertext()).split()) or (c.get("aria-label") or "")
        if _CONSENT_ACTION.match(label.strip()):
            return True
    return False


_LIST_SPLIT = re.compile(r"\s*[,|;]\s*")


def _blank_rotating_words(root: etree._Element) -> None:
    """Empty a word the server picks at random from alternatives the markup lists.

    Rotating hero words ("Forms for <span data-words='marketers, recruiters'>...") are
    recognised by structure: the element's text is one of several values listed in one
    of its own data attributes.
    """
    for el in root.iter():
        if not isinstance(el.tag, str) or len(el) or not el.text:
            continue
        word = " ".join(el.text.split()).casefold()
        if not word or len(word) > 60:
            continue
        for name, value in el.attrib.items():
            if not name.startswith("data-") or len(value) > 2000:
                continue
            options = _options(value)
            if len(options) >= 2 and word in options:
                el.text = " ‹rotating› "
                break


def _options(value: str) -> set[str]:
    value = value.strip()
    items: list[str] = []
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            items = [str(x) for x in parsed if isinstance(x, (str, int, float))]
    if not items:
        items = _LIST_SPLIT.split(value)
    return {" ".join(x.split()).casefold() for x in items if x.strip()}


def _is_attributed_quote(el: etree._Element) -> bool:
    """A customer quote with its attribution, however it is styled: a testimonial.

    Rotating testimonials are the most common noise of a homepage; what marks them is
    the structure (a quote plus who said it: <figure><blockquote/><figcaption/>,
    <blockquote>...<cite/>/<footer/>) or schema.org Review markup, not a class name.
    """
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if "review" in (el.get("itemtype") or "").lower():
        return True
    if tag == "figure":
        return el.find(".//blockquote") is not None or el.find(".//q") is not None
    if tag == "blockquote":
        if el.find(".//cite") is not None or el.find(".//footer") is not None:
            return True
        nxt = el.getnext()
        return (
            nxt is not None
            and isinstance(nxt.tag, str)
            and nxt.tag.lower() in ("cite", "figcaption")
        )
    return False


def _drop(el: etree._Element) -> None:
    """Remove `el` but keep its tail text (which belongs to the parent)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + " " + tail
        else:
            parent.text = (parent.text or "") + " " + tail
    parent.remove(el)


_USELESS_ALT = re.compile(
    r"^(?:|image|img|photo|picture|icon|logo|avatar|spacer|banner|graphic|decorative|"
    r".*\.(?:png|jpe?g|gif|svg|webp|avif))$",
    re.I,
)


def image_alt(el: etree._Element) -> str:
    """An image's meaningful alt text ('' for decorative images and file names)."""
    alt = " ".join((el.get("alt") or "").split())
    return "" if _USELESS_ALT.match(alt) else alt


def element_text(el: etree._Element) -> str:
    """Visible text of `el` with image alt text in place; block boundaries become spaces."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str):
            if node.tail:
                parts.append(node.tail)
            return
        tag = node.tag.lower()
        if tag in _BLOCKISH:
            parts.append(" ")
        if tag == "img":
            alt = image_alt(node)
            if alt:
                parts.append(f" {alt} ")
        if node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
        if tag in _BLOCKISH:
            parts.append(" ")
        if node is not el and node.tail:
            parts.append(node.tail)

    walk(el)
    return " ".join("".join(parts).split())
