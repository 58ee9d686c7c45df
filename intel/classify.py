"""Judgement: every move gets a signal, tags, an importance and a one-line reason.

Diffing only reports facts; this module says what they mean *from our side*:

- **signal** - `threat`, `opportunity`, `neutral`, or None (no signal):
  a rival's price cut, new plan or new feature is a threat; a price rise, removed plan,
  removed feature or deprecation is an opportunity; a price that turns into (or stops
  being) "Contact sales" carries no signal (we cannot say which way it went); a
  changelog entry is a threat when it ships something, an opportunity when it
  deprecates or removes something, neutral when it only fixes bugs; a generic page
  change is a threat when the new text claims a capability (AI, security, an
  integration ...), an opportunity when only a promise or capability disappeared,
  neutral otherwise.
- **us** (the watchlist's `us:` block) sharpens, never flips, a feature signal: a rival
  launching what we lack is a stronger threat; launching what we also have stays a
  threat (they closed a gap on us, which still costs us a reason to be chosen) but a
  weaker one. Prices are compared with our matching plan (same name, else same tier,
  else nearest price; same currency only, yearly prices compared per month): a rise
  that leaves them above us is a stronger opportunity, a cut that undercuts us a
  stronger threat.
- **importance** 0..1: a base per event type, plus the size of a price move, the tier
  affected, the tags (from the rules file), our side, times the competitor's `weight`.
  Deterministic; `importance_explained` lists every term.
- **why**: one line a leader can read.

Everything here is pure: rules are compiled once by `load_rules` and passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import fields as dc_fields
from functools import lru_cache
from typing import Any

from intel.changes import _FIELDS_BY_TYPE, Change
from intel.classify_rules import _TOKEN, Rules, load_rules
from intel.extract.changelog_dates import _month_of
from intel.money import money

__all__ = ["Rules", "classify", "classify_many", "load_rules", "reclassify"]

THREAT, OPPORTUNITY, NEUTRAL = "threat", "opportunity", "neutral"

# Tags that claim a capability: new text carrying one is a rival getting stronger.
CAPABILITY_TAGS = frozenset(
    {
        "ai",
        "security",
        "compliance",
        "integration",
        "enterprise",
        "performance",
        "mobile",
        "platform",
    }
)

# A base importance per event type: a new or lost plan reshapes a rival's offer more than
# one release note does.
BASE = {
    "price_change": 0.35,
    "plan_added": 0.45,
    "plan_removed": 0.45,
    "feature_added": 0.35,
    "feature_removed": 0.3,
    "changelog_entry": 0.3,
    "content_change": 0.25,
}
TIER_BONUS = {4: 0.08, 3: 0.05, 2: 0.03, 1: 0.02, 0: 0.06}  # free tiers are widely seen
TIER_NAME = {4: "enterprise", 3: "top", 2: "middle", 1: "entry", 0: "free"}
TAG_BONUS_CAP = (-0.15, 0.2)

_LAUNCH = re.compile(
    r"(?<!\w)(?:new|launch\w*|introduc\w*|now\s+(?:available|supports?|offers?|includes?|"
    r"lets|in\s+beta|generally\s+available|live)|added|adds|add\s+support|support\s+for|"
    r"available\s+(?:now|today)|beta|preview|general\s+availability|(?-i:GA)|ships|shipped|"
    r"announc\w*|unveil\w*|rolls?\s+out|rolling\s+out|meet\s+the)(?!\w)",
    re.IGNORECASE,
)
_ITEM_SPLIT = re.compile(r"\n+|(?:^|\s)[-*•·]\s+|;\s+|(?<=[.!?])\s+(?=[A-Z0-9])")
_VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+(?:[\w.\-+]*)", re.IGNORECASE)
_VERSION_WORDS = frozenset(
    "version release releases announcements announcement changelog v".split()
)
_HEADING = re.compile(
    r"(?i)(?:what's\s+)?(?:added|changed|fixed|fixes|new|features?|improvements?|bug\s*fixes|"
    r"deprecated|removed|security|highlights|changes)\s*:?"
)
_DATEISH = re.compile(r"[\w ,.\-/()]{0,12}\d{1,4}[\w ,.\-/()]{0,16}")
_LEAD_NOISE = re.compile(
    r"(?i)^(?:(?:[0-9a-f]{7,40}|v?\d+(?:\.\d+)+\w*|latest|what's\s+changed|added|changed|fixed|"
    r"new\s+features?|features?|highlights|improvements?|notable\s+changes|announcements|"
    r"bug\s*fixes|refactors|upgrades|diff|release\s+notes|github\s+release|"
    r"(?:fixes|bugfixes|deprecations?|security|internal|docs|miscellaneous|other)\s*:)[\s:¶🔗]*)+"
)
# Emoji and symbols leading a release-note line ("✨ Add ...", "🔗 Release Notes").
_LEAD_SYMBOLS = re.compile(r"^[^\w(\"'`]+")
_PLAN_WORDS = re.compile(r"\b(?:plan|tier)\b|[^\w\s]", re.IGNORECASE)
_STOP = frozenset(
    "a an the and or for of to in on with by at from your our new now all any support "
    "supports plan plans feature features".split()
)
_CHANGE_FIELDS = frozenset(f.name for f in dc_fields(Change))


# -- entry points -----------------------------------------------------------------------------


def classify(
    change: Change | Mapping[str, Any],
    *,
    rules: Rules | None = None,
    us: Mapping[str, Any] | None = None,
    competitor: str | None = None,
    weight: float = 1.0,
) -> dict[str, Any]:
    """The event dict of one change: its contract fields + signal, tags, importance, why.

    `competitor` is accepted for symmetry with the store and not used in the judgement:
    the same move means the same from any rival; `weight` says how much this rival counts.
    """
    if rules is None:
        rules = _default_rules()
    event = _event_dict(change) if isinstance(change, Change) else dict(change)
    event.update(_judge(event, rules, us or None, weight))
    return event


def classify_many(
    changes: Iterable[Change | Mapping[str, Any]],
    *,
    rules: Rules | None = None,
    us: Mapping[str, Any] | None = None,
    competitor: str | None = None,
    weight: float = 1.0,
) -> list[dict[str, Any]]:
    """Classify the moves found on one page in one night, seeing them together.

    Together, two moves can mean something neither means alone: a plan removed and
    another added at the same price is most likely a rename (no signal), and a feature
    removed from one plan and added to another has moved (the removal is no loss).
    """
    events = [
        classify(c, rules=rules, us=us, competitor=competitor, weight=weight) for c in changes
    ]
    _pair_moves(events, rules or _default_rules())
    return events


def reclassify(
    events: Iterable[Mapping[str, Any]],
    rules: Rules | None = None,
    us: Mapping[str, Any] | None = None,
    weights: Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Judge stored events again (new rules or a new `us:` block); facts are untouched.

    Events keep every stored field (id, competitor, url, ...); signal, tags, importance,
    importance_explained and why are replaced. Events of one snapshot are judged
    together, as `classify_many` does on the night they were found.
    """
    rules = rules or _default_rules()
    weights = weights or {}
    out: list[dict[str, Any]] = []
    groups: dict[Any, list[dict[str, Any]]] = {}
    for ev in events:
        facts = {k: v for k, v in ev.items() if k in _CHANGE_FIELDS and v is not None}
        facts["type"] = ev["type"]
        for k in ("added", "removed"):
            facts[k] = list(ev.get(k) or [])
        new = dict(ev)
        new.update(_judge(facts, rules, us or None, float(weights.get(ev.get("competitor"), 1.0))))
        out.append(new)
        key = (ev.get("competitor"), ev.get("url"), ev.get("snapshot_id"))
        groups.setdefault(key, []).append(new)
    for group in groups.values():
        _pair_moves(group, rules)
    return out


def _event_dict(change: Change) -> dict[str, Any]:
    """`Change.to_dict()` without `dataclasses.asdict`'s deep copy (5x faster, same dict)."""
    keep = _FIELDS_BY_TYPE[change.type]
    out: dict[str, Any] = {"type": change.type}
    for k in keep:
        v = getattr(change, k)
        out[k] = list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v
    return out


@lru_cache(maxsize=1)
def _default_rules() -> Rules:
    return load_rules()


# -- the judgement --------------------------------------------------------------------------


def _judge(ev: Mapping[str, Any], rules: Rules, us: Mapping[str, Any] | None, weight: float):
    etype = ev["type"]
    tags = _tags(ev, rules)
    factors: list[tuple[str, float]] = [(f"{etype.replace('_', ' ')}", BASE.get(etype, 0.3))]
    why_tail = ""
    fix_only = False

    if etype == "price_change":
        signal, why, extra, why_tail = _price_change(ev, rules, us)
        factors += extra
    elif etype in ("plan_added", "plan_removed"):
        signal, why, extra, why_tail = _plan_move(ev, rules, us)
        factors += extra
    elif etype in ("feature_added", "feature_removed"):
        signal, why, extra, why_tail = _feature_move(ev, tags, rules, us)
        factors += extra
    elif etype == "changelog_entry":
        signal, why, extra, fix_only = _changelog(ev, tags, rules, us)
        factors += extra
    else:
        signal, why = _content_change(ev, rules)

    tier = _tier(ev.get("plan"), rules) if ev.get("plan") else None
    if tier is not None and etype != "changelog_entry":
        factors.append((f"{TIER_NAME[tier]} tier", TIER_BONUS[tier]))

    tag_terms = []
    for rule in rules.tags:
        if rule.name in tags and rule.importance:
            # "bugfix" lowers only a release that does nothing but fix: in a release that
            # also ships features, the fixes do not make the launch matter less.
            if rule.name == "bugfix" and not fix_only:
                continue
            tag_terms.append((rule.name, rule.importance))
    if tag_terms:
        total = sum(v for _, v in tag_terms)
        total = min(max(total, TAG_BONUS_CAP[0]), TAG_BONUS_CAP[1])
        factors.append(("tags " + "+".join(n for n, _ in tag_terms), total))

    raw = sum(v for _, v in factors)
    if signal is None:
        factors.append(("no signal", -0.1))
        raw -= 0.1
    importance = max(0.0, min(1.0, raw * weight))
    explained = "; ".join(
        f"{name} {v:.2f}" if i == 0 else f"{name} {v:+.2f}" for i, (name, v) in enumerate(factors)
    )
    if weight != 1.0:
        explained += f"; weight x{weight:g}"
    shown = [t for t in tags if t not in ("pricing", "packaging")]
    if shown and etype in ("changelog_entry", "content_change", "feature_added", "feature_removed"):
        why += f" ({', '.join(shown[:4])})"
    return {
        "signal": signal,
        "tags": tags,
        "importance": round(importance, 3),
        "importance_explained": explained,
        "why": (why + why_tail)[:300],
    }


def _tags(ev: Mapping[str, Any], rules: Rules) -> list[str]:
    """Every rule tag whose words occur in the event's text, in the rules' order.

    `bugfix` on a changelog entry says what the entry mainly is, not that a fix is
    mentioned somewhere: a launch whose notes also fix something is not tagged with it.
    """
    text = _text(ev)
    found = rules.tags_of(text)
    etype = ev["type"]
    if etype == "changelog_entry" and "bugfix" in found:
        only, mainly = _fix_verdict(ev.get("title") or "", ev.get("summary") or "", rules)
        if not (only or mainly):
            found.remove("bugfix")
    if etype in ("price_change", "plan_added", "plan_removed") and "pricing" not in found:
        found.append("pricing")
    if etype in ("plan_added", "plan_removed") and "packaging" not in found:
        found.append("packaging")
    # a feature moving on a plan card is a change of what each plan includes
    if etype in ("feature_added", "feature_removed") and ev.get("plan"):
        if "packaging" not in found:
            found.append("packaging")
    return found


def _text(ev: Mapping[str, Any]) -> str:
    parts = [ev.get(k) for k in ("title", "summary", "feature", "plan")]
    parts += list(ev.get("added") or []) + list(ev.get("removed") or [])
    return "\n".join(str(p) for p in parts if p)


# -- pricing ------------------------------------------------------------------------------------


def _price_change(ev, rules, us):
    plan = ev.get("plan") or "a plan"
    old, new = _num(ev.get("old_price")), _num(ev.get("new_price"))
    unit = _unit(ev)
    factors: list[tuple[str, float]] = []
    if old is None and new is None:
        return None, f"Price of {plan} changed{unit}", factors, ""
    if new is None:
        return (
            None,
            f"{plan} price now 'Contact sales' (was {_money(old, ev)}{_per(ev)})",
            factors,
            "",
        )
    if old is None:
        return (
            None,
            f"{plan} now priced at {_money(new, ev)}{_per(ev)} (was 'Contact sales')",
            factors,
            "",
        )
    if new == old:
        return NEUTRAL, f"{plan} price unchanged at {_money(new, ev)}{unit}", factors, ""
    pct = abs(new - old) / old * 100 if old else 100.0
    factors.append((f"move {pct:.0f}%", round(min(pct, 50.0) / 50.0 * 0.35, 3)))
    cut = new < old
    signal = THREAT if cut else OPPORTUNITY
    verb = "Price cut" if cut else "Price rise"
    if old == 0:
        verb = "Free plan now paid" if not cut else verb
    why = f"{verb} {pct:.0f}% on {plan}: {_money(old, ev)} -> {_money(new, ev)}{unit}"
    tail, extra = _compare_price(ev, new, rules, us, cut=cut)
    return signal, why, factors + extra, tail


def _plan_move(ev, rules, us):
    plan = ev.get("plan") or "a plan"
    added = ev["type"] == "plan_added"
    price = _num(ev.get("new_price") if added else ev.get("old_price"))
    if price is None:
        price = _num(ev.get("new_price")) if not added else _num(ev.get("old_price"))
    shown = f" ({_money(price, ev)}{_per(ev)})" if price is not None else ""
    if added:
        why = f"New plan {plan}{shown}"
        tail, extra = ("", [])
        if price is not None:
            tail, extra = _compare_price(ev, price, rules, us, cut=True)
        return THREAT, why, extra, tail
    return OPPORTUNITY, f"Plan removed: {plan}{shown}", [], ""


def _compare_price(ev, theirs: float, rules, us, *, cut: bool):
    """Our matching plan's price against theirs: the tail of `why` and importance terms."""
    match = _match_our_plan(ev, theirs, rules, us)
    if match is None:
        return "", []
    ours_name, ours = match
    if ours <= 0:
        return "", []
    gap = (theirs - ours) / ours * 100
    if cut:
        if gap < -0.5:
            return (
                f" - undercuts our {ours_name} by {-gap:.0f}%",
                [(f"undercuts our {ours_name}", round(0.1 + min(-gap, 50) / 50 * 0.1, 3))],
            )
        if abs(gap) <= 0.5:
            return f" - now matches our {ours_name}", [(f"matches our {ours_name}", 0.05)]
        return f" - still {gap:.0f}% above our {ours_name}", [(f"above our {ours_name}", -0.05)]
    if gap > 0.5:
        return (
            f" - now {gap:.0f}% above our {ours_name}",
            [(f"above our {ours_name}", round(0.05 + min(gap, 50) / 50 * 0.1, 3))],
        )
    if abs(gap) <= 0.5:
        return f" - now matches our {ours_name}", [(f"matches our {ours_name}", 0.02)]
    return f" - still {-gap:.0f}% below our {ours_name}", [(f"below our {ours_name}", -0.05)]


def _match_our_plan(ev, theirs: float, rules, us) -> tuple[str, float] | None:
    """Our plan to hold theirs against: same name, else same tier, else nearest price.

    Only plans in the same currency compare (no exchange rates in a pure core); a yearly
    price is compared per month; a one-time price only with a one-time price.
    """
    if not us or not us.get("plans"):
        return None
    cur = (ev.get("currency") or "").upper()
    period = ev.get("period")
    cands = []
    for p in us["plans"]:
        p = dict(p) if not isinstance(p, Mapping) else p
        price = _num(p.get("price"))
        if price is None:
            continue
        pcur = (p.get("currency") or "USD").upper()
        if cur and pcur != cur:
            continue
        per = _per_month(price, p.get("period", "month"), period)
        if per is None:
            continue
        cands.append((str(p.get("name") or "plan"), per))
    if not cands:
        return None
    name = _norm_plan(ev.get("plan"))
    for cname, cprice in cands:
        if name and _norm_plan(cname) == name:
            return cname, cprice
    tier = _tier(ev.get("plan"), rules) if ev.get("plan") else None
    pool = [c for c in cands if tier is not None and _tier(c[0], rules) == tier] or cands
    return min(pool, key=lambda c: (abs(c[1] - theirs) / max(c[1], theirs, 1e-9), c[0]))


def _per_month(price: float, ours: str | None, theirs: str | None) -> float | None:
    """Our price expressed in the rival's period, or None when they cannot compare."""
    ours = ours or "month"
    theirs = theirs or ours
    if ours == theirs:
        return price
    if {ours, theirs} == {"month", "year"}:
        return price / 12 if ours == "year" else price * 12
    return None


# -- features ------------------------------------------------------------------------------------


def _feature_move(ev, tags, rules, us):
    feature = ev.get("feature") or "a feature"
    plan = ev.get("plan")
    added = ev["type"] == "feature_added"
    where = f" on {plan}" if plan else ""
    factors: list[tuple[str, float]] = []
    if plan is None:
        factors.append(("product-wide", 0.05))
    ours = _we_have(feature, rules, us)
    if added:
        why = f"New feature{where}: {feature}"
        tail = ""
        if ours is True:
            tail, factors = " - we have it too", factors + [("we have it too", -0.1)]
        elif ours is False:
            tail, factors = " - we lack it", factors + [("we lack it", 0.15)]
        return THREAT, why, factors, tail
    why = f"Feature removed{where}: {feature}"
    tail = ""
    if ours is True:
        tail, factors = " - we still offer it", factors + [("we still offer it", 0.1)]
    return OPPORTUNITY, why, factors, tail


def _we_have(text: str, rules: Rules, us) -> bool | None:
    """True/False when our feature list says; None when we did not list our features."""
    if not us or not us.get("features"):
        return None
    theirs = _tokens(rules, text)
    if not theirs:
        return None
    for f in us["features"]:
        ours = _tokens(rules, str(f))
        if not ours:
            continue
        if ours <= theirs or len(ours & theirs) / len(ours | theirs) >= 0.6:
            return True
    return False


@lru_cache(maxsize=8192)
def _tokens(rules: Rules, text: str) -> frozenset[str]:
    t = text.lower()
    for rx, canon in rules.synonyms:
        t = rx.sub(f" {canon} ", t)
    out = set()
    for w in re.findall(r"[a-z0-9]+", t):
        if w in _STOP:
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


# -- changelog and pages -------------------------------------------------------------------------


def _changelog(ev, tags, rules, us):
    title = (ev.get("title") or "").strip()
    summary = (ev.get("summary") or "").strip()
    factors: list[tuple[str, float]] = []
    fix_only = _fix_only(title, summary, tags, rules)
    versioned = _is_version_title(title)
    label = title or "untitled entry"
    title_found = rules.find(title)
    if "deprecation" in title_found:
        return OPPORTUNITY, f"Deprecation: {label}", factors, False
    if fix_only:
        return NEUTRAL, f"Bug-fix release: {label}" if versioned else f"Fix: {label}", factors, True
    title_tags = [t for t in title_found if t in CAPABILITY_TAGS]
    title_launch = not versioned and (bool(title_tags) or _LAUNCH.search(title) is not None)
    if "deprecation" in tags and not title_launch and not _LAUNCH.search(summary):
        return OPPORTUNITY, f"Deprecation in {label}", factors, False
    if versioned and not summary:
        return NEUTRAL, f"New release {label}", factors, False
    capability = [t for t in tags if t in CAPABILITY_TAGS]
    if capability:
        factors.append(("capability", 0.05))
    tail = ""
    ours = _we_have(title, rules, us) if not versioned else None
    if ours is True:
        tail, factors = " - we have it too", factors + [("we have it too", -0.1)]
    elif ours is False and capability:
        tail, factors = " - we lack it", factors + [("we lack it", 0.1)]
    if versioned:
        first = _first_item(summary)
        return THREAT, f"Release {label}" + (f": {first}" if first else ""), factors, False
    return THREAT, f"Launched: {label}" + tail, factors, False


def _fix_only(title: str, summary: str, tags: list[str], rules: Rules) -> bool:
    """Does this entry only fix things (nothing shipped, something fixed)?"""
    if "bugfix" not in tags:
        return False
    return _fix_verdict(title, summary, rules)[0]


# A section heading inside an entry's notes, alone ("Fixed") or leading its first item
# ("Bug fixes: Retry keeps ..."): what it names decides what its items are.
_SECTION_LEAD = re.compile(r"^\s*([^\W\d_][\w' /&-]{0,38}?)\s*:\s+(.*)$", re.S)
_SHIP_SECTION = re.compile(
    r"(?i)^(?:added|new|what'?s\s+new|new\s+features?|features?|highlights?|"
    r"improvements?|enhancements?|launch\w*)$"
)
# Words a periodic or numbered entry is titled with: "Week of November 16, 2026",
# "November 2026 update", "Release 142" name no feature; their items say what they are.
_PERIOD_TITLE_WORDS = frozenset(
    "week weeks of the month update updates release releases roundup digest recap notes "
    "changelog sprint build patch version what's whats new in".split()
)


def _generic_title(title: str) -> bool:
    """A title that names a release or a period, not what it ships."""
    if _is_version_title(title):
        return True
    if not re.search(r"\d", title):
        return False
    words = re.findall(r"[^\W\d_][\w']*", title.lower())
    return all(w in _PERIOD_TITLE_WORDS or _month_of(w) for w in words)


def _fix_verdict(title: str, summary: str, rules: Rules) -> tuple[bool, bool]:
    """(only fixes, mainly fixes) for a changelog entry, item by item.

    The entry's own heading decides first: a title that names a fix ("Bug fixes",
    "Fixed sync on iOS") is a fix; a title that names what it ships ("v4.2.0: Variables
    and modes", "Connector for SAP") is a launch, whatever its notes fix on the side.
    A version or period title leaves it to the items: an item under a "Fixed" / "Bug
    fixes" section is a fix, one under "Added" / "Features" ships something, any other
    is judged by its own words (a launch word before any fix word ships). "Only" is
    fixes and nothing shipped (release numbers only); "mainly" is more fixes than every
    other item together.
    """
    found = rules.find(title).get("bugfix")
    if found is not None:
        launch = _LAUNCH.search(title)
        if launch is None or len(_TOKEN.findall(title, 0, launch.start())) >= found[0]:
            return True, True
    if not _generic_title(title):
        return False, False
    fixes = launches = others = 0
    section = None  # "fix", "ship" or None
    for raw in _ITEM_SPLIT.split(summary):
        item = (raw or "").strip(" -*•·")
        if not item:
            continue
        head = _HEADING.fullmatch(item)
        lead = None if head else _SECTION_LEAD.match(item)
        name = (
            item if head else (lead.group(1) if lead and len(lead.group(1).split()) <= 4 else None)
        )
        if name is not None:
            name = name.strip(" :")
            if rules.find(name).get("bugfix") is not None:
                section = "fix"
            elif _SHIP_SECTION.match(name):
                section = "ship"
            else:
                section = None
            if head:
                continue
            item = lead.group(2) if lead else item
        if len(item) <= 3:
            continue
        if section == "fix":
            fixes += 1
            continue
        if section == "ship":
            launches += 1
            continue
        fix = rules.find(item).get("bugfix")
        launch = _LAUNCH.search(item)
        # "Added X ... Fixed Y" (a flattened release) ships something; "Fixed a bug where
        # new users ..." does not: a launch word counts when it comes before any fix word
        if launch is not None and (
            fix is None or len(_TOKEN.findall(item, 0, launch.start())) < fix[0]
        ):
            launches += 1
        elif fix is not None:
            fixes += 1
        else:
            others += 1
    # a period digest's unlabelled items are features more often than quiet fixes: only
    # a release number is a bug-fix release by having nothing that reads as shipped
    only = fixes > 0 and launches == 0 and _is_version_title(title)
    return only, fixes > launches + others


def _is_version_title(title: str) -> bool:
    """ "2.9.0", "v3.4.0", "Version 1.5.1", "Announcements: v0.25.0": a release, not a launch."""
    if not _VERSION.search(title):
        return False
    rest = re.findall(r"[^\W\d_]+", _VERSION.sub(" ", title).lower())
    return all(w in _VERSION_WORDS for w in rest)


def _first_item(summary: str) -> str:
    """The first real line of a release's notes, without section headings or hashes."""
    for item in _ITEM_SPLIT.split(summary):
        item = _LEAD_SYMBOLS.sub("", (item or "").strip(" -*•:¶"))
        item = _LEAD_SYMBOLS.sub("", _LEAD_NOISE.sub("", item))
        if len(item) > 3 and not _HEADING.fullmatch(item) and not _DATEISH.fullmatch(item):
            return item[:80] + ("..." if len(item) > 80 else "")
    return ""


def _content_change(ev, rules):
    added = [a for a in ev.get("added") or [] if a]
    removed = [r for r in ev.get("removed") or [] if r]
    added_tags = rules.tags_of("\n".join(added))
    removed_tags = rules.tags_of("\n".join(removed))
    if any(t in CAPABILITY_TAGS for t in added_tags):
        signal = THREAT
    elif not added and any(
        t in CAPABILITY_TAGS or t in ("pricing", "packaging") for t in removed_tags
    ):
        signal = OPPORTUNITY  # a promise or a capability taken off the page
    elif any(t == "deprecation" for t in added_tags):
        signal = OPPORTUNITY
    else:
        signal = NEUTRAL
    if added:
        why = f"Page now says: '{_clip(added[0])}'"
        if removed:
            why += f" (was: '{_clip(removed[0])}')"
    elif removed:
        why = f"Page no longer says: '{_clip(removed[0])}'"
    else:
        why = "Page text changed"
    return signal, why


# -- pairs of moves --------------------------------------------------------------------------------


def _pair_moves(events: list[dict[str, Any]], rules: Rules) -> None:
    """Renames and feature moves, recognised among the events of one page and night."""
    removed = [e for e in events if e["type"] == "plan_removed"]
    added = [e for e in events if e["type"] == "plan_added"]
    if len(removed) == 1 and len(added) == 1:
        r, a = removed[0], added[0]
        rp, ap = _num(r.get("old_price")), _num(a.get("new_price"))
        if rp is not None and ap is not None and abs(rp - ap) <= 0.005 * max(rp, 1):
            for e in (r, a):
                e["signal"] = None
                e["importance"] = round(max(0.0, e["importance"] - 0.2), 3)
                e["importance_explained"] += "; likely a rename -0.20"
            a["why"] = f"Plan renamed? {r.get('plan')} -> {a.get('plan')} at the same price"
            r["why"] = f"Plan renamed? {r.get('plan')} -> {a.get('plan')} at the same price"
    gone = {}
    for e in events:
        if e["type"] == "feature_removed" and e.get("plan") and e.get("feature"):
            gone.setdefault(_tokens(rules, e["feature"]), []).append(e)
    if not gone:
        return
    for e in events:
        if e["type"] != "feature_added" or not e.get("plan") or not e.get("feature"):
            continue
        for r in gone.get(_tokens(rules, e["feature"]), []):
            if _norm_plan(r.get("plan")) == _norm_plan(e.get("plan")):
                continue
            src, dst = _tier(r["plan"], rules), _tier(e["plan"], rules)
            r["signal"] = None  # the feature did not go away, it moved
            r["why"] = f"{r['feature']} moved from {r['plan']} to {e['plan']}"
            if src is not None and dst is not None and dst > src:
                e["signal"] = OPPORTUNITY
                e["why"] = (
                    f"{e['feature']} moved up from {r['plan']} to {e['plan']} (now costs more)"
                )
            elif src is not None and dst is not None and dst < src:
                e["why"] = (
                    f"{e['feature']} moved down from {r['plan']} to {e['plan']} (now cheaper to get)"
                )
            else:
                e["why"] = f"{e['feature']} moved from {r['plan']} to {e['plan']}"


# -- small helpers ------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _tier_cached(rules: Rules, name: str) -> int | None:
    for rank, rx in rules.tiers:
        if rx.search(name):
            return rank
    return None


def _tier(name: str | None, rules: Rules) -> int | None:
    return _tier_cached(rules, name) if name else None


def _norm_plan(name: str | None) -> str:
    return " ".join(_PLAN_WORDS.sub(" ", name or "").lower().split())


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _money(amount: float | None, ev: Mapping[str, Any]) -> str:
    return "?" if amount is None else money(amount, ev.get("currency"))


def _per(ev: Mapping[str, Any]) -> str:
    """ "/user/month" style suffix of a shown price."""
    period = ev.get("period")
    seat = "/user" if ev.get("per_seat") else ""
    if period in ("month", "year"):
        out = f"{seat}/{period}"
    elif period == "one_time":
        out = f"{seat} one-time"
    else:
        out = seat
    if ev.get("billing") == "annual":
        out += ", billed annually"
    elif ev.get("billing") == "monthly":
        out += ", billed monthly"
    return out


def _unit(ev: Mapping[str, Any]) -> str:
    """ " (USD/month, billed annually)" - the unit the price is quoted in."""
    parts = []
    cur = ev.get("currency")
    period = ev.get("period")
    if cur or period:
        unit = cur or ""
        if ev.get("per_seat"):
            unit += "/user"
        if period in ("month", "year"):
            unit += f"/{period}"
        elif period == "one_time":
            unit += " one-time"
        parts.append(unit.strip("/ "))
    if ev.get("billing") == "annual":
        parts.append("billed annually")
    elif ev.get("billing") == "monthly":
        parts.append("billed monthly")
    return f" ({', '.join(parts)})" if parts else ""


def _clip(text: str, n: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 3] + "..."
