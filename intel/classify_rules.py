"""Classification rules: the shipped `intel/rules/tags.yaml`, merged with a user's own.

Rules are read and compiled ONCE (`load_rules`) and then passed to the pure
`intel.classify.classify`, so classifying ten thousand events never touches the disk or
recompiles a regex. A user drops a `tags.yaml` next to the watchlist to extend the
shipped tags (keywords are added) or override one (`replace: true`). A bad rule file
raises `WatchlistError` naming the file, line and field, like a bad watchlist does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from intel.errors import WatchlistError
from intel.yaml_lines import line_map, load_with_nodes

USER_RULES_FILE = "tags.yaml"
_TAG_KEYS = {"keywords", "acronyms", "patterns", "importance", "replace"}
_TOP_KEYS = {"tags", "tiers", "synonyms"}


_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class TagRule:
    """One tag as written in the rules file, and what it adds to an event's importance."""

    name: str
    importance: float
    keywords: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()


class _Matcher:
    """Finds every tag in a text in ONE pass over its words.

    Keywords are matched as whole words by dict look-ups on the text's tokens (a phrase by
    its first word, a `*` keyword by prefix), not as one regex alternation per tag:
    Python's backtracking `re` tries every branch at every position, which made ten
    thousand events take seconds; token look-ups take microseconds.
    """

    def __init__(self, tags: tuple[TagRule, ...]) -> None:
        self.words: dict[str, list[str]] = {}  # lowercase single word -> tags
        self.acronyms: dict[str, list[str]] = {}  # exact-case single word -> tags
        self.prefixes: list[tuple[str, str]] = []  # (lowercase prefix, tag)
        # first token (lowercase) -> [(all tokens, last is a prefix, exact case, tag)]
        self.phrases: dict[str, list[tuple[tuple[str, ...], bool, bool, str]]] = {}
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for t in tags:
            for kw, exact in [(k, False) for k in t.keywords] + [(a, True) for a in t.acronyms]:
                prefix = kw.strip().endswith("*")
                toks = tuple(_TOKEN.findall(kw.strip().rstrip("*")))
                if not toks:
                    continue
                if not exact:
                    toks = tuple(x.lower() for x in toks)
                if len(toks) == 1 and prefix:
                    self.prefixes.append((toks[0].lower(), t.name))
                elif len(toks) == 1:
                    target = self.acronyms if exact else self.words
                    target.setdefault(toks[0], []).append(t.name)
                else:
                    self.phrases.setdefault(toks[0].lower(), []).append(
                        (toks, prefix, exact, t.name)
                    )
            for rx in t.patterns:
                self.patterns.append((rx, t.name))
        # prefixes by their first three letters: one dict look-up per word, not sixty
        # startswith calls; shorter prefixes (rare) are tried on every word
        self.by_head: dict[str, list[tuple[str, str]]] = {}
        self.short: list[tuple[str, str]] = []
        for p, tag in self.prefixes:
            (self.by_head.setdefault(p[:3], []) if len(p) >= 3 else self.short).append((p, tag))
        self.word_keys = frozenset(self.words)
        self.acronym_keys = frozenset(self.acronyms)
        self.head_keys = frozenset(self.by_head)
        self.phrase_keys = frozenset(self.phrases)
        self.exact_phrases = any(e for v in self.phrases.values() for _, _, e, _ in v)
        # every pattern in one alternation: one scan of the text finds them all
        self.pattern_tags = [tag for _, tag in self.patterns]
        self.all_patterns = (
            re.compile(
                "|".join(f"(?P<p{i}>{rx.pattern})" for i, (rx, _) in enumerate(self.patterns)),
                re.IGNORECASE,
            )
            if self.patterns
            else None
        )

    def find(self, text: str) -> dict[str, tuple[int, str]]:
        """tag -> (word index, words) of its first hit in `text`.

        Set intersections do the work in C; Python only loops over the few hits.
        """
        found: dict[str, tuple[int, str]] = {}

        def hit(tag: str, pos: int, words: str) -> None:
            if tag not in found or pos < found[tag][0]:
                found[tag] = (pos, words)

        low = _TOKEN.findall(text.lower())
        lowset = set(low)
        for w in lowset & self.word_keys:
            pos = low.index(w)
            for tag in self.words[w]:
                hit(tag, pos, w)
        toks: list[str] | None = None
        if self.acronyms or self.exact_phrases:
            toks = _TOKEN.findall(text)
            for w in set(toks) & self.acronym_keys:
                pos = toks.index(w)
                for tag in self.acronyms[w]:
                    hit(tag, pos, w)
        by_head = self.by_head
        for w in lowset:
            for p, tag in by_head.get(w[:3], ()):
                if w.startswith(p):
                    hit(tag, low.index(w), w)
        for p, tag in self.short:
            for w in lowset:
                if w.startswith(p):
                    hit(tag, low.index(w), w)
        firsts = lowset & self.phrase_keys
        if firsts:
            # a phrase is a substring of the words joined by single spaces (" two way sync ")
            joined = " " + " ".join(low) + " "
            joined_exact = " " + " ".join(toks) + " " if toks is not None else joined
            for first in firsts:
                for phrase, prefix, exact, tag in self.phrases[first]:
                    hay = joined_exact if exact else joined
                    needle = " " + " ".join(phrase) + ("" if prefix else " ")
                    at = hay.find(needle)
                    if at >= 0:
                        hit(tag, hay.count(" ", 0, at), needle.strip())
        if self.all_patterns is not None:
            for m in self.all_patterns.finditer(text):
                tag = self.pattern_tags[int(m.lastgroup[1:])]
                if tag not in found:
                    hit(tag, len(_TOKEN.findall(text, 0, m.start())), m.group(0))
        return found


@dataclass(frozen=True, eq=False)  # hashed by identity: classify caches per rule set
class Rules:
    """Compiled classification rules (immutable; share one instance across events)."""

    tags: tuple[TagRule, ...]
    tiers: tuple[tuple[int, re.Pattern[str]], ...]  # highest tier first
    synonyms: tuple[tuple[re.Pattern[str], str], ...]
    sources: tuple[str, ...] = field(default=())

    matcher: _Matcher | None = None

    def tag(self, name: str) -> TagRule | None:
        for t in self.tags:
            if t.name == name:
                return t
        return None

    def find(self, text: str) -> dict[str, tuple[int, str]]:
        """tag -> (offset, matched words) of the first hit of each tag found in `text`."""
        return self.matcher.find(text) if self.matcher is not None and text else {}

    def tags_of(self, text: str) -> list[str]:
        """The tags found in `text`, in the rules' order."""
        found = self.find(text)
        return [t.name for t in self.tags if t.name in found]


def load_rules(watchlist_dir: str | Path | None = None) -> Rules:
    """The shipped rules, extended/overridden by `<watchlist_dir>/tags.yaml` when present."""
    shipped = resources.files("intel").joinpath("rules/tags.yaml")
    text = shipped.read_text(encoding="utf-8")
    raw = _parse(text, str(shipped))
    sources = [str(shipped)]
    if watchlist_dir is not None:
        user = Path(watchlist_dir) / USER_RULES_FILE
        if user.is_file():
            utext = user.read_text(encoding="utf-8")
            raw = _merge(raw, _parse(utext, str(user)))
            sources.append(str(user))
    return _compile(raw, sources)


def rules_from_text(text: str, filename: str = "<rules>", base: bool = True) -> Rules:
    """Compile rules from YAML text (on top of the shipped rules unless `base` is False)."""
    raw = _parse(text, filename)
    if base:
        shipped = resources.files("intel").joinpath("rules/tags.yaml").read_text(encoding="utf-8")
        raw = _merge(_parse(shipped, "tags.yaml"), raw)
    return _compile(raw, [filename])


# -- parsing and validation ---------------------------------------------------------------


def _parse(text: str, filename: str) -> dict[str, Any]:
    """Validate one rules file; every problem names the file, line and field."""
    try:
        data, node = load_with_nodes(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise WatchlistError(
            filename, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}"
        ) from None
    lines = line_map(node)

    def fail(path: tuple, message: str) -> None:
        line = None
        for n in range(len(path), -1, -1):
            if path[:n] in lines:
                line = lines[path[:n]]
                break
        raise WatchlistError(filename, line, ".".join(str(p) for p in path) or None, message)

    if data is None:
        return {"tags": {}, "tiers": {}, "synonyms": {}}
    if not isinstance(data, dict):
        fail((), "a rules file is a mapping with `tags:` (and optionally `tiers:`, `synonyms:`)")
    for key in data:
        if key not in _TOP_KEYS:
            fail((key,), f"unknown section; allowed: {', '.join(sorted(_TOP_KEYS))}")
    tags = data.get("tags") or {}
    if not isinstance(tags, dict):
        fail(("tags",), "must be a mapping of tag name -> {keywords, acronyms, patterns}")
    out_tags: dict[str, dict[str, Any]] = {}
    for name, spec in tags.items():
        path = ("tags", name)
        if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
            fail(path, "a tag name is lowercase letters, digits, - or _")
        spec = spec or {}
        if not isinstance(spec, dict):
            fail(path, "must be a mapping with keywords, acronyms, patterns, importance, replace")
        for key in spec:
            if key not in _TAG_KEYS:
                fail(path + (key,), f"unknown field; allowed: {', '.join(sorted(_TAG_KEYS))}")
        for key in ("keywords", "acronyms", "patterns"):
            words = spec.get(key, [])
            if words is None:
                words = []
            if not isinstance(words, list):
                fail(path + (key,), "must be a list of strings")
            for i, w in enumerate(words):
                if not isinstance(w, str) or not w.strip():
                    fail(path + (key, i), "must be a non-empty string")
                if key == "patterns":
                    try:
                        re.compile(w)
                    except re.error as exc:
                        fail(path + (key, i), f"not a valid regular expression: {exc}")
        imp = spec.get("importance")
        if imp is not None and (isinstance(imp, bool) or not isinstance(imp, int | float)):
            fail(path + ("importance",), "must be a number (e.g. 0.1, or -0.1 to lower)")
        if imp is not None and not -1 <= imp <= 1:
            fail(path + ("importance",), "must be between -1 and 1")
        if "replace" in spec and not isinstance(spec["replace"], bool):
            fail(path + ("replace",), "must be true or false")
        out_tags[name] = {k: (v if v is not None else []) for k, v in spec.items()}
    tiers = data.get("tiers") or {}
    if not isinstance(tiers, dict):
        fail(("tiers",), "must map a tier number (0 free .. 4 enterprise) to plan-name words")
    out_tiers: dict[int, list[str]] = {}
    for rank, words in tiers.items():
        if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank <= 4:
            fail(("tiers", rank), "a tier is a number from 0 (free) to 4 (enterprise)")
        if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
            fail(("tiers", rank), "must be a list of plan-name words")
        out_tiers[rank] = list(words)
    synonyms = data.get("synonyms") or {}
    if not isinstance(synonyms, dict):
        fail(("synonyms",), "must map a canonical word to a list of phrases")
    out_syn: dict[str, list[str]] = {}
    for canon, phrases in synonyms.items():
        if not isinstance(canon, str) or not isinstance(phrases, list):
            fail(("synonyms", canon), "must map a word to a list of phrases")
        if not all(isinstance(p, str) and p for p in phrases):
            fail(("synonyms", canon), "every phrase must be a non-empty string")
        out_syn[canon] = list(phrases)
    return {"tags": out_tags, "tiers": out_tiers, "synonyms": out_syn}


def _merge(base: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """User rules extend the shipped ones; `replace: true` swaps one tag out whole."""
    tags = {k: dict(v) for k, v in base["tags"].items()}
    for name, spec in user["tags"].items():
        if spec.get("replace") or name not in tags:
            tags[name] = dict(spec)
            continue
        merged = dict(tags[name])
        for key in ("keywords", "acronyms", "patterns"):
            merged[key] = list(merged.get(key, [])) + [
                w for w in spec.get(key, []) if w not in merged.get(key, [])
            ]
        if "importance" in spec:
            merged["importance"] = spec["importance"]
        tags[name] = merged
    tiers = {k: list(v) for k, v in base["tiers"].items()}
    for rank, words in user["tiers"].items():
        tiers[rank] = tiers.get(rank, []) + words
    synonyms = {k: list(v) for k, v in base["synonyms"].items()}
    for canon, phrases in user["synonyms"].items():
        synonyms[canon] = synonyms.get(canon, []) + phrases
    return {"tags": tags, "tiers": tiers, "synonyms": synonyms}


# -- compiling ------------------------------------------------------------------------------


def keyword_regex(word: str) -> str:
    """A keyword as a whole-word regex: spaces also match hyphens, `*` ends a word prefix."""
    word = word.strip()
    prefix = word.endswith("*")
    word = word.rstrip("*").strip()
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", word) if p]
    body = r"[\s\-]*".join(parts)
    # word characters at the edges need a boundary; "$" or "+" at an edge does not
    left = r"(?<![\w])" if re.match(r"\w", word) else ""
    right = r"\w*" if prefix else (r"(?![\w])" if re.search(r"\w$", word) else "")
    return left + body + right


def _compile(raw: dict[str, Any], sources: list[str]) -> Rules:
    tags = tuple(
        TagRule(
            name,
            float(spec.get("importance") or 0.0),
            tuple(spec.get("keywords", [])),
            tuple(spec.get("acronyms", [])),
            tuple(re.compile(p, re.IGNORECASE) for p in spec.get("patterns", [])),
        )
        for name, spec in raw["tags"].items()
    )
    tiers = tuple(
        (rank, re.compile("|".join(keyword_regex(w) for w in words), re.IGNORECASE))
        for rank, words in sorted(raw["tiers"].items(), reverse=True)
        if words
    )
    synonyms = []
    for canon, phrases in raw["synonyms"].items():
        for p in phrases:
            synonyms.append((re.compile(keyword_regex(p), re.IGNORECASE), canon.lower()))
    # longest phrase first so "saml sso" is rewritten before "saml"
    synonyms.sort(key=lambda s: len(s[0].pattern), reverse=True)
    return Rules(tags, tiers, tuple(synonyms), tuple(sources), _Matcher(tags))
